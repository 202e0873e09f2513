"""The service's log sources next to Zeek (issue 15): each enabled input's directory tailed like Zeek's.

`InputTails` is one LogSource over the Zeek tailer and a `zeek.tail.LogTailer` per enabled input (syslog,
netflow), each with its own checkpoint (`state/tail-<input>/`) and dead-letter file
(`state/dead-letter-<input>.jsonl`): rotation-safe and at-least-once exactly as for Zeek (the tailer's parser
sniffs each file's format, correlator.input_formats). A batch names its source in its checkpoint, so a commit
moves that source only.
An input directory that does not exist yet (its receiver not started) is not an error: it is `missing` in the
status until it appears.

`InputState` is what `/healthz` (components.inputs) and `/metrics` show per input, for `minisoc status`:
records read, malformed lines, the time and age of the last record, records per second over the last minute.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minisoc.correlator.typing import LogBatch, LogSource
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek.tail import LogTailer

ZEEK_SOURCE = "zeek"
RATE_WINDOW_S = 60.0  # records/s is measured over this much of the recent past
RECEIVING_WITHIN_S = 300.0  # an input with a record read this recently is `receiving`, else `idle`


@dataclass
class InputState:
    """One input's counters (updated by the loop's thread, read by the HTTP thread under `lock`)."""

    directory: Path
    stats: ReadStats = field(default_factory=ReadStats)
    records: int = 0
    last_record_at: float | None = None  # when a record was last read (wall clock)
    last_record_ts: float | None = None  # the newest record's own time
    present: bool = False  # the directory exists
    samples: deque[tuple[float, int]] = field(default_factory=deque)  # (time, records) over the window
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, records: int, newest_ts: float | None, now: float) -> None:
        with self.lock:
            self.records += records
            if records:
                self.last_record_at = now
            if newest_ts is not None and (self.last_record_ts is None or newest_ts > self.last_record_ts):
                self.last_record_ts = newest_ts
            self.samples.append((now, self.records))
            while len(self.samples) > 2 and self.samples[1][0] < now - RATE_WINDOW_S:
                self.samples.popleft()

    def rate(self, now: float) -> float:
        """Records per second over the last RATE_WINDOW_S (0 without two samples in it)."""
        with self.lock:
            if not self.samples:
                return 0.0
            first_time, first_count = self.samples[0]
            span = max(now - first_time, 1e-9)
            return (self.records - first_count) / span if span > 0 else 0.0

    def summary(self, now: float) -> dict[str, Any]:
        """The status of this input: `missing`, `receiving` (a record within RECEIVING_WITHIN_S) or `idle`."""
        rate = self.rate(now)
        with self.lock:
            age = None if self.last_record_at is None else round(now - self.last_record_at, 1)
            if not self.present:
                state = "missing"
            elif age is not None and age <= RECEIVING_WITHIN_S:
                state = "receiving"
            else:
                state = "idle"
            return {
                "state": state,
                "dir": str(self.directory),
                "records": self.records,
                "malformed": self.stats.malformed_total,
                "malformed_by_reason": dict(sorted(self.stats.malformed.items())),
                "records_per_second": round(rate, 2),
                "last_record_age_seconds": age,
                "last_record_ts": self.last_record_ts,
            }


class InputTails:
    """A LogSource over Zeek's tailer and the inputs' tailers, read in turn (see the module docstring)."""

    def __init__(self, zeek: LogSource, inputs: dict[str, tuple[LogTailer, InputState]],
                 clock: Callable[[], float] = time.time) -> None:
        self.sources: dict[str, LogSource] = {ZEEK_SOURCE: zeek}
        self.sources.update((name, tail) for name, (tail, _) in inputs.items())
        self.inputs = inputs
        self.clock = clock

    @property
    def ignored(self) -> dict[str, str]:
        """Files the tailers do not read, and why (every source's)."""
        found: dict[str, str] = {}
        for source in self.sources.values():
            ignored = getattr(source, "ignored", None)
            if isinstance(ignored, dict):
                found.update(ignored)
        return found

    @property
    def checkpoint_path(self) -> Path:
        path = getattr(self.sources[ZEEK_SOURCE], "checkpoint_path", None)
        if not isinstance(path, Path):
            raise AttributeError("checkpoint_path")
        return path

    def batches(self) -> Iterator[LogBatch]:
        for name, source in self.sources.items():
            state = self.inputs[name][1] if name in self.inputs else None
            if state is not None:
                state.present = state.directory.is_dir()
                if not state.present:
                    continue
            for batch in source.batches():
                if state is not None:
                    newest = max((r.ts for r in batch.records if r.ts is not None), default=None)
                    state.count(len(batch.records), newest, self.clock())
                position = {"source": name, "position": batch.checkpoint}
                yield LogBatch(records=batch.records, checkpoint=position)
            if state is not None:
                state.count(0, None, self.clock())

    def commit(self, checkpoint: dict[str, Any]) -> None:
        self.sources[checkpoint["source"]].commit(checkpoint["position"])

    def close(self) -> None:
        for source in self.sources.values():
            close = getattr(source, "close", None)
            if callable(close):
                close()
