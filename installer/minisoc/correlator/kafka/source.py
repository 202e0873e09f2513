"""A LogSource over a Kafka consumer group: each message is one log line, its topic names the log type.

Records are parsed by the readers' own parsers (`zeek.streamparser.StreamParser`, one per partition: Zeek
JSON, syslog and flow records sniffed as in files), so a line gives the same record, and the same alert id,
whether it was read from a file or from Kafka (`log.file` is absent: there is no file).

The checkpoint of a batch is the next offset of every partition it read (`{"offsets": [[topic, partition,
next offset], ...]}`); `commit` commits exactly those, synchronously, and only for partitions this member
still owns. When a rebalance takes partitions away (a replica joined, or this one was too slow), their
parsers and any message of theirs not yet handed out are dropped: the new owner reads on from the last
committed offset, and what this member had delivered but not committed is delivered again there, which the
deterministic alert ids make harmless. A malformed line is dead-lettered (`source` =
`kafka:<topic>/<partition>`, `offset` = the message's offset) and committed like any other: it never blocks
its partition.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, Protocol

from confluent_kafka import KafkaException, TopicPartition

from minisoc.correlator.kafka.topics import log_type_for_topic
from minisoc.correlator.model import LogRecord
from minisoc.correlator.typing import LogBatch
from minisoc.correlator.zeek.deadletter import DeadLetterSink
from minisoc.correlator.zeek.malformed import REASON_OVERSIZE, MalformedLine
from minisoc.correlator.zeek.reader import DEFAULT_MAX_LINE_BYTES
from minisoc.correlator.zeek.records import Refusals
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek.streamparser import StreamParser

log = logging.getLogger(__name__)
Partition = tuple[str, int]
POLL_TIMEOUT_S = 0.5  # one consume waits at most this long for `batch_lines` messages
MAX_CALL_S = 10.0  # batches() returns after this long even if messages keep coming: intel sync gets a turn


class MessageLike(Protocol):
    def error(self) -> Any: ...
    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def value(self) -> bytes | None: ...


RebalanceCallback = Callable[[Any, list[TopicPartition]], None]


class ConsumerLike(Protocol):
    """What KafkaLogSource uses of confluent_kafka.Consumer (a test passes a fake with these methods)."""

    def subscribe(self, topics: list[str], on_assign: RebalanceCallback | None = ...,
                  on_revoke: RebalanceCallback | None = ...,
                  on_lost: RebalanceCallback | None = ...) -> None: ...
    def consume(self, num_messages: int = ..., timeout: float = ...) -> Sequence[MessageLike]: ...
    def commit(self, *, offsets: list[TopicPartition],
               asynchronous: Literal[False]) -> list[TopicPartition] | None: ...
    def assignment(self) -> list[TopicPartition]: ...
    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]: ...
    def get_watermark_offsets(self, partition: TopicPartition, timeout: float = ...,
                              cached: bool = ...) -> tuple[int, int] | None: ...
    def close(self) -> None: ...


class KafkaLogSource:
    """See the module docstring. `consumer` is a confluent_kafka.Consumer in the correlators' group."""

    def __init__(self, consumer: ConsumerLike, topics: Sequence[str], *, group: str = "",
                 batch_lines: int = 5000, dead_letter: DeadLetterSink | None = None,
                 stats: ReadStats | None = None, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                 poll_timeout_s: float = POLL_TIMEOUT_S, max_call_s: float = MAX_CALL_S,
                 clock: Callable[[], float] = time.monotonic,
                 ready: Callable[[], bool] = lambda: True) -> None:
        if batch_lines < 1:
            raise ValueError("batch_lines must be at least 1")
        self.consumer = consumer
        self.topics = list(topics)
        self.group = group
        self.batch_lines = batch_lines
        self.stats = stats if stats is not None else ReadStats()
        self.max_line_bytes = max_line_bytes
        self.poll_timeout_s = poll_timeout_s
        self.max_call_s = max_call_s
        self.clock = clock
        self.ready = ready  # False: not joined yet (the intel set is not loaded: see kafka.intel)
        self._dead_letter = dead_letter
        self._refusals = Refusals(self.stats, dead_letter)
        self._parsers: dict[Partition, StreamParser] = {}
        self._owned: set[Partition] = set()
        self._committed: dict[Partition, int] = {}
        self._subscribed = False
        self.commit_failures = 0
        self.rebalances = 0
        self._snapshot: dict[str, Any] = {"group": group, "partitions": [], "lag": 0}
        self._snapshot_lock = threading.Lock()

    # -- rebalance callbacks (run inside consume(), on the loop's thread) --

    def _on_assign(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        self.rebalances += 1
        self._owned.update((tp.topic, tp.partition) for tp in partitions)
        log.info("kafka: assigned %s", _names(partitions))

    def _on_revoke(self, _consumer: Any, partitions: list[TopicPartition]) -> None:
        self.rebalances += 1
        for tp in partitions:
            key = (tp.topic, tp.partition)
            self._owned.discard(key)
            self._parsers.pop(key, None)  # the next owner starts a parser of its own
            self._committed.pop(key, None)
        log.info("kafka: revoked %s", _names(partitions))

    # -- LogSource --

    def batches(self) -> Iterator[LogBatch]:
        """What the assigned partitions hold now, in batches of at most `batch_lines` messages; returns when a
        consume comes back empty or after `max_call_s`."""
        if not self._subscribed:
            if not self.ready():
                return
            self.consumer.subscribe(self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke,
                                    on_lost=self._on_revoke)
            self._subscribed = True
        deadline = self.clock() + self.max_call_s
        while True:
            messages = self.consumer.consume(num_messages=self.batch_lines, timeout=self.poll_timeout_s)
            self._update_snapshot()
            if not messages:
                return
            batch = self._batch(messages)
            if batch is not None:
                yield batch
            if self.clock() >= deadline:
                return

    def commit(self, checkpoint: dict[str, Any]) -> None:
        """Commit the batch's next offsets (synchronously) of the partitions still owned."""
        offsets = [TopicPartition(topic, partition, offset)
                   for topic, partition, offset in checkpoint.get("offsets", ())
                   if (topic, partition) in self._owned]
        if not offsets:
            return
        sync = getattr(self._dead_letter, "sync", None)
        if callable(sync):
            sync()  # the refusals before these offsets must survive as well
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as error:  # a rebalance under way: the next owner re-reads, ids dedupe
            self.commit_failures += 1
            log.warning("kafka: commit of %s failed (%s): those messages will be delivered again",
                        _names(offsets), error)
            return
        for tp in offsets:
            self._committed[(tp.topic, tp.partition)] = tp.offset

    def close(self) -> None:
        """Leave the group at once (the others take the partitions now, not after the session timeout)."""
        try:
            self.consumer.close()
        except (KafkaException, RuntimeError) as error:
            log.warning("kafka: closing the consumer: %s", error)

    # -- parsing --

    def _batch(self, messages: Sequence[MessageLike]) -> LogBatch | None:
        records: list[LogRecord] = []
        next_offsets: dict[Partition, int] = {}
        for message in messages:
            if message.error() is not None:
                log.warning("kafka: %s", message.error())
                continue
            topic, partition, offset = message.topic(), message.partition(), message.offset()
            if topic is None or partition is None or offset is None:
                continue
            key = (topic, partition)
            if key not in self._owned:  # fetched before its partition was revoked: the new owner reads it
                continue
            next_offsets[key] = offset + 1
            record = self._parse(key, offset, message.value())
            if record is not None:
                records.append(record)
        if not next_offsets:
            return None
        return LogBatch(records=records, checkpoint={
            "offsets": [[topic, partition, offset] for (topic, partition), offset in next_offsets.items()]})

    def _parse(self, key: Partition, offset: int, value: bytes | None) -> LogRecord | None:
        if not value:
            return None
        line = value[:-1] if value.endswith(b"\n") else value
        if not line:
            return None
        source = f"kafka:{key[0]}/{key[1]}"
        if len(line) > self.max_line_bytes:
            detail = f"line longer than {self.max_line_bytes} bytes (max_line_bytes); refused unread"
            self._refusals.refuse(source, offset, REASON_OVERSIZE, detail, line)
            return None
        parser = self._parsers.get(key)
        if parser is None:
            parser = self._parsers[key] = StreamParser(None, log_type_for_topic(key[0]))
        try:
            record = parser.parse(line, offset)
        except MalformedLine as bad:
            self._refusals.refuse(source, offset, bad.reason, bad.detail, line)
            return None
        if record is not None:
            counts = self.stats.lines
            counts[record.log_type] = counts.get(record.log_type, 0) + 1
        return record

    # -- status --

    def _update_snapshot(self) -> None:
        """Assigned partitions, positions and lag (high watermark - position, from the last fetch) for the
        HTTP thread: computed here, on the consumer's thread, from librdkafka's local state only."""
        try:
            assigned = self.consumer.assignment()
            positions = self.consumer.position(assigned) if assigned else []
        except (KafkaException, RuntimeError):
            return
        rows: list[dict[str, Any]] = []
        total = 0
        for tp in sorted(positions, key=lambda item: (item.topic, item.partition)):
            try:
                marks = self.consumer.get_watermark_offsets(tp, cached=True)
            except (KafkaException, RuntimeError):
                marks = None
            high = marks[1] if marks is not None and marks[1] >= 0 else None
            position = tp.offset if tp.offset >= 0 else self._committed.get((tp.topic, tp.partition))
            lag = max(0, high - position) if high is not None and position is not None else None
            total += lag or 0
            committed = self._committed.get((tp.topic, tp.partition))
            rows.append({"topic": tp.topic, "partition": tp.partition, "position": position,
                         "committed": committed, "high": high, "lag": lag})
        with self._snapshot_lock:
            self._snapshot = {"group": self.group, "partitions": rows, "lag": total,
                              "commit_failures": self.commit_failures, "rebalances": self.rebalances}

    def status(self) -> dict[str, Any]:
        """What /healthz shows under `components.kafka` (and /metrics renders): safe from any thread."""
        with self._snapshot_lock:
            return dict(self._snapshot)


def _names(partitions: Sequence[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}/{tp.partition}" for tp in partitions) or "nothing"
