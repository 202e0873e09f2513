"""The offline hunt: Zeek logs x intel -> alerts, in one process or split by file over N processes.

`run_hunt` is the whole pipeline behind `minisoc hunt`; the CLI only parses arguments and renders. Alerts
come out in a deterministic order (input file order, then line order) whatever the number of workers.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from minisoc.correlator.alerts import merge_alert
from minisoc.correlator.hunt_pool import FileResult, HuntPool
from minisoc.correlator.hunt_summary import HuntSummary, IntelSummary
from minisoc.correlator.intel.convert import Refusal
from minisoc.correlator.intel.load import load_intel_columns
from minisoc.correlator.intel.warninglists import Warninglists, load_warninglists
from minisoc.correlator.interrupts import SigintGuard
from minisoc.correlator.matching.columns import IndicatorColumns
from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.matcher import Matcher
from minisoc.correlator.matching.packed import return_freed_memory
from minisoc.correlator.model import Alert, Indicator, LogRecord, Suppressed
from minisoc.correlator.notice_filter import NOTICE_PATTERN, drop_ignored_notices
from minisoc.correlator.scan_alerts import alerts_of_records, coalesce, scan_alerts
from minisoc.correlator.zeek.deadletter import DeadLetter
from minisoc.correlator.zeek.reader import log_targets
from minisoc.correlator.zeek.stats import FileError, ReadStats
from minisoc.correlator.zeek.streams import STDIN_NAME
from minisoc.errors import LogSourceError, MinisocError, UsageError

__all__ = ["HuntProgress", "HuntRequest", "HuntSummary", "IntelSummary", "hunt_logs", "hunt_records",
           "load_hunt_columns", "load_hunt_intel", "run_hunt"]

AlertEmitter = Callable[[list[Alert]], None]
FileHandler = Callable[[FileResult, bool], None]  # (one file's result, whether to merge its ReadStats)
REASON_SUPPRESSED = "suppressed"  # a dead-letter entry for an indicator a warninglist names as benign
_NAMED_EMPTY = 3  # sources named in the "nothing to hunt for" error


@dataclass(frozen=True)
class HuntRequest:
    """What to hunt through (`logs`: files, directories, `-`) and with what (`intel`: paths or feed URLs)."""

    logs: Sequence[str]
    intel: Sequence[str]
    warninglists: Sequence[str] = ()
    workers: int = 1
    site: str | None = None
    dead_letter: str | None = None  # a file for the log lines and indicators refused, with reason and source
    # hunt even when no indicator is left; False: "nothing to hunt for" (`minisoc hunt` without --allow-empty)
    allow_empty: bool = True
    # Zeek notice types (or `Module::*`) whose own alerts are dropped; such a notice still alerts when an
    # indicator matches it (correlator.notice_filter)
    ignore_notices: Sequence[str] = ()


class HuntProgress(Protocol):
    """What a long hunt shows while it runs (`minisoc hunt` draws a progress bar on a terminal)."""

    def start(self, files: int, total_bytes: int | None, stats: ReadStats) -> None:
        """Before the first file: how many files, their size on disk (None with stdin), the live counters."""
        ...

    def advance(self, files_done: int, alerts: int) -> None:
        """After each file."""
        ...


def load_hunt_columns(
    intel: Sequence[str], warninglists: Sequence[str], *, lean: bool = False
) -> tuple[IndicatorColumns, IntelSummary]:
    """Indicators from `intel` (in columns), minus what the warninglists (only when given) name as benign;
    `lean`: columns that can only be indexed and counted (IndicatorColumns), for the hunt itself."""
    started = time.perf_counter()
    if not intel:
        raise UsageError("--intel: no intel given", "pass at least one intel file, directory or feed URL")
    loaded = load_intel_columns(list(intel), lean=lean and not warninglists)
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
        invalid_by_type=dict(loaded.counts.invalid),
        empty_sources=dict(loaded.empty_sources),
        refused=loaded.counts.refused,
        suppressed_values=suppressed,
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
    """The per-record pipeline: match, then build alerts, coalesced (`scan_alerts.alerts_of_records`)."""
    return alerts_of_records(records, matcher, site=site, now=now, retro=retro)


def hunt_logs(
    paths: Sequence[str | Path], matcher: Matcher, *, stats: ReadStats, site: str | None, now: float,
    retro: bool = False,
) -> list[Alert]:
    """`hunt_records(read_logs(paths, stats=stats), ...)`, faster: only records with a hit are built."""
    return coalesce(scan_alerts(paths, matcher, stats=stats, site=site, now=now, retro=retro))


def collect_alerts(
    paths: Sequence[str | Path], matcher: Matcher, *, stats: ReadStats, site: str | None, now: float,
    into: list[Alert], dead_letter: DeadLetter | None = None, retro: bool = False,
) -> None:
    """`hunt_logs` without the coalescing, appending to `into` as alerts are found: what was matched is
    there even when reading stops half-way (a KeyboardInterrupt)."""
    for alert in scan_alerts(paths, matcher, stats=stats, site=site, now=now, retro=retro,
                             dead_letter=dead_letter):
        into.append(alert)


def _nothing_to_hunt(summary: IntelSummary) -> MinisocError:
    named = list(summary.empty_sources.items())
    why = "; ".join(f"{source}: {reason}" for source, reason in named[:_NAMED_EMPTY])
    if len(named) > _NAMED_EMPTY:
        why += f"; and {len(named) - _NAMED_EMPTY} more source(s)"
    if summary.suppressed:
        why += ("; " if why else "") + f"all {summary.suppressed} suppressed by the warninglists"
    return MinisocError(
        f"--intel: nothing to hunt for: no indicator loaded ({why or 'no source gave any'})",
        "check that intel (a failed download, an empty or unrecognised file), or pass --allow-empty to run "
        "the hunt anyway")


def _open_dead_letter(path: str | None) -> DeadLetter | None:
    """The `--dead-letter` file, emptied: it lists what this hunt refused, not an earlier one's."""
    if path is None:
        return None
    try:
        Path(path).write_bytes(b"")
    except OSError as error:
        raise LogSourceError(f"--dead-letter {path}: cannot write ({error.strerror or error})",
                             "point --dead-letter to a file in a writable directory") from None
    return DeadLetter(Path(path))


