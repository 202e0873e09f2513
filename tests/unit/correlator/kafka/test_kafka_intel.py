"""TopicIntel over a fake compacted topic: the leader publishes its sources' sets (tombstones for removals),
every replica's loop gets the upstream sources' whole sets from the topic, and the service loop itself, fed
these sources, matches what a replica syncing the intel file itself matches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from minisoc.correlator import Alert
from minisoc.correlator.intel import IntelFileSource
from minisoc.correlator.kafka.intel import SYNCED_KEY, IntelTopicReader, TopicIntel
from minisoc.correlator.service.intel_set import IntelSet
from minisoc.correlator.service.loop import CorrelatorService, ServiceParts
from minisoc.correlator.sinks import BufferedAlertSink, DurableBuffer, SqliteAlertSink
from minisoc.correlator.typing import IntelUpdate

TOPIC = "minisoc.intel"
FIELDS = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"


class Topic:
    """One partition's log of (key, value); compaction is not modelled (readers must not depend on it)."""

    def __init__(self) -> None:
        self.log: list[tuple[bytes | None, bytes | None]] = []


class Message:
    def __init__(self, key: bytes | None, value: bytes | None) -> None:
        self._key, self._value = key, value

    def error(self) -> None:
        return None

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value


class FakeReader:
    def __init__(self, topic: Topic) -> None:
        self.topic = topic
        self.offset = 0
        self.assigned: list[TopicPartition] = []

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> Any:
        meta = type("TopicMetadata", (), {"error": None, "partitions": dict.fromkeys([0])})()
        return type("ClusterMetadata", (), {"topics": {TOPIC: meta}})()

    def assign(self, partitions: list[TopicPartition]) -> None:
        self.assigned = partitions

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]:
        out = [Message(k, v) for k, v in self.topic.log[self.offset:self.offset + num_messages]]
        self.offset += len(out)
        return out

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float = -1,
                              cached: bool = False) -> tuple[int, int]:
        return (0, len(self.topic.log))

    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        return [TopicPartition(TOPIC, 0, self.offset)]

    def close(self) -> None:
        pass


class FakeProducer:
    def __init__(self, topic: Topic) -> None:
        self.topic = topic

    def produce(self, topic: str, value: bytes | None = None, key: bytes | None = None, partition: int = -1,
                callback: Any = None, on_delivery: Any = None) -> None:
        self.topic.log.append((key, value))

    def poll(self, timeout: float = -1) -> int:
        return 0

    def flush(self, timeout: float = -1) -> int:
        return 0


class FailingSource:
    name = "broken-feed"

    def sync(self) -> IntelUpdate:
        raise OSError("feed unreachable")


def sync_all(intel: TopicIntel, into: IntelSet) -> list[str]:
    """What the loop does with its sources: sync each, apply; the errors by source name."""
    errors = []
    for source in intel:
        try:
            into.apply(source.sync())
        except Exception:
            errors.append(source.name)
    return errors


@pytest.fixture()
def intel_file(tmp_path: Path) -> Path:
    path = tmp_path / "lab.intel"
    path.write_text(FIELDS + "10.18.20.97\tIntel::ADDR\tlab\tx\nevil.example\tIntel::DOMAIN\tlab\ty\n")
    return path


def test_the_leader_publishes_and_every_replica_gets_the_same_set(tmp_path: Path, intel_file: Path) -> None:
    topic = Topic()
    leader = TopicIntel(IntelTopicReader(FakeReader(topic), TOPIC),
                        leader=([IntelFileSource(intel_file)], IntelSet(tmp_path / "own"),
                                FakeProducer(topic)))
    follower = TopicIntel(IntelTopicReader(FakeReader(topic), TOPIC))
    leader_set, follower_set = IntelSet(tmp_path / "l"), IntelSet(tmp_path / "f")
    assert sync_all(leader, leader_set) == []
    assert sync_all(follower, follower_set) == []
    direct = IntelSet(tmp_path / "direct")
    direct.apply(IntelFileSource(intel_file).sync())
    assert sorted(leader_set, key=repr) == sorted(direct, key=repr) == sorted(follower_set, key=repr)
    assert follower_set.sources() == ["lab.intel"]  # the upstream name, not the topic's
    assert len(topic.log) == 3  # two indicators and the leader's mark
    assert follower.ready and leader.ready

    # a removal upstream: a tombstone on the topic, the indicator gone on every replica
    intel_file.write_text(FIELDS + "10.18.20.97\tIntel::ADDR\tlab\tx\n")
    sync_all(leader, leader_set)
    sync_all(follower, follower_set)
    assert topic.log[-2][1] is None and topic.log[-1][0] == SYNCED_KEY  # the tombstone, then the mark
    assert [i.value for i in follower_set] == [i.value for i in leader_set] == ["10.18.20.97"]
    # nothing changed: nothing published, the views give no new set
    before = len(topic.log)
    sync_all(leader, leader_set)
    sync_all(follower, follower_set)
    assert len(topic.log) == before and [i.value for i in follower_set] == ["10.18.20.97"]


