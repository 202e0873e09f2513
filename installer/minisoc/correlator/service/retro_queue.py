"""Indicators owed a retro-hunt, kept on disk until every alert of that hunt is durable.

The intel set is persisted as soon as a sync brings new indicators; from then on a restart no longer sees
them as new. Without this queue, a crash between that write and the end of the retro-hunt lost the alerts of
every line the tailer had already read (and committed) before the indicators arrived. The queue is written
before the intel set, and emptied only after the last retro batch reached the sink or the on-disk buffer;
a restart finds it non-empty and hunts again (alert ids are deterministic: the repeat adds nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec

from minisoc.correlator.model import Indicator
from minisoc.durable import write_atomic

RETRO_QUEUE_FILE = "retro-pending.msgpack"


class _Pending(msgspec.Struct):
    since: float  # when the hunt was first owed: the window of files it covers stays the same on resume
    indicators: list[Indicator]
    # when each indicator was owed (its first-seen time: only events before it are hunted); empty in a
    # queue written before it was kept: `since` for all
    first_seen: list[float] = []


class RetroQueue:
    """The indicators a retro-hunt still owes alerts for, in one atomically replaced file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pending: _Pending | None = None
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return
        self._pending = msgspec.msgpack.decode(data, type=_Pending)

    @property
    def indicators(self) -> list[Indicator]:
        return list(self._pending.indicators) if self._pending else []

    @property
    def first_seen(self) -> list[float]:
        """Per indicator (same order), when minisoc first had it."""
        if not self._pending:
            return []
        pending = self._pending
        if len(pending.first_seen) == len(pending.indicators):
            return list(pending.first_seen)
        return [pending.since] * len(pending.indicators)

    @property
    def since(self) -> float | None:
        return self._pending.since if self._pending else None

    def __bool__(self) -> bool:
        return bool(self._pending and self._pending.indicators)

    def add(self, indicators: Sequence[Indicator], now: float) -> None:
        """Owe a retro-hunt for `indicators` (durable when this returns)."""
        if not indicators:
            return
        pending = self._pending or _Pending(since=now, indicators=[])
        first_seen = self.first_seen
        known = {indicator.key() for indicator in pending.indicators}
        added = [i for i in indicators if i.key() not in known]
        self._pending = _Pending(since=min(pending.since, now), indicators=pending.indicators + added,
                                 first_seen=first_seen + [now] * len(added))
        write_atomic(self.path, msgspec.msgpack.encode(self._pending))

    def done(self) -> None:
        """The hunt's alerts are durable: nothing is owed any more."""
        self._pending = None
        self.path.unlink(missing_ok=True)
