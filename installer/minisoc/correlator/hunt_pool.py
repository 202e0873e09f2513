"""`minisoc hunt --workers N`: the files split over N forked processes, their results handed back in order.

Each worker reads whole files (spread by size) and sends one `FileResult` per file: its alerts, its ReadStats,
and the dead-letter part file it wrote (one per input file, appended to the `--dead-letter` file in input
order by the parent). On Ctrl-C the terminal sends SIGINT to every process of the group; `HuntPool.stop`
also sends it to each worker (a SIGINT sent to the parent alone stops the whole hunt as well). A worker
stops at its first SIGINT, sends what it matched in the file it was reading (`complete=False`) and exits
quietly; the parent collects everything sent until every worker has exited, so what was matched is kept.
Workers start with SIGINT blocked until their handler is installed: a Ctrl-C at start-up cannot kill one
with a traceback.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minisoc.correlator.interrupts import SigintGuard
from minisoc.correlator.model import Alert
from minisoc.correlator.zeek.deadletter import DeadLetter
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.errors import MinisocError

STOP_TIMEOUT_S = 10.0  # how long the parent waits for interrupted workers to hand their results over
# collect(target, stats, dead_letter or None, into): the alerts of one file appended to `into` as found
Collector = Callable[[str, ReadStats, DeadLetter | None, list[Alert]], None]


@dataclass
class FileResult:
    """What one input file gave: `complete` False when the hunt was interrupted while reading it."""

    index: int
    alerts: list[Alert] = field(default_factory=list)
    stats: ReadStats = field(default_factory=ReadStats)
    dead_letter_part: str | None = None  # a file of dead-letter entries to append, when one was written
    complete: bool = True


def part_path(dead_letter: str, index: int) -> str:
    return f"{dead_letter}.part-{index}"


def assign(targets: Sequence[str], workers: int) -> list[list[int]]:
    """Spread files over workers by size (largest first onto the least loaded)."""
    loads = [0] * workers
    shares: list[list[int]] = [[] for _ in range(workers)]
    sizes = {index: Path(target).stat().st_size for index, target in enumerate(targets)}
    for index in sorted(sizes, key=lambda i: (-sizes[i], i)):
        lightest = loads.index(min(loads))
        shares[lightest].append(index)
        loads[lightest] += sizes[index]
    return shares


def _read_one(index: int, target: str, collect: Collector, dead_letter: str | None,
              guard: SigintGuard) -> FileResult:
    result = FileResult(index)
    sink = DeadLetter(Path(part_path(dead_letter, index))) if dead_letter else None
    try:
        with guard.interruptible():
            collect(target, result.stats, sink, result.alerts)
    except KeyboardInterrupt:
        result.complete = False
    finally:
        if sink is not None:
            sink.close()
            result.dead_letter_part = str(sink.path) if sink.written else None
    return result


def _worker(indexes: list[int], targets: list[str], collect: Collector, dead_letter: str | None,
            results: Any) -> None:
    with SigintGuard(ignore_after=True) as guard:  # a SIGINT while the process exits must not show
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        for index in indexes:
            if guard.interrupted:  # between two files: nothing half-read to send
                return
            try:
                result = _read_one(index, targets[index], collect, dead_letter, guard)
            except Exception as error:  # reported by the parent, never a silent loss
                results.put((index, None, f"{targets[index]}: {type(error).__name__}: {error}"))
                continue
            results.put((index, result, None))


class HuntPool:
    """N forked workers over `targets`; `results()` in input order, `stop()` after a KeyboardInterrupt."""

    def __init__(self, targets: list[str], collect: Collector, workers: int, dead_letter: str | None,
                 guard: SigintGuard) -> None:
        self.targets = targets
        self.guard = guard
        context = multiprocessing.get_context("fork")
        self._results = context.Queue()
        self._processes = [
            context.Process(target=_worker, args=(share, targets, collect, dead_letter, self._results),
                            daemon=True)
            for share in assign(targets, workers)
        ]
        self._waiting: dict[int, FileResult] = {}
        self._next = 0

    def start(self) -> None:
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # inherited by the children
        try:
            for process in self._processes:
                process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _receive(self, message: tuple[int, FileResult | None, str | None]) -> None:
        index, result, problem = message
        if result is None:  # a worker failed on this file
            raise MinisocError(f"hunt worker failed on {problem}", "rerun with --workers 1 to see the error")
        self._waiting[index] = result

    def results(self) -> Iterator[FileResult]:
        """Each file's result, in input order (a later file's result waits for the earlier ones); it ends
        early, within half a second, when a SIGINT came (then `stop` gives the rest)."""
        while self._next < len(self.targets) and not self.guard.interrupted:
            while self._next in self._waiting:
                yield self._waiting.pop(self._next)
                self._next += 1
                if self.guard.interrupted:
                    return
            if self._next >= len(self.targets):
                return
            try:  # not interruptible: a SIGINT ends the wait (EINTR) and is seen at the next turn
                self._receive(self._results.get(timeout=0.5))
            except queue.Empty:
                if not any(process.is_alive() for process in self._processes):
                    raise MinisocError("a hunt worker process died before finishing its files",
                                       "check memory (dmesg) or rerun with --workers 1") from None

    def stop(self) -> list[FileResult]:
        """After a SIGINT: stop every worker and return, in input order, every result not yet handed out
        (complete files, and the part of the file each worker was reading)."""
        for process in self._processes:
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):  # exited meanwhile
                    os.kill(process.pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                index, result, _problem = self._results.get(timeout=0.2)
            except queue.Empty:
                if not any(process.is_alive() for process in self._processes):
                    break
                continue
            if result is not None:  # a file a worker failed on while stopping gives nothing to keep
                self._waiting[index] = result
        left = [self._waiting.pop(index) for index in sorted(self._waiting)]
        self._next = len(self.targets)
        return left

    def close(self) -> None:
        for process in self._processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        self._results.close()
