"""KafkaLogSource against a fake consumer: parsing per partition as in files, batch checkpoints, commits of
exactly those offsets, revocation dropping a partition's state, dead letters for malformed lines."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from minisoc.correlator.kafka.settings import (
    KafkaSettings,
    group_consumer_config,
    reader_config,
    redacted,
    security_config,
)
from minisoc.correlator.kafka.source import KafkaLogSource
from minisoc.correlator.kafka.topics import log_type_for_topic
from minisoc.correlator.zeek import read_logs
from minisoc.correlator.zeek.deadletter import DeadLetter


class FakeMessage:
    def __init__(self, topic: str, partition: int, offset: int, value: bytes | None,
                 error: Any = None) -> None:
        self._topic, self._partition, self._offset, self._value, self._error = (
            topic, partition, offset, value, error)

    def error(self) -> Any:
        return self._error

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes | None:
        return self._value


class FakeConsumer:
    """Hands out queued message lists; `rebalance` runs the callbacks inside the next consume, as librdkafka
    does."""

    def __init__(self, assign: Sequence[tuple[str, int]]) -> None:
        self.queue: list[list[FakeMessage]] = []
        self.commits: list[list[tuple[str, int, int]]] = []
        self.callbacks: dict[str, Callable[..., None]] = {}
        self.pending: list[tuple[str, list[TopicPartition]]] = [
            ("on_assign", [TopicPartition(t, p) for t, p in assign])]
        self.fail_commit = False
        self.closed = False

    def subscribe(self, topics: list[str], **callbacks: Callable[..., None]) -> None:
        self.topics = topics
        self.callbacks = callbacks

    def rebalance(self, kind: str, partitions: Sequence[tuple[str, int]]) -> None:
        self.pending.append((kind, [TopicPartition(t, p) for t, p in partitions]))

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[FakeMessage]:
        while self.pending:
            kind, partitions = self.pending.pop(0)
            self.callbacks[kind](self, partitions)
        return self.queue.pop(0) if self.queue else []

    def commit(self, *, offsets: list[TopicPartition], asynchronous: bool) -> list[TopicPartition]:
        assert asynchronous is False
        if self.fail_commit:
            raise KafkaException(KafkaError(KafkaError.REBALANCE_IN_PROGRESS))
        self.commits.append([(tp.topic, tp.partition, tp.offset) for tp in offsets])
        return offsets

    def assignment(self) -> list[TopicPartition]:
        return []

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return partitions

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float = -1,
                              cached: bool = False) -> tuple[int, int]:
        return (0, 10)

    def close(self) -> None:
        self.closed = True


ZAT = "zeek/json/zat"


def source_for(consumer: FakeConsumer, **kwargs: Any) -> KafkaLogSource:
    return KafkaLogSource(consumer, ["^minisoc\\.zeek\\..+"], group="minisoc-correlators", **kwargs)


def messages_of(topic: str, lines: list[bytes], partitions: int) -> list[FakeMessage]:
    """Round-robin over `partitions`, offsets counted per partition (what the broker assigns)."""
    next_offset = [0] * partitions
    out = []
    for n, line in enumerate(lines):
        partition = n % partitions
        out.append(FakeMessage(topic, partition, next_offset[partition], line))
        next_offset[partition] += 1
    return out


def test_records_are_those_of_the_file_reader(shared_data: Path) -> None:
    path = shared_data / ZAT / "conn.log"
    lines = path.read_bytes().splitlines()
    consumer = FakeConsumer([("minisoc.zeek.conn", p) for p in range(3)])
    consumer.queue.append(messages_of("minisoc.zeek.conn", lines, 3))
    batches = list(source_for(consumer).batches())
    from_kafka = [(r.log_type, r.raw, r.ts, r.fields) for b in batches for r in b.records]
    from_file = [(r.log_type, r.raw, r.ts, r.fields) for r in read_logs([path])]
    assert sorted(from_kafka, key=repr) == sorted(from_file, key=repr)
    assert len(from_kafka) == 50
    assert all(r.path is None for b in batches for r in b.records)  # no file: no log.file in the alerts



def test_the_checkpoint_is_the_next_offset_of_each_partition_and_commit_commits_exactly_that() -> None:
    consumer = FakeConsumer([("minisoc.zeek.dns", 0), ("minisoc.zeek.dns", 1)])
    line = json.dumps({"ts": 1.0, "uid": "C1", "query": "a.example"}).encode()
    consumer.queue.append([FakeMessage("minisoc.zeek.dns", 0, 7, line),
                           FakeMessage("minisoc.zeek.dns", 1, 3, line),
                           FakeMessage("minisoc.zeek.dns", 0, 8, line)])
    source = source_for(consumer)
    [batch] = list(source.batches())
    assert sorted(map(tuple, batch.checkpoint["offsets"])) == [("minisoc.zeek.dns", 0, 9),
                                                               ("minisoc.zeek.dns", 1, 4)]
    assert [r.log_type for r in batch.records] == ["dns"] * 3  # from the topic: the lines have no _path
    assert consumer.commits == []  # nothing committed before the loop says the alerts are durable
    source.commit(batch.checkpoint)
    assert sorted(consumer.commits[0]) == [("minisoc.zeek.dns", 0, 9), ("minisoc.zeek.dns", 1, 4)]


def test_a_revoked_partition_is_dropped_and_never_committed() -> None:
    consumer = FakeConsumer([("minisoc.zeek.conn", 0), ("minisoc.zeek.conn", 1)])
    line = b'{"ts": 1.0, "uid": "C1"}'
    consumer.queue.append([FakeMessage("minisoc.zeek.conn", 0, 0, line),
                           FakeMessage("minisoc.zeek.conn", 1, 0, line)])
    source = source_for(consumer)
    [first] = list(source.batches())
    # the loop still holds `first` (its sink pushed back) when partition 1 goes to another replica
    consumer.rebalance("on_revoke", [("minisoc.zeek.conn", 1)])
    consumer.queue.append([FakeMessage("minisoc.zeek.conn", 1, 1, line),
                           FakeMessage("minisoc.zeek.conn", 0, 1, line)])
    [second] = list(source.batches())
    # partition 1's message, fetched before the revocation, is dropped: the new owner reads it
    assert [tuple(o) for o in second.checkpoint["offsets"]] == [("minisoc.zeek.conn", 0, 2)]
    assert len(second.records) == 1
    source.commit(first.checkpoint)
    assert consumer.commits == [[("minisoc.zeek.conn", 0, 1)]]  # not partition 1: the new owner's now
    assert ("minisoc.zeek.conn", 1) not in source._parsers


def test_malformed_lines_are_dead_lettered_and_their_offsets_committed(tmp_path: Path) -> None:
    consumer = FakeConsumer([("minisoc.zeek.http", 0)])
    good = b'{"ts": 1.0, "uid": "C1", "host": "a.example"}'
    consumer.queue.append([FakeMessage("minisoc.zeek.http", 0, 0, b"{broken"),
                           FakeMessage("minisoc.zeek.http", 0, 1, good),
                           FakeMessage("minisoc.zeek.http", 0, 2, b"[1, 2]"),
                           FakeMessage("minisoc.zeek.http", 0, 3, None)])
    dead = DeadLetter(tmp_path / "dead.jsonl")
    source = source_for(consumer, dead_letter=dead)
    [batch] = list(source.batches())
    assert len(batch.records) == 1 and batch.records[0].log_type == "http"
    assert batch.checkpoint["offsets"] == [["minisoc.zeek.http", 0, 4]]  # past the bad ones: never blocked
    dead.close()
    entries = [json.loads(line) for line in (tmp_path / "dead.jsonl").read_text().splitlines()]
    assert [(e["source"], e["offset"]) for e in entries] == [("kafka:minisoc.zeek.http/0", 0),
                                                             ("kafka:minisoc.zeek.http/0", 2)]
    assert source.stats.malformed_total == 2


def test_a_failed_commit_is_counted_not_raised() -> None:
    consumer = FakeConsumer([("minisoc.zeek.conn", 0)])
    consumer.queue.append([FakeMessage("minisoc.zeek.conn", 0, 0, b'{"ts": 1.0}')])
    source = source_for(consumer)
    [batch] = list(source.batches())
    consumer.fail_commit = True
    source.commit(batch.checkpoint)
    assert source.commit_failures == 1


def test_batches_returns_when_the_partitions_hold_nothing_more() -> None:
    consumer = FakeConsumer([("minisoc.zeek.conn", 0)])
    assert list(source_for(consumer).batches()) == []
    assert consumer.topics == ["^minisoc\\.zeek\\..+"]


def test_status_shows_partitions_and_lag() -> None:
    consumer = FakeConsumer([("minisoc.zeek.conn", 0)])
    consumer.assignment = lambda: [TopicPartition("minisoc.zeek.conn", 0, 4)]  # type: ignore[method-assign]
    source = source_for(consumer)
    list(source.batches())
    status = source.status()
    assert status["partitions"][0]["lag"] == 6 and status["lag"] == 6
    assert status["group"] == "minisoc-correlators"


def test_log_types_come_from_the_topic() -> None:
    assert log_type_for_topic("minisoc.zeek.conn") == "conn"
    assert log_type_for_topic("minisoc.syslog") == "syslog"
    assert log_type_for_topic("minisoc.netflow") == "netflow"
    assert log_type_for_topic("other") is None


def test_client_configuration(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    settings = KafkaSettings(("k1:9093", "k2:9093"), username="correlator", password_file=secret,
                             ca_file=tmp_path / "ca.pem")
    config = group_consumer_config(settings, "s3cret")
    assert config["bootstrap.servers"] == "k1:9093,k2:9093"
    assert config["group.id"] == "minisoc-correlators"
    assert config["enable.auto.commit"] is False and config["auto.offset.reset"] == "earliest"
    assert config["sasl.mechanism"] == "SCRAM-SHA-512" and config["security.protocol"] == "SASL_SSL"
    assert config["ssl.ca.location"] == str(tmp_path / "ca.pem")
    assert "s3cret" not in repr(redacted(config))
    assert reader_config(settings, "s3cret", "x")["group.id"] != config["group.id"]
    assert security_config(KafkaSettings(("k:9092",), security_protocol="PLAINTEXT"), None) == {
        "security.protocol": "PLAINTEXT"}
    with pytest.raises(ValueError, match="password"):
        security_config(KafkaSettings(("k:9093",), username="correlator"), None)


def test_no_partitions_are_taken_before_the_source_is_ready() -> None:
    consumer = FakeConsumer([("minisoc.zeek.conn", 0)])
    ready = False
    source = KafkaLogSource(consumer, ["minisoc.zeek.conn"], ready=lambda: ready)
    assert list(source.batches()) == [] and not hasattr(consumer, "topics")  # not even subscribed
    ready = True
    list(source.batches())
    assert consumer.topics == ["minisoc.zeek.conn"]


def test_syslog_and_flow_topics_give_the_records_the_input_files_give(tmp_path: Path) -> None:
    syslog = b"Dec  4 21:15:53 gw1 sshd[812]: Failed password for root from 198.51.100.7 port 4711 ssh2"
    flow = json.dumps({"event_type": "purge", "peer_ip_src": "192.0.2.1", "ip_src": "192.0.2.10",
                       "ip_dst": "203.0.113.9", "port_src": 51234, "port_dst": 443, "ip_proto": "tcp",
                       "timestamp_start": "2026-12-04 21:15:50.000000", "timestamp_end":
                       "2026-12-04 21:15:58.000000", "packets": 10, "bytes": 1234}).encode()
    consumer = FakeConsumer([("minisoc.syslog", 0), ("minisoc.netflow", 0)])
    consumer.queue.append([FakeMessage("minisoc.syslog", 0, 0, syslog),
                           FakeMessage("minisoc.netflow", 0, 0, flow)])
    [batch] = list(KafkaLogSource(consumer, ["minisoc.syslog", "minisoc.netflow"]).batches())
    (tmp_path / "syslog.log").write_bytes(syslog + b"\n")
    (tmp_path / "flows.json").write_bytes(flow + b"\n")
    from_files = [r for name in ("syslog.log", "flows.json") for r in read_logs([tmp_path / name])]
    assert [r.log_type for r in batch.records] == ["syslog", "netflow"]
    assert [(r.log_type, r.raw, r.fields) for r in batch.records] == [
        (r.log_type, r.raw, r.fields) for r in from_files]
