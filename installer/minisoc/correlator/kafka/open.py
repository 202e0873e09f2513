"""The real confluent-kafka clients behind KafkaLogSource and TopicIntel, from KafkaSettings (built by the
one Kafka client home, `minisoc.correlator.clients.kafka`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from minisoc.correlator.clients.kafka import consumer, producer
from minisoc.correlator.kafka.intel import IndicatorSet, IntelTopicReader, TopicIntel
from minisoc.correlator.kafka.settings import (
    KafkaSettings,
    group_consumer_config,
    producer_config,
    read_password,
    reader_config,
)
from minisoc.correlator.kafka.source import KafkaLogSource
from minisoc.correlator.typing import IntelSource
from minisoc.correlator.zeek.deadletter import DeadLetterSink
from minisoc.correlator.zeek.stats import ReadStats

# librdkafka's own messages (connection refused, broker down, ...) go through logging, not raw to stderr
LIBRDKAFKA_LOG = logging.getLogger("minisoc.correlator.kafka.librdkafka")


def open_log_source(settings: KafkaSettings, topics: Sequence[str], *, batch_lines: int,
                    dead_letter: DeadLetterSink | None, stats: ReadStats | None) -> KafkaLogSource:
    config = group_consumer_config(settings, read_password(settings))
    log_consumer = consumer(config, logger=LIBRDKAFKA_LOG)
    return KafkaLogSource(log_consumer, topics, group=settings.group_id, batch_lines=batch_lines,
                          dead_letter=dead_letter, stats=stats)


def open_topic_intel(settings: KafkaSettings, topic: str, *,
                     leader: tuple[Sequence[IntelSource], IndicatorSet] | None) -> TopicIntel:
    """The intel sources of a replica: the topic's reader; on the leader also its sources, its own set of
    what they hold (an IntelSet of its own) and a producer."""
    password = read_password(settings)
    config = reader_config(settings, password, uuid.uuid4().hex[:12])
    reader = IntelTopicReader(consumer(config, logger=LIBRDKAFKA_LOG), topic)
    if leader is None:
        return TopicIntel(reader)
    intel_producer = producer(producer_config(settings, password), logger=LIBRDKAFKA_LOG)
    return TopicIntel(reader, leader=(*leader, intel_producer))
