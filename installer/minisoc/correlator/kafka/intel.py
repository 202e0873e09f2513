"""Intel over Kafka: one leader syncs MISP and the feeds, every replica reads the set from `minisoc.intel`.

The topic is compacted: key = the indicator's key (`Indicator.key()` as a JSON array), value = the indicator
(msgspec JSON), an empty value (tombstone) = removed. Reading it from the beginning gives the whole current
set; reading on gives the changes.

`TopicIntel` is what the service loop gets as its intel sources (a Sequence of IntelSource, so the loop is
unchanged). Iterating it yields first `refresh` (named after the topic): its sync() reads the topic up to
its end (and, on the leader, first syncs the real sources into the leader's own IntelSet and publishes the
difference between that set and the topic). Then, lazily (after refresh ran), one view per upstream source
(`misp`, a feed's name, ...): one whose indicators changed on the topic returns the source's whole set
(`complete=True`), so the loop's IntelSet, its retro-hunt and its metrics see the upstream names exactly as
when the replica synced them itself. Until the topic was read to its end once, no view is given: a partial
read must not look like removals. The leader also writes a mark (SYNCED_KEY, not an indicator) once it has
published; `ready` turns true once the loop took the views of a pass that saw it, and the log source reads
no logs before (a replica started with an empty set would miss the alerts of what it reads first).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import msgspec
from confluent_kafka import OFFSET_BEGINNING, KafkaError, KafkaException, TopicPartition

from minisoc.correlator.model import Indicator
from minisoc.correlator.typing import IntelSource, IntelUpdate

log = logging.getLogger(__name__)
CATCH_UP_TIMEOUT_S = 30.0
# answers that pass once a partition has its leader again (a topic just created, a broker restarting)
_TRANSIENT = frozenset({
    KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE, KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError.REQUEST_TIMED_OUT, KafkaError._TIMED_OUT, KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN,
})
LEADER_WAIT_S = 30.0  # at start, a replica waits this long per sync for the leader's first publication
# not an indicator: the leader's mark that it synced its sources and published them (value: the time)
SYNCED_KEY = b'["minisoc.intel","leader-synced"]'
_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(Indicator)


def indicator_key(indicator: Indicator) -> bytes:
    return _ENCODER.encode(list(indicator.key()))


def indicator_value(indicator: Indicator) -> bytes:
    return _ENCODER.encode(indicator)


class ReaderLike(Protocol):
    def list_topics(self, topic: str | None = ..., timeout: float = ...) -> Any: ...
    def assign(self, partitions: list[TopicPartition]) -> None: ...
    def consume(self, num_messages: int = ..., timeout: float = ...) -> Sequence[Any]: ...
    def get_watermark_offsets(self, partition: TopicPartition, timeout: float = ...,
                              cached: bool = ...) -> tuple[int, int] | None: ...
    def position(self, partitions: list[TopicPartition]) -> list[TopicPartition]: ...
    def close(self) -> None: ...


class ProducerLike(Protocol):
    def produce(self, topic: str, value: bytes | None = ..., key: bytes | None = ..., partition: int = ...,
                callback: Callable[[Any, Any], None] | None = ...,
                on_delivery: Callable[[Any, Any], None] | None = ...) -> None: ...
    def poll(self, timeout: float = ...) -> int: ...
    def flush(self, timeout: float = ...) -> int: ...


class IndicatorSet(Protocol):
    """The leader's own set of what its sources hold (service.intel_set.IntelSet)."""

    def apply(self, update: IntelUpdate) -> Any: ...
    def __iter__(self) -> Iterator[Indicator]: ...


