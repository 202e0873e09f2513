"""What the service counts, rendered as Prometheus text (`/metrics`) and summarised for `/healthz`.

One ServiceMetrics per service instance (no global registry): the loop updates it, the HTTP thread reads it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from minisoc.correlator.service.inputs import InputState
from minisoc.correlator.zeek.stats import ReadStats


@dataclass
class SourceState:
    """One intel source's sync state: the age of the last good sync is what /metrics and status show."""

    last_success: float | None = None
    last_attempt: float | None = None
    last_error: str | None = None
    indicators: int = 0


@dataclass
class ServiceMetrics:
    read: ReadStats = field(default_factory=ReadStats)
    sources: dict[str, SourceState] = field(default_factory=dict)
    indicators_by_type: dict[str, int] = field(default_factory=dict)
    suppressed_by_warninglist: dict[str, int] = field(default_factory=dict)
    alerts_total: int = 0
    retro_alerts_total: int = 0
    retro_runs_total: int = 0
    batches_total: int = 0
    export_indicators: int = 0
    export_left_out: int = 0  # exportable indicators the export budget kept out of Zeek's file
    # rotated Zeek logs the housekeeping gzipped / deleted (retention), and its last error (None: fine)
    rotated_compressed_total: int = 0
    rotated_deleted_total: int = 0
    housekeeping_error: str | None = None
    lag_seconds: float = 0.0
    last_loop: float = field(default_factory=time.time)
    started: float = field(default_factory=time.time)
    backlogs: dict[str, Callable[[], int]] = field(default_factory=dict)
    # sightings by outcome ("sent", "refused": MISP said no, e.g. it has no such attribute), from the sink
    sightings: dict[str, Callable[[], int]] = field(default_factory=dict)
    log_docs_stored: dict[str, int] = field(default_factory=dict)  # per log type, in the log index
    log_docs_rejected: dict[str, int] = field(default_factory=dict)  # per log type, refused by OpenSearch
    ignored_files: dict[str, str] = field(default_factory=dict)  # path -> why the tailer does not read it
    inputs: dict[str, InputState] = field(default_factory=dict)  # syslog, netflow when on (service.inputs)
    # the Kafka log source's status (kafka.source.KafkaLogSource.status): group, partitions, lag; None: files
    consumer: Callable[[], dict[str, Any]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_log_index(self, stored: dict[str, int], rejected: dict[str, int]) -> None:
        """Called by the Zeek log indexer after each bulk write (from the loop's thread)."""
        with self.lock:
            for log_type, n in stored.items():
                self.log_docs_stored[log_type] = self.log_docs_stored.get(log_type, 0) + n
            for log_type, n in rejected.items():
                self.log_docs_rejected[log_type] = self.log_docs_rejected.get(log_type, 0) + n

    def set_ignored_files(self, ignored: dict[str, str]) -> None:
        with self.lock:
            self.ignored_files = dict(ignored)

    def render(self, now: float | None = None) -> str:
        """Prometheus text exposition format 0.0.4."""
        moment = time.time() if now is None else now
        out: list[str] = []

        def family(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
            out.append(f"# HELP {name} {help_text}")
            out.append(f"# TYPE {name} {kind}")
            for labels, value in samples:
                out.append(f"{name}{labels} {_number(value)}")

        with self.lock:
            family(
                "minisoc_lines_read_total",
                "counter",
                "Zeek log lines read, per log type.",
                [(_labels(log_type=t), n) for t, n in sorted(self.read.lines.items())],
            )
            family(
                "minisoc_parse_errors_total",
                "counter",
                "Malformed log lines (dead-lettered), per reason.",
                [(_labels(reason=r), n) for r, n in sorted(self.read.malformed.items())],
            )
            family(
                "minisoc_log_documents_stored_total",
                "counter",
                "Zeek log records stored in the log index (created or already there), per log type.",
                [(_labels(log_type=t), n) for t, n in sorted(self.log_docs_stored.items())],
            )
            family(
                "minisoc_log_documents_rejected_total",
                "counter",
                "Zeek log records OpenSearch refused (kept in rejected-logs.jsonl), per log type.",
                [(_labels(log_type=t), n) for t, n in sorted(self.log_docs_rejected.items())],
            )
            ignored: dict[str, int] = {}
            for reason in self.ignored_files.values():
                ignored[reason] = ignored.get(reason, 0) + 1
            family(
                "minisoc_log_files_ignored",
                "gauge",
                "Files in the log directory the tailer does not read, per reason (listed in /healthz).",
                [(_labels(reason=r), n) for r, n in sorted(ignored.items())],
            )
            family(
                "minisoc_indicators",
                "gauge",
                "Indicators loaded, per MISP type.",
                [(_labels(type=t), n) for t, n in sorted(self.indicators_by_type.items())],
            )
            family(
                "minisoc_indicators_suppressed",
                "gauge",
                "Indicators a MISP warninglist names as benign (not matched, not exported), per list.",
                [(_labels(warninglist=w), n) for w, n in sorted(self.suppressed_by_warninglist.items())],
            )
            family(
                "minisoc_intel_sync_age_seconds",
                "gauge",
                "Seconds since the last successful sync, per source (-1: never synced).",
                [
                    (_labels(source=s), moment - st.last_success if st.last_success else -1)
                    for s, st in sorted(self.sources.items())
                ],
            )
            family(
                "minisoc_intel_sync_ok",
                "gauge",
                "1 if the last sync attempt of the source succeeded.",
                [(_labels(source=s), 0 if st.last_error else 1) for s, st in sorted(self.sources.items())],
            )
            family(
                "minisoc_alerts_total",
                "counter",
                "Alerts raised (live and retro).",
                [("", self.alerts_total)],
            )
            family(
                "minisoc_retro_alerts_total",
                "counter",
                "Alerts raised by retro-hunts.",
                [("", self.retro_alerts_total)],
            )
            family("minisoc_retro_hunts_total", "counter", "Retro-hunts run.", [("", self.retro_runs_total)])
            family(
                "minisoc_sink_backlog",
                "gauge",
                "Items buffered on disk waiting for a sink, per sink.",
                [(_labels(sink=name), backlog()) for name, backlog in sorted(self.backlogs.items())],
            )
            family(
                "minisoc_sightings_total",
                "counter",
                "Sightings MISP took (sent) or said no to (refused: no such attribute or value there).",
                [(_labels(outcome=name), count()) for name, count in sorted(self.sightings.items())],
            )
            family(
                "minisoc_lag_seconds",
                "gauge",
                "Processing time minus the newest log timestamp of the last batch.",
                [("", self.lag_seconds)],
            )
            family("minisoc_batches_total", "counter", "Log batches committed.", [("", self.batches_total)])
            family(
                "minisoc_zeek_intel_exported",
                "gauge",
                "Indicators in the exported Zeek intel file.",
                [("", self.export_indicators)],
            )
            family(
                "minisoc_zeek_intel_left_out",
                "gauge",
                "Exportable indicators the budget (sensor.zeek_intel.max_items) kept out of Zeek's file.",
                [("", self.export_left_out)],
            )
            family(
                "minisoc_rotated_logs_total",
                "counter",
                "Rotated Zeek logs handled once read, per action (gzipped, deleted past retention).",
                [(_labels(action="gzipped"), self.rotated_compressed_total),
                 (_labels(action="deleted"), self.rotated_deleted_total)],
            )
            summaries = {name: state.summary(moment) for name, state in sorted(self.inputs.items())}
            family("minisoc_input_records_total", "counter", "Records read per input (syslog, netflow).",
                   [(_labels(input=name), item["records"]) for name, item in summaries.items()])
            family("minisoc_input_malformed_total", "counter",
                   "Malformed lines per input (dead-lettered in dead-letter-<input>.jsonl), per reason.",
                   [(_labels(input=name, reason=reason), count) for name, item in summaries.items()
                    for reason, count in item["malformed_by_reason"].items()])
            family("minisoc_input_records_per_second", "gauge",
                   "Records read per second over the last minute.",
                   [(_labels(input=name), item["records_per_second"]) for name, item in summaries.items()])
            family("minisoc_input_last_record_age_seconds", "gauge",
                   "Seconds since the input's last record was read (-1: none yet).",
                   [(_labels(input=name), -1 if item["last_record_age_seconds"] is None
                     else item["last_record_age_seconds"]) for name, item in summaries.items()])
            family("minisoc_input_receiving", "gauge",
                   "1 when the input read a record in the last 5 minutes.",
                   [(_labels(input=name), 1 if item["state"] == "receiving" else 0)
                    for name, item in summaries.items()])
            if self.consumer is not None:
                _kafka_families(family, self.consumer())
            family(
                "minisoc_uptime_seconds",
                "gauge",
                "Seconds since the service started.",
                [("", moment - self.started)],
            )
        return "\n".join(out) + "\n"


def _kafka_families(family: Callable[[str, str, str, list[tuple[str, float]]], None],
                    status: dict[str, Any]) -> None:
    rows = status.get("partitions", [])
    family("minisoc_kafka_assigned_partitions", "gauge",
           "Partitions of the log topics this replica owns in the correlators' consumer group.",
           [(_labels(group=str(status.get("group", ""))), len(rows))])
    family("minisoc_kafka_lag_messages", "gauge",
           "Messages behind the partition's end (high watermark minus position), per owned partition.",
           [(_labels(topic=row["topic"], partition=str(row["partition"])), row["lag"])
            for row in rows if row.get("lag") is not None])
    family("minisoc_kafka_commit_failures_total", "counter",
           "Offset commits that failed (a rebalance under way: those messages are delivered again).",
           [("", status.get("commit_failures", 0))])


def _labels(**pairs: str) -> str:
    inner = ",".join(f'{key}="{_escape(value)}"' for key, value in pairs.items())
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.3f}"
