"""The correlator's seams: small protocols that sources and sinks implement.

The matcher in between is pure (see minisoc.correlator.matching); it is also the hunt's `Screen`, the cheaper
twin of its match that `zeek.scan` uses on JSON lines (declared here, below both).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence, Sized
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import msgspec

from minisoc.correlator.model import Alert, Indicator, LogRecord, Sighting


class IntelUpdate(msgspec.Struct):
    """What a sync brought. `complete=True` means `added` is the whole current set of that source."""

    source: str
    added: list[Indicator]
    removed: list[tuple[str, str, str]] = []  # Indicator.key() values
    complete: bool = False


class IntelSource(Protocol):
    """MISP API, MISP feed, Zeek intel file, freetext list: each yields updates, keeping its own cursor."""

    name: str

    def sync(self) -> IntelUpdate:
        """Fetch what changed since the last sync (or everything, the first time)."""
        ...


class LogBatch(msgspec.Struct):
    """Records read together, and the position to checkpoint once their alerts are durable."""

    records: list[LogRecord]
    checkpoint: dict[str, Any]


class LogSource(Protocol):
    """Zeek logs from files, directories or a live tail."""

    def batches(self) -> Iterator[LogBatch]:
        ...

    def commit(self, checkpoint: dict[str, Any]) -> None:
        """Persist `checkpoint` atomically: only called after the batch's alerts are durably written."""
        ...


class SinkUnavailable(Exception):
    """A sink could not take a write now (e.g. OpenSearch down): the caller keeps the batch and retries."""


class AlertSink(Protocol):
    """Where alerts go. `write` is idempotent on Alert.id and durable when it returns."""

    def write(self, alerts: Sequence[Alert]) -> None:
        ...

    def close(self) -> None:
        ...


class AlertStore(Protocol):
    """Read side of a sink, for `minisoc alerts list/ack`."""

    def list_alerts(self, since: datetime | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        ...

    def count_alerts(self, since: datetime | None = None) -> int:
        ...

    def ack(self, alert_id: str, false_positive: bool = False) -> dict[str, Any]:
        ...

    def delete_alerts(self, alert_ids: Sequence[str]) -> int:
        ...


class SightingSink(Protocol):
    """MISP (or a file, or nothing): sightings for indicators that matched."""

    def add_sightings(self, sightings: Sequence[Sighting]) -> None:
        ...


class ScreenPlan(NamedTuple):
    """How to screen JSON lines of one log type (see minisoc.correlator.zeek.scan).

    `decode(line)` has `ts`, `log_path` (the line's `_path`) and what `check` reads; `decode_lines(data)` the
    same for each line of `data` (msgspec's Decoder.decode_lines); `check(decode(line))` is falsy exactly when
    the probe of the line's record would be.
    """

    decode: Callable[[bytes], Any]
    decode_lines: Callable[[bytes], list[Any]]
    check: Callable[[Any], Sized]


class Screen(Protocol):
    """A probe's cheaper twin for JSON lines (the Matcher is one)."""

    def screen_for(self, log_type: str) -> ScreenPlan:
        """How to screen lines of `log_type`."""
        ...

    def screen_fields(self, log_type: str) -> Callable[[dict[str, Any]], Sized]:
        """The check of `screen_for(log_type)` over a record's dict (falsy exactly when the probe is)."""
        ...
