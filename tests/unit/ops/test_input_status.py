"""`minisoc status` for the syslog input: from the receiver's files (state, records/s, last record age) and
the correlator's /healthz counters (components.inputs.syslog, as the correlator side publishes them)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from minisoc.ops.input_status import input_lines, receiver_status, syslog_input_status, tail_lines

NOW = datetime(2026, 12, 5, 12, 0, 0, tzinfo=UTC)


def record(received: datetime, message: str = "m") -> str:
    return json.dumps({"minisoc_input": "syslog", "received": received.isoformat(), "message": message})


def write_day(folder: Path, day: datetime, times: list[datetime], mtime: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"syslog-{day:%Y-%m-%d}.json"
    path.write_text("".join(record(t) + "\n" for t in times))
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def test_receiving_with_the_rate_of_the_last_minute(tmp_path: Path) -> None:
    folder = tmp_path / "logs" / "syslog"
    write_day(folder, NOW - timedelta(days=1), [NOW - timedelta(days=1)], NOW - timedelta(days=1))
    recent = [NOW - timedelta(seconds=s) for s in (300, 90, 59, 30, 2, 1)]  # 4 in the last minute
    write_day(folder, NOW, recent, NOW - timedelta(seconds=1))
    status = receiver_status(folder, NOW)
    assert status["state"] == "receiving" and status["files"] == 2
    assert status["records_per_second"] == round(4 / 60, 2)
    assert status["last_record_age_seconds"] == 1.0


def test_idle_missing_and_no_data(tmp_path: Path) -> None:
    folder = tmp_path / "syslog"
    assert receiver_status(folder, NOW)["state"] == "missing"
    folder.mkdir()
    assert receiver_status(folder, NOW)["state"] == "no data"
    write_day(folder, NOW - timedelta(days=2), [NOW - timedelta(days=2)], NOW - timedelta(days=2))
    idle = receiver_status(folder, NOW)
    assert idle["state"] == "idle" and idle["records_per_second"] == 0.0


def test_the_tail_skips_the_cut_first_line(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_bytes(b"first line that is long\nsecond\nthird\n")
    assert tail_lines(path, limit=10) == [b"third"]  # "ond" of "second" is cut: dropped, not misread
    assert tail_lines(path) == [b"first line that is long", b"second", b"third"]


def test_the_correlator_counters_come_from_healthz(tmp_path: Path) -> None:
    healthz = {"components": {"inputs": {"syslog": {
        "state": "receiving", "dir": "/logs/syslog", "records": 1200, "malformed": 3,
        "records_per_second": 20.5, "last_record_age_seconds": 0.4, "last_record_ts": 1.0,
    }}}}
    status = syslog_input_status(tmp_path / "none", lambda: healthz, NOW)
    assert status["correlator"] == {"state": "receiving", "records": 1200, "malformed": 3,
                                    "records_per_second": 20.5, "last_record_age_seconds": 0.4}
    assert input_lines({"syslog": status}) == [
        "syslog input: missing; correlator: receiving, 1200 read, 3 malformed"
    ]
    assert syslog_input_status(tmp_path, lambda: None, NOW)["correlator"] is None
    assert syslog_input_status(tmp_path, lambda: {"components": {}}, NOW)["correlator"] is None


def test_a_receiving_line_reads_well(tmp_path: Path) -> None:
    write_day(tmp_path, NOW, [NOW - timedelta(seconds=1)] * 60, NOW - timedelta(seconds=2))
    lines = input_lines({"syslog": syslog_input_status(tmp_path, None, NOW)})
    assert lines == ["syslog input: receiving, 1.0 records/s, last record 2.0s ago"]