class IntelTopicReader:
    """The topic's current content (key -> indicator), every partition assigned from the beginning."""

    def __init__(self, consumer: ReaderLike, topic: str) -> None:
        self.consumer = consumer
        self.topic = topic
        self.current: dict[bytes, Indicator] = {}
        self.partitions: set[int] = set()
        self.undecodable = 0
        self.leader_synced = False  # the leader's mark is on the topic: it published its sources once
        self.versions: dict[str, int] = {}  # per upstream source: bumped by every message about it

    def _assign_new_partitions(self) -> None:
        metadata = self.consumer.list_topics(self.topic, timeout=10.0)
        found = metadata.topics.get(self.topic)
        if found is None or found.error is not None:
            raise KafkaException(found.error if found is not None else f"no topic {self.topic}")
        new = set(found.partitions) - self.partitions
        if new:
            self.partitions |= new
            self.consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING)
                                  for p in sorted(self.partitions)])

    def catch_up(self, timeout_s: float = CATCH_UP_TIMEOUT_S) -> bool:
        """Read until every partition's position reaches the end it had when this began (True), or timeout."""
        self._assign_new_partitions()
        deadline = time.monotonic() + timeout_s
        ends = {}
        for partition in self.partitions:
            marks = self._watermarks(partition, deadline)
            if marks is not None and marks[1] > marks[0]:  # low == high: nothing left to read there
                ends[partition] = marks[1]
        while True:
            self.read_available(0.2)
            positions = self.consumer.position([TopicPartition(self.topic, p) for p in self.partitions])
            behind = [tp for tp in positions if ends.get(tp.partition, 0) > 0
                      and (tp.offset < 0 or tp.offset < ends[tp.partition])]
            if not behind:
                return True
            if time.monotonic() >= deadline:
                return False

    def _watermarks(self, partition: int, deadline: float) -> tuple[int, int] | None:
        """(low, high) of a partition. Right after the topic is created, or while a broker restarts, the
        partition may have no leader yet (NOT_LEADER_FOR_PARTITION: librdkafka does not flag it retriable
        here): such transient answers are asked again until `deadline`, then raised; others at once."""
        while True:
            try:
                marks: tuple[int, int] | None = self.consumer.get_watermark_offsets(
                    TopicPartition(self.topic, partition), timeout=10.0)
                return marks
            except KafkaException as error:
                reason = error.args[0] if error.args else None
                if not isinstance(reason, KafkaError) or time.monotonic() >= deadline:
                    raise
                if not (reason.retriable() or reason.code() in _TRANSIENT):
                    raise
                log.info("%s [%d]: %s; asking again", self.topic, partition, reason.str())
                time.sleep(0.5)

    def read_available(self, timeout_s: float) -> int:
        """Apply what the topic holds now; the number of messages read."""
        total = 0
        while True:
            messages = self.consumer.consume(num_messages=10000, timeout=timeout_s)
            if not messages:
                return total
            for message in messages:
                if message.error() is not None:
                    continue
                self._apply(message.key(), message.value())
                total += 1

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            return
        if key == SYNCED_KEY:
            self.leader_synced = self.leader_synced or bool(value)
            return
        old = self.current.get(key)
        if value is None or not value:
            if old is not None:
                del self.current[key]
                self._bump(old.source)
            return
        try:
            indicator = _DECODER.decode(value)
        except msgspec.DecodeError:
            self.undecodable += 1
            return
        self.current[key] = indicator
        self._bump(indicator.source)
        if old is not None and old.source != indicator.source:
            self._bump(old.source)

    def _bump(self, source: str) -> None:
        self.versions[source] = self.versions.get(source, 0) + 1

    def by_source(self) -> dict[str, list[Indicator]]:
        grouped: dict[str, list[Indicator]] = {}
        for indicator in self.current.values():
            grouped.setdefault(indicator.source, []).append(indicator)
        return grouped


def publish_difference(producer: ProducerLike, topic: str, desired: dict[bytes, Indicator],
                       current: dict[bytes, Indicator], *, marked: bool = True,
                       timeout_s: float = 60.0) -> tuple[int, int]:
    """Make the topic hold `desired`: produce what is new or changed, a tombstone for what is gone, then the
    leader's mark (when anything changed, or it is not `marked` yet); wait until the broker acknowledged
    all. Returns (produced, tombstones); raises KafkaException on a failure."""
    failures: list[str] = []

    def delivered(error: Any, _message: Any) -> None:
        if error is not None:
            failures.append(str(error))

    produced = tombstones = 0
    for key, indicator in desired.items():
        if current.get(key) != indicator:
            producer.produce(topic, value=indicator_value(indicator), key=key, on_delivery=delivered)
            producer.poll(0)
            produced += 1
    for key in current.keys() - desired.keys():
        producer.produce(topic, value=None, key=key, on_delivery=delivered)
        producer.poll(0)
        tombstones += 1
    if produced or tombstones or not marked:
        producer.produce(topic, value=_ENCODER.encode({"synced_at": time.time()}), key=SYNCED_KEY,
                         on_delivery=delivered)
    left = producer.flush(timeout_s)
    if left or failures:
        raise KafkaException(f"{left} indicator message(s) not acknowledged; {failures[:3]}")
    return produced, tombstones