def _write_intel_refusals(sink: DeadLetter, refused: list[Refusal], suppressed: list[Suppressed]) -> None:
    for refusal in refused:
        detail = f"{refusal.type}: {refusal.reason.replace('_', ' ')}"
        value = refusal.value.encode("utf-8", "backslashreplace")  # a lone surrogate from JSON, say
        sink.write(refusal.source, None, refusal.reason, detail, value)
    for item in suppressed:
        sink.write(item.indicator.source, None, REASON_SUPPRESSED,
                   f"{item.indicator.type}: warninglist {item.warninglist!r} names {item.matched_entry!r}",
                   item.indicator.value.encode("utf-8", "backslashreplace"))


def _append_part(sink: DeadLetter, part: str | None) -> None:
    """A worker's dead-letter entries for one file, appended in input order, then removed."""
    if part is None:
        return
    path = Path(part)
    data = path.read_bytes()
    handle = sink.path.open("ab")
    with handle:
        handle.write(data)
    sink.written += data.count(b"\n")
    path.unlink()


def _total_size(targets: list[str]) -> int:
    total = 0
    for target in targets:
        with contextlib.suppress(OSError):  # gone since it was listed: reported when it is read
            total += Path(target).stat().st_size
    return total


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off during a hunt (as it was, after). A hunt allocates millions of
    short-lived objects and keeps its alerts to the end: each full collection walked every alert kept so far
    (an alert storm spent a third of its time there). Reference counting still frees what the hunt drops;
    the few cycles (a refused line's exception) wait for the hunt's end. Forked workers inherit the pause."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@gc_paused()
def run_hunt(request: HuntRequest, emit: AlertEmitter, *, now: float | None = None,
             progress: HuntProgress | None = None) -> HuntSummary:
    """Load intel, read every log, emit the alerts in input order, and return the summary. The records of
    one Zeek connection may sit in several files (conn.log, ssh.log, intel.log): their alert is whole only
    once every file is read, so the alerts are emitted together at the end (coalesced, one per id).

    Ctrl-C (SIGINT) stops reading: what was matched until then is emitted (workers hand theirs over), and
    the summary says `interrupted`. Raises MinisocError (exit 1) when no indicator is left to hunt for,
    unless `request.allow_empty`."""
    started = time.perf_counter()
    created = time.time() if now is None else now
    if request.workers < 1:
        raise UsageError(f"--workers: {request.workers} is not a number of processes", "use 1 or more")
    for pattern in request.ignore_notices:
        if not NOTICE_PATTERN.match(pattern):
            raise UsageError(f"--ignore-notice: {pattern!r} is not a Zeek notice type",
                             "name one as notice.log writes it (SSL::Invalid_Server_Cert) or a module "
                             "(SSL::*)")
    targets = expand_log_paths(request.logs)
    columns, intel_summary = load_hunt_columns(request.intel, request.warninglists, lean=True)
    if not len(columns) and not request.allow_empty:
        raise _nothing_to_hunt(intel_summary)
    sink = _open_dead_letter(request.dead_letter)
    indexing = time.perf_counter()
    return_freed_memory()  # what the load freed: the index build's own peak comes on top of what is left
    matcher = Matcher(IndicatorIndex.from_columns(columns))
    del columns  # the index holds what matching needs
    return_freed_memory()
    intel_summary.load_seconds += time.perf_counter() - indexing  # the load includes building the index
    stats = ReadStats()
    summary = HuntSummary(read=stats, intel=intel_summary, dead_letter=request.dead_letter)
    workers = min(request.workers, len(targets))
    summary.workers = 1 if workers <= 1 or STDIN_NAME in targets else workers
    if progress is not None:
        progress.start(len(targets), None if STDIN_NAME in targets else _total_size(targets), stats)
    try:
        if sink is not None:
            _write_intel_refusals(sink, intel_summary.refused, intel_summary.suppressed_values)
        found: dict[str, Alert] = {}  # one per id, in first-seen order (the records of one connection)
        with SigintGuard() as guard:
            done = 0

            def handle(result: FileResult, merge: bool) -> None:
                with guard.deferred():  # a SIGINT never cuts it short
                    _handle(result, merge)

            def _handle(result: FileResult, merge: bool) -> None:
                nonlocal done
                if merge:
                    _merge_stats(stats, result.stats)
                if sink is not None:
                    _append_part(sink, result.dead_letter_part)
                for alert in result.alerts:
                    first = found.setdefault(alert.id, alert)
                    if first is not alert:
                        merge_alert(first.doc, alert.doc)
                done += result.complete
                if progress is not None:
                    progress.advance(done, len(found))

            if summary.workers == 1:
                _hunt_here(targets, matcher, request.site, created, stats, sink, guard, handle)
            else:
                _hunt_in_pool(targets, matcher, workers, request, created, sink, guard, handle)
            summary.interrupted = guard.interrupted
        alerts, summary.notices_ignored = drop_ignored_notices(found.values(), request.ignore_notices)
        summary.count(alerts)
        emit(alerts)
    finally:
        if sink is not None:
            sink.close()
            summary.dead_letters = sink.written
    summary.elapsed_seconds = time.perf_counter() - started
    return summary


def _hunt_here(targets: list[str], matcher: Matcher, site: str | None, now: float, stats: ReadStats,
               sink: DeadLetter | None, guard: SigintGuard, handle: FileHandler) -> None:
    """One file after the other in this process; on SIGINT, what the file being read matched is handed on."""
    for index, target in enumerate(targets):
        result = FileResult(index, stats=stats)
        try:
            with guard.interruptible():
                collect_alerts([target], matcher, stats=stats, site=site, now=now, into=result.alerts,
                               dead_letter=sink)
        except KeyboardInterrupt:
            result.complete = False
        handle(result, False)
        if guard.interrupted:
            return


def _hunt_in_pool(targets: list[str], matcher: Matcher, workers: int, request: HuntRequest, now: float,
                  sink: DeadLetter | None, guard: SigintGuard, handle: FileHandler) -> None:
    def collect(target: str, stats: ReadStats, dead_letter: DeadLetter | None, into: list[Alert]) -> None:
        collect_alerts([target], matcher, stats=stats, site=request.site, now=now, into=into,
                       dead_letter=dead_letter)

    pool = HuntPool(targets, collect, workers, request.dead_letter if sink is not None else None, guard)
    try:
        pool.start()
        for result in pool.results():
            handle(result, True)
        if guard.interrupted:
            for result in pool.stop():
                handle(result, True)
    finally:
        pool.close()


def _merge_stats(total: ReadStats, part: ReadStats) -> None:
    for log_type, count in part.lines.items():
        total.count_lines(log_type, count)
    for reason, count in part.malformed.items():
        total.malformed[reason] = total.malformed.get(reason, 0) + count
    total.files += part.files
    total.bytes_read += part.bytes_read
    total.file_errors.extend(FileError(e.path, e.message) for e in part.file_errors)


