"""`minisoc status` for the syslog receiver itself, from its files (logs/syslog/syslog-YYYY-MM-DD.json,
docs/inputs.md): `receiving` or not, records/s over the last minute (the `received` times in the tail of
today's file) and the last record's age (the newest file's modification time). What the correlator read of
the input is `ops/input_status.py` (its /healthz); this side answers whether rsyslog writes at all.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

RECEIVING_WITHIN_S = 300.0  # as the correlator's own `receiving` (a record within 5 minutes)
RATE_WINDOW_S = 60.0
TAIL_BYTES = 4 * 2**20  # the most of today's file read for the rate (about 10k records)


def receiver_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("syslog-????-??-??.json"))


def tail_lines(path: Path, limit: int = TAIL_BYTES) -> list[bytes]:
    """The whole lines among the last `limit` bytes of `path`."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - limit))
        data = handle.read()
    lines = data.split(b"\n")
    if size > limit:
        lines = lines[1:]  # the first one is cut
    return [line for line in lines if line.strip()]


def recent_rate(lines: list[bytes], now: datetime, window_s: float = RATE_WINDOW_S) -> float:
    """Records per second whose `received` time falls in the last `window_s` seconds."""
    since = now - timedelta(seconds=window_s)
    count = 0
    for line in reversed(lines):
        try:
            received = datetime.fromisoformat(str(json.loads(line)["received"]))
        except (ValueError, KeyError, TypeError):
            continue
        if received < since:
            break
        count += 1
    return round(count / window_s, 2)


def receiver_status(folder: Path, now: datetime) -> dict[str, Any]:
    """What the receiver wrote: `missing` (no folder), `no data`, `receiving` or `idle`."""
    if not folder.is_dir():
        return {"state": "missing", "dir": str(folder)}
    files = receiver_files(folder)
    if not files:
        return {"state": "no data", "dir": str(folder), "files": 0}
    newest = files[-1]
    age = round(now.timestamp() - newest.stat().st_mtime, 1)
    today = folder / f"syslog-{now:%Y-%m-%d}.json"
    rate = recent_rate(tail_lines(today), now) if today.is_file() else 0.0
    return {
        "state": "receiving" if age <= RECEIVING_WITHIN_S else "idle",
        "dir": str(folder),
        "files": len(files),
        "bytes": sum(path.stat().st_size for path in files),
        "last_record_age_seconds": age,
        "records_per_second": rate,
    }


def receiver_lines(status: dict[str, Any]) -> list[str]:
    """`syslog receiver: receiving, 12.5 records/s, last record 1.0s ago (2 files, 3.1 MB)`."""
    text = f"syslog receiver: {status['state']}"
    if status.get("last_record_age_seconds") is not None:
        age = status["last_record_age_seconds"]
        text += (f", {status['records_per_second']} records/s, last record {age}s ago "
                 f"({status['files']} files, {status['bytes'] / 1e6:.1f} MB)")
    elif status["state"] == "missing":
        text += f" ({status['dir']} does not exist: run `minisoc render`)"
    return [text]