class _View:
    """One upstream source as read from the topic (see the module docstring); `done` runs once the loop has
    taken it (so a view that was only listed, or whose sync failed, is offered again)."""

    def __init__(self, name: str, indicators: list[Indicator] | None, error: str | None,
                 done: Callable[[], None]) -> None:
        self.name = name
        self._indicators = indicators
        self._error = error
        self._done = done

    def sync(self) -> IntelUpdate:
        if self._error is not None:
            raise RuntimeError(f"the intel leader's sync failed: {self._error}")
        self._done()
        if self._indicators is None:  # unchanged on the topic
            return IntelUpdate(source=self.name, added=[])
        return IntelUpdate(source=self.name, added=self._indicators, complete=True)


class TopicIntel(Sequence[IntelSource]):
    """The loop's intel sources in Kafka mode; `leader` is set on the one replica that syncs upstream."""

    def __init__(self, reader: IntelTopicReader, *, leader: tuple[Sequence[IntelSource], IndicatorSet,
                                                                  ProducerLike] | None = None) -> None:
        self.reader = reader
        self.leader = leader
        self.name = reader.topic
        self.caught_up = False
        self.leader_errors: dict[str, str] = {}
        self._emitted: dict[str, int] = {}  # source -> the version last handed to the loop
        self._marked_before_views = False  # the refresh of this pass saw the leader's mark
        self.ready = False  # the loop holds the leader's set: logs may be read (KafkaLogSource's gate)

    # the refresh source (the first item)
    def sync(self) -> IntelUpdate:
        if not self.caught_up:
            self.caught_up = self.reader.catch_up()
            if not self.caught_up:
                raise RuntimeError(f"{self.reader.topic}: not read to its end within {CATCH_UP_TIMEOUT_S}s")
        else:
            self.reader.read_available(0.1)
        if self.leader is not None:
            self._lead(*self.leader)
        deadline = time.monotonic() + LEADER_WAIT_S
        while not self.reader.leader_synced and time.monotonic() < deadline:
            self.reader.read_available(0.5)  # a replica starting with the leader: its first set is coming
        if not self.reader.leader_synced:
            raise RuntimeError(f"{self.reader.topic}: no intel leader has published yet (one replica must "
                               "have kafka.intel_role: leader); logs are not read until it has")
        self._marked_before_views = True
        return IntelUpdate(source=self.name, added=[])

    def _lead(self, sources: Sequence[IntelSource], own: IndicatorSet, producer: ProducerLike) -> None:
        for source in sources:
            try:
                own.apply(source.sync())
            except Exception as error:  # one failing source keeps its last good set, as in the loop
                message = getattr(error, 'message', error)
                self.leader_errors[source.name] = f"{type(error).__name__}: {message}"
                log.warning("intel source %s: sync failed, keeping its last good set: %s", source.name,
                            self.leader_errors[source.name])
                continue
            self.leader_errors.pop(source.name, None)
        desired = {indicator_key(indicator): indicator for indicator in own}
        marked = self.reader.leader_synced
        produced, tombstones = publish_difference(producer, self.reader.topic, desired, self.reader.current,
                                                  marked=marked)
        if produced or tombstones or not marked:
            log.info("intel: published %d indicator(s) and %d removal(s) to %s", produced, tombstones,
                     self.reader.topic)
            self.reader.catch_up()  # read our own messages back: the views below show them

    def views(self) -> Iterator[IntelSource]:
        if not self.caught_up:
            return
        grouped = self.reader.by_source()
        for name in sorted(set(grouped) | set(self._emitted)):
            version = self.reader.versions.get(name, 0)
            changed = self._emitted.get(name) != version
            yield _View(name, grouped.get(name, []) if changed else None, self.leader_errors.get(name),
                        functools.partial(self._taken, name, version, name in grouped))

    def _taken(self, name: str, version: int, present: bool) -> None:
        if present:
            self._emitted[name] = version
        else:
            self._emitted.pop(name, None)  # its removal was handed over: forget it

    def __iter__(self) -> Iterator[IntelSource]:
        self._marked_before_views = False
        yield self
        yield from self.views()
        if self._marked_before_views:  # the loop went through every view: its set is the leader's
            self.ready = True

    def __len__(self) -> int:
        return 1 + len(set(self.reader.by_source()) | set(self._emitted))

    def __getitem__(self, index: Any) -> Any:
        return list(self)[index]  # listing has no effect: a view is taken only by its sync()
