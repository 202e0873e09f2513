"""The correlator service loop: sync intel, retro-hunt, export, tail -> match -> alerts -> sinks -> commit.

Order per log batch (the delivery guarantee): alerts durable (sink or on-disk buffer) -> Zeek logs indexed
(or buffered) -> sightings queued -> only then the tailer's checkpoint is committed. A crash anywhere before
the commit re-delivers the batch; the alert ids are deterministic, so the effect is exactly once.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opensearchpy.exceptions import TransportError

from minisoc.correlator.export import REFRESH_INTERVAL_S, ExportBudget, export_zeek_intel
from minisoc.correlator.hunt import hunt_records
from minisoc.correlator.intel.warninglists import Warninglists
from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.matcher import Matcher
from minisoc.correlator.model import Alert, Indicator
from minisoc.correlator.notice_filter import drop_ignored_notices
from minisoc.correlator.service.faults import crash_point
from minisoc.correlator.service.health import health_report
from minisoc.correlator.service.housekeeping import RotatedLogs
from minisoc.correlator.service.intel_set import IntelSet
from minisoc.correlator.service.metrics import ServiceMetrics, SourceState
from minisoc.correlator.service.retro import IndexedLogs, retro_hunt
from minisoc.correlator.service.retro_queue import RETRO_QUEUE_FILE, RetroQueue
from minisoc.correlator.sinks.buffer import BufferedAlertSink, BufferedWriter
from minisoc.correlator.sinks.opensearch_bulk import BulkDoc
from minisoc.correlator.sinks.opensearch_logs import ZeekLogIndexer
from minisoc.correlator.sinks.sightings import sightings_for
from minisoc.correlator.typing import IntelSource, LogBatch, LogSource, SightingSink, SinkUnavailable

log = logging.getLogger(__name__)
HOUSEKEEPING_STOP_WAIT_S = 30.0  # on stop, a gzip under way gets this long to finish


@dataclass
class ServiceParts:
    """Everything the loop drives, built from the config by service.build (or by a test)."""

    site: str
    sources: Sequence[IntelSource]
    intel: IntelSet
    log_source: LogSource
    alerts: BufferedAlertSink
    log_dir: Path
    input_dirs: Sequence[Path] = ()  # the syslog and flow directories (service.inputs): retro-hunted too
    sightings: SightingSink | None = None
    log_index: tuple[ZeekLogIndexer, BufferedWriter[BulkDoc]] | None = None
    export_path: Path | None = None
    export_budget: ExportBudget | None = None  # None: every exportable indicator goes to Zeek
    # rewritten at least this often, changed or not: Zeek's Intel::item_expiration counts from its last read
    export_refresh_s: float = REFRESH_INTERVAL_S
    sync_interval_s: float = 60.0
    poll_interval_s: float = 1.0
    retro_hunt_days: int = 7
    retro_on_first_load: bool = True  # False when the tailer starts from zero: it reads those logs anyway
    retro_hunts: bool = True  # False on a Kafka intel follower: the leader hunts (the alerts are the same)
    retro_queue: RetroQueue | None = None  # None: `retro-pending.msgpack` next to the intel set's directory
    # MISP warninglists: an indicator on one is suppressed (counted per list), never matched nor exported
    warninglists: Warninglists | None = None
    housekeeping: RotatedLogs | None = None  # gzip/prune rotated logs once read (this site's own Zeek only)
    ignore_notices: Sequence[str] = ()  # Zeek notice types not raised as alerts of their own
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
    clock: Callable[[], float] = time.time


class CorrelatorService:
    def __init__(self, parts: ServiceParts) -> None:
        self.parts = parts
        self.metrics = parts.metrics
        self._active = self._not_warninglisted(parts.intel)  # the indicators matched and exported
        self.matcher = Matcher(IndicatorIndex.build(self._active))
        self.stop_requested = threading.Event()
        self._next_sync = 0.0
        self._next_export_refresh = 0.0  # an unchanged set is rewritten when this passes (see export.py)
        self._pending: LogBatch | None = None  # a batch whose sinks refused it: retried before reading on
        self._first_load = not parts.intel.restored
        self._housekeeper: threading.Thread | None = None  # gzips in the background: the tail goes on
        self.retro_queue = parts.retro_queue or RetroQueue(parts.intel.directory.parent / RETRO_QUEUE_FILE)
        for name in (getattr(source, "name", "?") for source in parts.sources):
            self.metrics.sources.setdefault(name, SourceState())
        self.metrics.backlogs["alerts"] = lambda: parts.alerts.backlog
        if parts.log_index is not None:
            self.metrics.backlogs["zeek_logs"] = lambda: parts.log_index[1].backlog if parts.log_index else 0
        backlog = getattr(parts.sightings, "backlog", None)
        if backlog is not None:
            self.metrics.backlogs["sightings"] = lambda: int(getattr(parts.sightings, "backlog", 0))
        self._update_intel_metrics()

    # -- the loop --

    def run(self) -> None:
        """Loop until `stop_requested` is set; the batch in hand is finished and committed first."""
        if self.parts.export_path is not None and self._active:
            self._export()
        while not self.stop_requested.is_set():
            self.step()
            self.stop_requested.wait(self.parts.poll_interval_s)
        self.wait_housekeeping(HOUSEKEEPING_STOP_WAIT_S)  # a half-written archive is redone at the next start

    def step(self) -> None:
        """One iteration: intel sync when due, buffered retries, then whatever the logs hold now."""
        now = self.parts.clock()
        if now >= self._next_sync:
            self.sync_intel()
            self._next_sync = now + self.parts.sync_interval_s
        if self.parts.export_path is not None and self.parts.clock() >= self._next_export_refresh:
            self._export()
        self._drain_buffers()
        self.process_logs()
        if self.parts.housekeeping is not None and self.parts.housekeeping.due():
            self.housekeep(self.parts.housekeeping)
        with self.metrics.lock:
            self.metrics.last_loop = self.parts.clock()

    # -- intel --

    def sync_intel(self) -> None:
        """Sync every source; one that fails keeps its last good set (its error and age are reported).

        New indicators are recorded as owed a retro-hunt before the intel set that makes them known is
        written (see service.retro_queue); a hunt owed by a previous run is resumed here as well.
        """
        first, self._first_load = self._first_load, False
        # the first load of a fresh tailer needs no retro-hunt: the tailer reads those logs anyway
        owe_retro = self.parts.retro_hunts and (self.parts.retro_on_first_load or not first)
        changed = False
        for source in self.parts.sources:
            state = self.metrics.sources.setdefault(source.name, SourceState())
            state.last_attempt = self.parts.clock()
            try:
                update = source.sync()
            except Exception as error:  # any failure of one source must not stop the others or the service
                state.last_error = f"{type(error).__name__}: {getattr(error, 'message', error)}"
                log.warning(
                    "intel source %s: sync failed, keeping its last good set: %s",
                    source.name,
                    state.last_error,
                )
                continue
            added, removed = self.parts.intel.apply(
                update, before_persist=self._owe_retro_hunt if owe_retro else None
            )
            changed = changed or bool(added or removed or update.added)
            state.last_error = None
            state.last_success = self.parts.clock()
        if changed:
            self._active = self._not_warninglisted(self.parts.intel)
            self.matcher = Matcher(IndicatorIndex.build(self._active))
            self._update_intel_metrics()
            self._export()
        if self.retro_queue:
            crash_point("retro-owed")
            self.run_retro_hunt(self.retro_queue.indicators)

    def _owe_retro_hunt(self, new: list[Indicator]) -> None:
        lists = self.parts.warninglists
        if lists is not None:
            new = [indicator for indicator in new if lists.check(indicator) is None]
        self.retro_queue.add(new, self.parts.clock())

    def _not_warninglisted(self, indicators: Iterable[Indicator]) -> list[Indicator]:
        """`indicators` less those a warninglist names (counted per list in the metrics). The whole set is
        checked again on every change, so a list that arrives later also covers indicators kept before it."""
        lists = self.parts.warninglists
        if lists is None:
            return list(indicators)
        kept, suppressed = lists.partition(indicators)
        with self.metrics.lock:
            self.metrics.suppressed_by_warninglist = Warninglists.count_per_list(suppressed)
        return kept

    def _update_intel_metrics(self) -> None:
        by_type = self.parts.intel.count_by_type()
        per_source: dict[str, int] = {}
        for indicator in self.parts.intel:
            per_source[indicator.source] = per_source.get(indicator.source, 0) + 1
        with self.metrics.lock:
            self.metrics.indicators_by_type = by_type
            for name, state in self.metrics.sources.items():
                state.indicators = per_source.get(name, 0)

    def _export(self) -> None:
        if self.parts.export_path is None:
            return
        self._next_export_refresh = self.parts.clock() + self.parts.export_refresh_s
        try:
            result = export_zeek_intel(self._active, self.parts.export_path, self.parts.export_budget)
        except OSError as error:
            log.error("Zeek intel export to %s failed: %s", self.parts.export_path, error)
            return
        with self.metrics.lock:
            self.metrics.export_indicators = result.written
            self.metrics.export_left_out = result.left_out

    def run_retro_hunt(self, indicators: Sequence[Indicator]) -> int:
        """Search the last N days of logs for `indicators`; alerts marked retro. Returns the alert count.
        On the cluster when logs are indexed (the files when it fails, or for documents it cannot rebuild),
        else in the files. The debt in the retro queue is cleared only once every alert is durable."""
        started = time.perf_counter()
        moment, first_seen = self.retro_queue.since, self.retro_queue.first_seen
        hunt = functools.partial(retro_hunt, indicators, days=self.parts.retro_hunt_days,
                                 site=self.parts.site,
                                 first_seen=first_seen if len(first_seen) == len(indicators) else None,
                                 now=self.parts.clock() if moment is None else moment)
        indexed = self._indexed_logs()
        directories: list[IndexedLogs | Path] = [self.parts.log_dir, *self.parts.input_dirs]
        total = 0
        try:
            for source in [indexed] if indexed is not None else directories:
                for alerts in hunt(source):
                    self._deliver(alerts)
                    total += len(alerts)
            files_too = indexed is not None and indexed.stats.unreadable > 0
        except TransportError as error:
            if indexed is None:
                raise
            log.warning("retro-hunt on the log storage failed (%s): rescanning the files", error)
            files_too = True
        for directory in directories if files_too else []:
            for alerts in hunt(directory):
                self._deliver(alerts)
                total += len(alerts)
        crash_point("retro-delivered")
        self.retro_queue.done()
        with self.metrics.lock:
            self.metrics.retro_runs_total += 1
            self.metrics.retro_alerts_total += total
            self.metrics.alerts_total += total
        log.info(
            "retro-hunt for %d new indicator(s): %d alert(s) in %.2fs",
            len(indicators),
            total,
            time.perf_counter() - started,
        )
        return total

    def _indexed_logs(self) -> IndexedLogs | None:
        """The log storage, when logs are indexed and hold every line read so far (the log buffer drained);
        None: the files are the place to hunt."""
        if self.parts.log_index is None:
            return None
        indexer, writer = self.parts.log_index
        return IndexedLogs(indexer.client, indexer.prefix) if writer.drain() and not writer.backlog else None

    # -- logs --

    def process_logs(self) -> None:
        try:
            self._process_logs()
        finally:
            ignored = getattr(self.parts.log_source, "ignored", None)
            if isinstance(ignored, dict):
                self.metrics.set_ignored_files(ignored)

    def _process_logs(self) -> None:
        if self._pending is not None:
            if not self._handle(self._pending):
                return
            self._pending = None
        for batch in self.parts.log_source.batches():
            if not self._handle(batch):
                self._pending = batch
                return
            if self.stop_requested.is_set():
                return

    def _handle(self, batch: LogBatch) -> bool:
        """Alerts -> sinks -> commit. False (nothing committed) when a sink pushes back: retry later."""
        alerts, _ = drop_ignored_notices(
            hunt_records(batch.records, self.matcher, site=self.parts.site, now=self.parts.clock()),
            self.parts.ignore_notices,
        )
        try:
            self._deliver(alerts)
            crash_point("alerts-durable")
            if self.parts.log_index is not None and batch.records:
                indexer, writer = self.parts.log_index
                writer.submit(indexer.documents(batch.records))
        except SinkUnavailable as error:  # the buffer is full: back-pressure, the batch stays uncommitted
            log.warning("not reading on: %s", error)
            return False
        crash_point("logs-durable")
        self.parts.log_source.commit(batch.checkpoint)
        crash_point("committed")
        newest = max((r.ts for r in batch.records if r.ts is not None), default=None)
        with self.metrics.lock:
            self.metrics.batches_total += 1
            self.metrics.alerts_total += len(alerts)
            if newest is not None:
                self.metrics.lag_seconds = max(0.0, self.parts.clock() - newest)
        return True

    def _deliver(self, alerts: list[Alert]) -> None:
        if not alerts:
            return
        self.parts.alerts.write(alerts)
        if self.parts.sightings is not None:
            self.parts.sightings.add_sightings(sightings_for(alerts, self.parts.site))

    def _drain_buffers(self) -> None:
        self.parts.alerts.drain()
        if self.parts.log_index is not None:
            self.parts.log_index[1].drain()
        drain = getattr(self.parts.sightings, "drain", None)
        if callable(drain):
            drain()

    def housekeep(self, rotated: RotatedLogs) -> None:
        """Gzip and prune the rotated logs the committed checkpoint shows read, in a thread of its own (100
        MiB of JSON take ~9 s to gzip here): the tailer meanwhile waits for an archive whose plain file is
        still there, then recognises it (zeek/tail.py). One run at a time."""
        if self._housekeeper is not None and self._housekeeper.is_alive():
            return

        def work() -> None:
            run = rotated.run()
            with self.metrics.lock:
                self.metrics.rotated_compressed_total += len(run.gzipped)
                self.metrics.rotated_deleted_total += len(run.deleted)
                self.metrics.housekeeping_error = run.error

        self._housekeeper = threading.Thread(target=work, name="log-housekeeping", daemon=True)
        self._housekeeper.start()

    def wait_housekeeping(self, timeout_s: float | None = None) -> None:
        if self._housekeeper is not None:
            self._housekeeper.join(timeout_s)

    # -- health --

    def health(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body): 503 when the loop is stuck; `degraded` when a sink or a source has trouble."""
        return health_report(self.metrics, now=self.parts.clock(), poll_interval_s=self.parts.poll_interval_s,
                             sink_error=self.parts.alerts.last_error, indicators=len(self._active),
                             site=self.parts.site)