def test_a_source_failing_at_the_leader_keeps_its_set_and_shows_its_error(tmp_path: Path,
                                                                          intel_file: Path) -> None:
    topic = Topic()
    leader = TopicIntel(IntelTopicReader(FakeReader(topic), TOPIC),
                        leader=([IntelFileSource(intel_file), FailingSource()], IntelSet(tmp_path / "own"),
                                FakeProducer(topic)))
    assert sync_all(leader, IntelSet(tmp_path / "l")) == []  # broken-feed never had a set: no view of it
    assert leader.leader_errors == {"broken-feed": "OSError: feed unreachable"}


def test_no_view_before_the_topic_was_read_to_its_end(tmp_path: Path) -> None:
    class Lagging(FakeReader):
        def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
            return [TopicPartition(TOPIC, 0, -1001)]

    topic = Topic()
    topic.log.append((b'["lab","ip","1.2.3.4"]',
                      b'{"value":"1.2.3.4","kind":"ip","type":"ip-dst","source":"lab"}'))
    reader = IntelTopicReader(Lagging(topic), TOPIC)
    reader.catch_up = lambda timeout_s=0.0: False  # type: ignore[method-assign]
    intel = TopicIntel(reader)
    assert [source.name for source in intel] == [TOPIC]
    with pytest.raises(RuntimeError, match="not read to its end"):
        intel.sync()
    assert list(intel.views()) == []


def test_the_service_loop_matches_from_the_topic(tmp_path: Path, intel_file: Path) -> None:
    topic = Topic()
    TopicIntel(IntelTopicReader(FakeReader(topic), TOPIC),
               leader=([IntelFileSource(intel_file)], IntelSet(tmp_path / "own"), FakeProducer(topic))).sync()
    store = SqliteAlertSink(tmp_path / "alerts.db")

    class NoLogs:
        def batches(self) -> list[Any]:
            return []

        def commit(self, checkpoint: dict[str, Any]) -> None:
            raise AssertionError("nothing to commit")

    service = CorrelatorService(ServiceParts(
        site="lab", sources=TopicIntel(IntelTopicReader(FakeReader(topic), TOPIC)),
        intel=IntelSet(tmp_path / "intel"), log_source=NoLogs(),
        alerts=BufferedAlertSink(store, DurableBuffer(tmp_path / "buffer", Alert)),
        log_dir=tmp_path / "none", export_path=None, retro_on_first_load=False))
    service.step()
    assert sorted(i.value for i in service._active) == ["10.18.20.97", "evil.example"]
    assert len(service.matcher.index) == 2
    code, health = service.health()
    assert code == 200 and set(health["components"]["intel"]["sources"]) == {TOPIC, "lab.intel"}


def test_a_follower_is_not_ready_before_the_leader_published(tmp_path: Path, intel_file: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("minisoc.correlator.kafka.intel.LEADER_WAIT_S", 0.0)
    topic = Topic()
    follower = TopicIntel(IntelTopicReader(FakeReader(topic), TOPIC))
    follower_set = IntelSet(tmp_path / "f")
    assert sync_all(follower, follower_set) == [TOPIC]  # its error: no leader has published yet
    assert not follower.ready
    TopicIntel(IntelTopicReader(FakeReader(topic), TOPIC),
               leader=([IntelFileSource(intel_file)], IntelSet(tmp_path / "own"), FakeProducer(topic))).sync()
    assert not follower.ready  # the mark is there, but the loop has not taken the set yet
    assert sync_all(follower, follower_set) == []
    assert follower.ready and len(follower_set) == 2


class LeaderlessAtFirst(FakeReader):
    """A partition whose leader is still being elected (a topic just created): the broker answers
    NOT_LEADER_FOR_PARTITION the first `refusals` times (the CI failure of test_kafka_correlators)."""

    def __init__(self, topic: Topic, refusals: int, code: int = KafkaError.NOT_LEADER_FOR_PARTITION) -> None:
        super().__init__(topic)
        self.refusals, self.code, self.asked = refusals, code, 0

    def get_watermark_offsets(self, partition: TopicPartition, timeout: float = -1,
                              cached: bool = False) -> tuple[int, int]:
        self.asked += 1
        if self.asked <= self.refusals:
            raise KafkaException(KafkaError(self.code))
        return super().get_watermark_offsets(partition, timeout, cached)


def test_catch_up_asks_again_while_the_partition_has_no_leader() -> None:
    topic = Topic()
    topic.log.append((b"k", None))
    reader = LeaderlessAtFirst(topic, refusals=2)
    assert IntelTopicReader(reader, TOPIC).catch_up(timeout_s=10) is True
    assert reader.asked == 3 and reader.offset == 1


def test_catch_up_raises_what_is_not_retriable_and_gives_up_at_its_deadline() -> None:
    refused = LeaderlessAtFirst(Topic(), refusals=1, code=KafkaError.TOPIC_AUTHORIZATION_FAILED)
    with pytest.raises(KafkaException, match="TOPIC_AUTHORIZATION_FAILED"):
        IntelTopicReader(refused, TOPIC).catch_up(timeout_s=10)
    assert refused.asked == 1
    leaderless = LeaderlessAtFirst(Topic(), refusals=10**6)
    with pytest.raises(KafkaException):
        IntelTopicReader(leaderless, TOPIC).catch_up(timeout_s=1.2)
    assert 2 <= leaderless.asked <= 5
