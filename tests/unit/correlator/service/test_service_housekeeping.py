"""The service gzips the rotated logs it has read (real Zeek 8.0.10 logs of sshguess.pcap, renamed as Zeek
rotates them) and alerts stay exactly once: across later steps and across a restart from the checkpoint."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from minisoc.correlator.intel.intel_file import IntelFileSource
from minisoc.correlator.model import Alert
from minisoc.correlator.service.housekeeping import RotatedLogs
from minisoc.correlator.service.intel_set import IntelSet
from minisoc.correlator.service.loop import CorrelatorService, ServiceParts
from minisoc.correlator.service.metrics import ServiceMetrics
from minisoc.correlator.sinks.buffer import BufferedAlertSink, DurableBuffer
from minisoc.correlator.sinks.sqlite import SqliteAlertSink
from minisoc.correlator.zeek.tail import LogTailer

ROTATED_AT = "2026-12-04-10-00-00"


def service(site: Path, store: SqliteAlertSink, retention_days: int = 30) -> CorrelatorService:
    metrics = ServiceMetrics()
    tailer = LogTailer(site / "logs", site / "state" / "tail", batch_lines=5, stats=metrics.read)
    parts = ServiceParts(
        site="lab",
        sources=[IntelFileSource(site / "planted.intel")],
        intel=IntelSet(site / "state" / "intel"),
        log_source=tailer,
        alerts=BufferedAlertSink(store, DurableBuffer(site / "state" / "buffer", Alert)),
        log_dir=site / "logs",
        metrics=metrics,
        retro_on_first_load=False,
        housekeeping=RotatedLogs(site / "logs", tailer.checkpoint_path, retention_days=retention_days,
                                 interval_s=0.0),
    )
    return CorrelatorService(parts)


def test_gzipping_what_was_read_never_alerts_twice(tmp_path: Path, shared_data: Path) -> None:
    sshguess = shared_data / "zeek" / "json" / "zeek8-pcaps" / "sshguess"
    logs = tmp_path / "logs"
    logs.mkdir()
    for log_type in ("conn", "ssh"):
        shutil.copyfile(sshguess / f"{log_type}.log", logs / f"{log_type}.{ROTATED_AT}.log")
    shutil.copyfile(sshguess / "conn.log", logs / "conn.log")  # the current log: read, never gzipped
    shutil.copyfile(shared_data / "zeek" / "zeek8-pcaps.planted.intel", tmp_path / "planted.intel")
    store = SqliteAlertSink(tmp_path / "alerts.db")

    first = service(tmp_path, store)
    first.step()
    first.wait_housekeeping()
    alerts = store.count()
    assert alerts == 11  # 11 connections, one alert each listing its conn and ssh records
    assert sorted(p.name for p in logs.iterdir()) == [
        "conn.2026-12-04-10-00-00.log.gz", "conn.log", "ssh.2026-12-04-10-00-00.log.gz"
    ]
    assert first.metrics.rotated_compressed_total == 2 and first.metrics.housekeeping_error is None
    assert 'minisoc_rotated_logs_total{action="gzipped"} 2' in first.metrics.render()
    first.step()
    first.wait_housekeeping()
    first.parts.log_source.close()  # type: ignore[attr-defined]

    service(tmp_path, store).step()  # a restart from the committed checkpoint
    assert store.count() == alerts and store.duplicates == 0


def test_past_retention_the_read_archives_go(tmp_path: Path, shared_data: Path) -> None:
    sshguess = shared_data / "zeek" / "json" / "zeek8-pcaps" / "sshguess"
    logs = tmp_path / "logs"
    logs.mkdir()
    rotated = logs / f"conn.{ROTATED_AT}.log"
    shutil.copyfile(sshguess / "conn.log", rotated)
    os.utime(rotated, (1.0, 1.0))  # written long ago
    shutil.copyfile(shared_data / "zeek" / "zeek8-pcaps.planted.intel", tmp_path / "planted.intel")
    store = SqliteAlertSink(tmp_path / "alerts.db")
    keeper = service(tmp_path, store, retention_days=1)
    keeper.step()
    keeper.wait_housekeeping()
    assert store.count() == 11 and not rotated.exists() and list(logs.iterdir()) == []
    assert keeper.metrics.rotated_deleted_total == 1
