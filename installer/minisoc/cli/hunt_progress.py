"""The progress bar of `minisoc hunt`: on stderr when it is a terminal, nothing otherwise.

The hunt only updates plain counters (ReadStats, per chunk of 1 MiB, and `advance` per file); rich's
refresh thread reads them a few times a second, so the hot path pays nothing per line.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn
from rich.text import Text

from minisoc.correlator.zeek.stats import ReadStats

REFRESHES_PER_SECOND = 4


def _size(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} TB"


class _Counters(ProgressColumn):
    """Bytes read, lines per second and alerts, from the live counters (read at each refresh)."""

    def __init__(self, bar: HuntProgressBar) -> None:
        super().__init__()
        self.bar = bar

    def render(self, task: Task) -> Text:
        stats = self.bar.stats
        if stats is None:
            return Text("")
        done = stats.bytes_read + stats.reading_bytes
        seconds = max(time.perf_counter() - self.bar.started, 1e-3)
        of_total = f" of {_size(self.bar.total_bytes)} on disk" if self.bar.total_bytes else ""
        return Text(f"{_size(done)} read{of_total}, {stats.lines_total / seconds:,.0f} lines/s, "
                    f"{self.bar.alerts} alert(s)")


class HuntProgressBar:
    """A HuntProgress (minisoc.correlator.hunt) drawn with rich; a context manager that removes it."""

    def __init__(self, stream: TextIO) -> None:
        self.stats: ReadStats | None = None
        self.total_bytes: int | None = None
        self.alerts = 0
        self.started = time.perf_counter()
        console = Console(file=stream, markup=False, emoji=False, highlight=False)
        self._progress = Progress(
            TextColumn("hunting"), BarColumn(), MofNCompleteColumn(), TextColumn("files"), _Counters(self),
            console=console, transient=True, refresh_per_second=REFRESHES_PER_SECOND,
        )
        self._task = self._progress.add_task("hunt", total=None)

    def start(self, files: int, total_bytes: int | None, stats: ReadStats) -> None:
        self.stats, self.total_bytes = stats, total_bytes
        self.started = time.perf_counter()
        self._progress.update(self._task, total=files, completed=0)
        self._progress.start()

    def advance(self, files_done: int, alerts: int) -> None:
        self.alerts = alerts
        self._progress.update(self._task, completed=files_done)

    def __enter__(self) -> HuntProgressBar:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()


def progress_bar(stream: TextIO | None = None) -> HuntProgressBar | None:
    """A progress bar on `stream` (stderr) when it is a terminal, else None: nothing is drawn into a pipe
    or a file."""
    stream = sys.stderr if stream is None else stream
    return HuntProgressBar(stream) if stream.isatty() else None
