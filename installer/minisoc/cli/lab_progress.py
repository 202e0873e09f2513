"""The progress display of `minisoc lab` commands: one bar over the copies, its text the current step.

On stderr (stdout carries the summary or the JSON), drawn by rich only when stderr is a terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


@dataclass
class LabProgress:
    """Callbacks for `minisoc.lab.for_each_copy`: `started` moves the bar, `step` names the current step."""

    bar: Progress
    task: TaskID
    current: str = ""

    def started(self, number: int, site_dir: Path) -> None:
        if self.current:
            self.bar.advance(self.task)
        self.current = f"copy {number:02d}"
        self.bar.update(self.task, description=f"{self.current} ({site_dir.name})")

    def step(self, message: str) -> None:
        self.bar.update(self.task, description=f"{self.current}: {message}" if self.current else message)


@contextmanager
def lab_progress(action: str, total: int) -> Iterator[LabProgress]:
    console = Console(stderr=True)
    columns = (
        TextColumn(f"lab {action}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        progress = LabProgress(bar, bar.add_task("", total=total))
        yield progress
        bar.update(progress.task, completed=total)
