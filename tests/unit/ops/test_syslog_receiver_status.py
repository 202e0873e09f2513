"""`minisoc status` for the syslog receiver: from its files (state, records/s, last record age)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from minisoc.ops.syslog_receiver_status import receiver_lines, receiver_status, tail_lines

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


def test_the_status_lines_read_well(tmp_path: Path) -> None:
    write_day(tmp_path, NOW, [NOW - timedelta(seconds=1)] * 60, NOW - timedelta(seconds=2))
    lines = receiver_lines(receiver_status(tmp_path, NOW))
    assert lines[0].startswith("syslog receiver: receiving, 1.0 records/s, last record 2.0s ago (1 files, ")
    missing = receiver_lines(receiver_status(tmp_path / "none", NOW))
    assert missing == [f"syslog receiver: missing ({tmp_path / 'none'} does not exist: run `minisoc render`)"]
