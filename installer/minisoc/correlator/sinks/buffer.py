"""A durable on-disk queue of batches, for when a sink cannot take a write (OpenSearch down, MISP away).

Each batch is one file `<sequence>-<items>.json`, written atomically; a batch leaves the queue only after the
sink took it. With idempotent alert ids this turns at-least-once delivery into exactly-once effect.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

import msgspec

from minisoc.correlator.model import Alert, Sighting
from minisoc.correlator.sinks.opensearch_bulk import BulkDoc
from minisoc.correlator.typing import AlertSink, SightingSink, SinkUnavailable
from minisoc.durable import fsync_directory, write_atomic

Item = TypeVar("Item", Alert, Sighting, BulkDoc)
log = logging.getLogger(__name__)


class BufferFull(SinkUnavailable):
    """The buffer reached its size limit: the caller must stop reading and retry later (back-pressure)."""


class DurableBuffer(Generic[Item]):
    """Batches waiting for a sink, oldest first, in `directory`."""

    def __init__(self, directory: Path, item_type: type[Item], max_bytes: int = 1 << 30) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._decoder = msgspec.json.Decoder(list[item_type])  # type: ignore[valid-type]
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob(".*.tmp"):
            stale.unlink()
        self._files = sorted(directory.glob("*.json"), key=_sequence)
        self._next = _sequence(self._files[-1]) + 1 if self._files else 0
        self._items = sum(_item_count(path) for path in self._files)
        self._bytes = sum(path.stat().st_size for path in self._files)

    @property
    def backlog(self) -> int:
        """Items waiting."""
        return self._items

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __bool__(self) -> bool:
        return bool(self._files)

    def append(self, items: Sequence[Item]) -> None:
        """Keep `items` durably (fsync'd) until `drain` hands them to a sink."""
        if not items:
            return
        data = msgspec.json.encode(list(items))
        if self._bytes + len(data) > self.max_bytes:
            raise BufferFull(
                f"the buffer in {self.directory} is full ({self._bytes} bytes); waiting for the sink"
            )
        path = self.directory / f"{self._next:012d}-{len(items)}.json"
        write_atomic(path, data)
        self._next += 1
        self._files.append(path)
        self._items += len(items)
        self._bytes += len(data)

    def peek(self) -> tuple[Path, list[Item]] | None:
        """The oldest batch, or None."""
        if not self._files:
            return None
        path = self._files[0]
        return path, self._decoder.decode(path.read_bytes())

    def pop(self, path: Path) -> None:
        """Forget the oldest batch: its sink has it."""
        if not self._files or self._files[0] != path:
            raise ValueError(f"{path} is not the oldest buffered batch")
        self._files.pop(0)
        self._items -= _item_count(path)
        self._bytes -= path.stat().st_size
        path.unlink()
        fsync_directory(self.directory)


def _sequence(path: Path) -> int:
    return int(path.stem.split("-", 1)[0])


def _item_count(path: Path) -> int:
    return int(path.stem.split("-", 1)[1])


class BufferedWriter(Generic[Item]):
    """Delivers batches through `deliver`; when it raises SinkUnavailable the batch is kept in `buffer`.

    `submit` returns once the items are durable, delivered or buffered. It raises SinkUnavailable only as
    BufferFull (back-pressure). `drain` retries the buffer, oldest first.
    """

    def __init__(
        self,
        name: str,
        deliver: Callable[[Sequence[Item]], None],
        buffer: DurableBuffer[Item],
        *,
        cooldown_s: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.cooldown_s = cooldown_s  # after a failure, buffer without trying the sink for this long
        self._clock = clock
        self._blocked_until = 0.0
        self.deliver: Callable[[Sequence[Item]], None] = deliver
        self.buffer: DurableBuffer[Item] = buffer
        self.last_error: str | None = None

    @property
    def backlog(self) -> int:
        return int(self.buffer.backlog)

    def submit(self, items: Sequence[Item]) -> None:
        if self.drain() and items:
            try:
                self.deliver(items)
                return
            except SinkUnavailable as error:
                self._note(error)
        self.buffer.append(items)

    def drain(self) -> bool:
        """Hand buffered batches over, oldest first; True when nothing is left waiting."""
        if self.buffer and self._clock() < self._blocked_until:
            return False
        while (head := self.buffer.peek()) is not None:
            path, items = head
            try:
                self.deliver(items)
            except SinkUnavailable as error:
                self._note(error)
                return False
            self.buffer.pop(path)
        self.last_error = None
        return True

    def _note(self, error: SinkUnavailable) -> None:
        self._blocked_until = self._clock() + self.cooldown_s
        if str(error) != self.last_error:
            log.warning("%s unavailable, buffering on disk: %s", self.name, error)
        self.last_error = str(error)


class BufferedAlertSink(BufferedWriter[Alert]):
    """An AlertSink that never loses a batch: durable in the inner sink or in the on-disk buffer."""

    def __init__(self, inner: AlertSink, buffer: DurableBuffer[Alert], *, cooldown_s: float = 0.0) -> None:
        super().__init__("alert sink", inner.write, buffer, cooldown_s=cooldown_s)
        self.inner = inner

    def write(self, alerts: Sequence[Alert]) -> None:
        self.submit(alerts)

    def close(self) -> None:
        self.inner.close()


class BufferedSightingSink(BufferedWriter[Sighting]):
    """A SightingSink whose sightings wait on disk while MISP cannot take them."""

    def __init__(
        self, inner: SightingSink, buffer: DurableBuffer[Sighting], *, cooldown_s: float = 0.0
    ) -> None:
        super().__init__("sighting sink", inner.add_sightings, buffer, cooldown_s=cooldown_s)
        self.inner = inner

    def add_sightings(self, sightings: Sequence[Sighting]) -> None:
        self.submit(sightings)
