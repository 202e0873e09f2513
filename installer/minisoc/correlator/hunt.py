"""The offline hunt: Zeek logs x intel -> alerts, in one process or split by file over N processes.

`run_hunt` is the whole pipeline behind `minisoc hunt`; the CLI only parses arguments and renders. Alerts
come out in a deterministic order (input file order, then line order) whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minisoc.correlator.alerts import build_alerts
from minisoc.correlator.intel.load import load_intel_columns
from minisoc.correlator.intel.warninglists import Warninglists, load_warninglists
from minisoc.correlator.matching.columns import IndicatorColumns
from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.matcher import Matcher
from minisoc.correlator.model import Alert, Indicator, LogRecord, Suppressed
from minisoc.correlator.zeek.reader import log_targets
from minisoc.correlator.zeek.scan import scan_logs
from minisoc.correlator.zeek.stats import FileError, ReadStats
from minisoc.correlator.zeek.streams import STDIN_NAME
from minisoc.errors import MinisocError, UsageError

AlertEmitter = Callable[[list[Alert]], None]


@dataclass(frozen=True)
class HuntRequest:
    """What to hunt through (`logs`: files, directories, `-`) and with what (`intel`: paths or feed URLs)."""

    logs: Sequence[str]
    intel: Sequence[str]
    warninglists: Sequence[str] = ()
    workers: int = 1
    site: str | None = None


@dataclass
class IntelSummary:
    loaded: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    suppressed: int = 0
    suppressed_by_list: dict[str, int] = field(default_factory=dict)
    warninglist_entries_unusable: dict[str, int] = field(default_factory=dict)  # per list: not applied
    warninglist_files_skipped: list[str] = field(default_factory=list)  # JSON in a directory, not a list
    unsupported: int = 0
    unsupported_by_type: dict[str, int] = field(default_factory=dict)
    invalid: int = 0
    missing_events: int = 0  # feed events named in a manifest whose file is missing (skipped)
    not_for_ids: int = 0  # MISP attributes with to_ids false: not indicators, skipped
    deleted: int = 0  # MISP attributes (or objects) flagged deleted, skipped
    sources: list[str] = field(default_factory=list)
    load_seconds: float = 0.0


@dataclass
class HuntSummary:
    """What a hunt did: printed as a table, or as one JSON object on stderr with --json."""

    read: ReadStats
    intel: IntelSummary
    alerts: int = 0
    alerts_by_indicator_type: dict[str, int] = field(default_factory=dict)
    workers: int = 1
    elapsed_seconds: float = 0.0

    def count(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            self.alerts += 1
            kind = str(alert.doc["threat"]["indicator"]["misp"]["type"])  # the (first) indicator's
            self.alerts_by_indicator_type[kind] = self.alerts_by_indicator_type.get(kind, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        seconds = max(self.elapsed_seconds, 1e-9)
        return {
            "logs": self.read.as_dict(),
            "indicators": {
                "loaded": self.intel.loaded,
                "by_type": dict(sorted(self.intel.by_type.items())),
                "suppressed": self.intel.suppressed,
                "suppressed_by_warninglist": dict(sorted(self.intel.suppressed_by_list.items())),
                "warninglist_entries_unusable": dict(sorted(self.intel.warninglist_entries_unusable.items())),
                "warninglist_files_skipped": self.intel.warninglist_files_skipped,
                "unsupported": self.intel.unsupported,
                "unsupported_by_type": dict(sorted(self.intel.unsupported_by_type.items())),
                "invalid": self.intel.invalid,
                "missing_events": self.intel.missing_events,
                "not_for_ids": self.intel.not_for_ids,
                "deleted": self.intel.deleted,
                "sources": self.intel.sources,
                "load_seconds": round(self.intel.load_seconds, 3),
            },
            "alerts": self.alerts,
            "alerts_by_indicator_type": dict(sorted(self.alerts_by_indicator_type.items())),
            "workers": self.workers,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "lines_per_second": round(self.read.lines_total / seconds),
        }


def load_hunt_columns(
    intel: Sequence[str], warninglists: Sequence[str]
) -> tuple[IndicatorColumns, IntelSummary]:
    """Indicators from `intel` (in columns), minus what the warninglists (only when given) name as benign."""
    started = time.perf_counter()
    if not intel:
        raise UsageError("--intel: no intel given", "pass at least one intel file, directory or feed URL")
    loaded = load_intel_columns(list(intel))
    columns = loaded.columns
    suppressed: list[Suppressed] = []
    unusable: dict[str, int] = {}
    skipped_files: list[str] = []
    if warninglists:
        lists = load_warninglists(list(warninglists))
        columns, suppressed = lists.partition_columns(columns)
        unusable = {item.name: len(item.unusable) for item in lists.lists if item.unusable}
        skipped_files = lists.skipped_files
    summary = IntelSummary(
        loaded=len(columns),
        by_type=columns.count_by_type(),
        suppressed=len(suppressed),
        unsupported=sum(loaded.counts.unsupported.values()),
        unsupported_by_type=dict(loaded.counts.unsupported),
        invalid=sum(loaded.counts.invalid.values()),
        missing_events=loaded.counts.missing_events,
        not_for_ids=loaded.counts.not_for_ids,
        deleted=loaded.counts.deleted,
        sources=list(loaded.sources),
        warninglist_entries_unusable=unusable,
        warninglist_files_skipped=skipped_files,
    )
    summary.suppressed_by_list = Warninglists.count_per_list(suppressed)
    summary.load_seconds = time.perf_counter() - started
    return columns, summary


def load_hunt_intel(
    intel: Sequence[str], warninglists: Sequence[str]
) -> tuple[list[Indicator], IntelSummary]:
    """`load_hunt_columns`, as Indicators."""
    columns, summary = load_hunt_columns(intel, warninglists)
    return columns.indicators(), summary


def expand_log_paths(logs: Sequence[str]) -> list[str]:
    """Files to read, in order: directories expanded (sorted, recursive) and `-` kept as stdin."""
    if not logs:
        raise UsageError("--logs: no logs given", "pass Zeek log files or directories, or - for stdin")
    return [STDIN_NAME if target is None else str(target) for target in log_targets(logs)]


def hunt_records(
    records: Iterable[LogRecord], matcher: Matcher, *, site: str | None, now: float, retro: bool = False
) -> list[Alert]:
    """The per-record pipeline: match, then build alerts (shared with the service's retro-hunt)."""
    alerts: list[Alert] = []
    for record in records:
        matches = matcher.match(record)
        if matches:
            alerts.extend(build_alerts(record, matches, retro=retro, site=site, now=now))
    return alerts


def hunt_logs(
    paths: Sequence[str | Path], matcher: Matcher, *, stats: ReadStats, site: str | None, now: float,
    retro: bool = False,
) -> list[Alert]:
    """`hunt_records(read_logs(paths, stats=stats), ...)`, faster: only records with a match are built."""
    alerts: list[Alert] = []
    for record, matches in scan_logs(paths, matcher.match_fields, screen=matcher, stats=stats):
        alerts.extend(build_alerts(record, matches, retro=retro, site=site, now=now))
    return alerts


def run_hunt(request: HuntRequest, emit: AlertEmitter, *, now: float | None = None) -> HuntSummary:
    """Load intel, read every log, emit alerts in input order (in batches), and return the summary."""
    started = time.perf_counter()
    created = time.time() if now is None else now
    if request.workers < 1:
        raise UsageError(f"--workers: {request.workers} is not a number of processes", "use 1 or more")
    targets = expand_log_paths(request.logs)
    columns, intel_summary = load_hunt_columns(request.intel, request.warninglists)
    indexing = time.perf_counter()
    matcher = Matcher(IndicatorIndex.from_columns(columns))
    del columns  # the index holds what matching needs
    intel_summary.load_seconds += time.perf_counter() - indexing  # the load includes building the index
    stats = ReadStats()
    summary = HuntSummary(read=stats, intel=intel_summary)
    workers = min(request.workers, len(targets))
    if workers <= 1 or STDIN_NAME in targets:
        summary.workers = 1
        for target in targets:
            alerts = hunt_logs([target], matcher, stats=stats, site=request.site, now=created)
            summary.count(alerts)
            emit(alerts)
    else:
        summary.workers = workers
        for alerts, file_stats in _hunt_in_processes(targets, matcher, workers, request.site, created):
            _merge_stats(stats, file_stats)
            summary.count(alerts)
            emit(alerts)
    summary.elapsed_seconds = time.perf_counter() - started
    return summary


def _merge_stats(total: ReadStats, part: ReadStats) -> None:
    for log_type, count in part.lines.items():
        total.count_lines(log_type, count)
    for reason, count in part.malformed.items():
        total.malformed[reason] = total.malformed.get(reason, 0) + count
    total.files += part.files
    total.bytes_read += part.bytes_read
    total.file_errors.extend(FileError(e.path, e.message) for e in part.file_errors)


def _assign(targets: Sequence[str], workers: int) -> list[list[int]]:
    """Spread files over workers by size (largest first onto the least loaded)."""
    loads = [0] * workers
    shares: list[list[int]] = [[] for _ in range(workers)]
    sizes = {index: Path(target).stat().st_size for index, target in enumerate(targets)}
    for index in sorted(sizes, key=lambda i: (-sizes[i], i)):
        lightest = loads.index(min(loads))
        shares[lightest].append(index)
        loads[lightest] += sizes[index]
    return shares


def _worker(
    indexes: list[int], targets: list[str], matcher: Matcher, site: str | None, now: float, results: Any
) -> None:
    for index in indexes:
        stats = ReadStats()
        try:
            alerts = hunt_logs([targets[index]], matcher, stats=stats, site=site, now=now)
        except Exception as error:  # reported by the parent, never a silent loss
            results.put((index, None, f"{targets[index]}: {type(error).__name__}: {error}"))
            continue
        results.put((index, (alerts, stats), None))


def _next_result(results: Any, processes: Sequence[multiprocessing.process.BaseProcess]) -> Any:
    while True:
        try:
            return results.get(timeout=1.0)
        except queue.Empty:
            if not any(process.is_alive() for process in processes):
                raise MinisocError(
                    "a hunt worker process died before finishing its files",
                    "check memory (dmesg) or rerun with --workers 1",
                ) from None


def _hunt_in_processes(
    targets: list[str], matcher: Matcher, workers: int, site: str | None, now: float
) -> Iterable[tuple[list[Alert], ReadStats]]:
    """Fork `workers` processes (the index is shared copy-on-write); yield per-file results in input order."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = [
        context.Process(target=_worker, args=(share, targets, matcher, site, now, results), daemon=True)
        for share in _assign(targets, workers)
    ]
    for process in processes:
        process.start()
    waiting: dict[int, tuple[list[Alert], ReadStats]] = {}
    next_index = 0
    try:
        for _ in targets:
            index, result, problem = _next_result(results, processes)
            if problem is not None:
                raise MinisocError(
                    f"hunt worker failed on {problem}", "rerun with --workers 1 to see the error"
                )
            waiting[index] = result
            while next_index in waiting:
                yield waiting.pop(next_index)
                next_index += 1
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
