"""`minisoc status` for the syslog input: is the receiver writing, how fast, how old is its last record, and
what the correlator read of it.

The receiver's side comes from its files (logs/syslog/syslog-YYYY-MM-DD.json, docs/inputs.md): the newest
file's modification time is the last record's age; records/s counts the `received` times of the last minute
in the tail of today's file. The correlator's side is its /healthz `components.inputs.syslog` (state,
records, malformed, records_per_second, last_record_age_seconds), when the correlator answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RECEIVING_WITHIN_S = 300.0  # as the correlator's own `receiving` (a record within 5 minutes)
RATE_WINDOW_S = 60.0
TAIL_BYTES = 4 * 2**20  # the most of today's file read for the rate (about 10k records)
CORRELATOR_KEYS = ("state", "records", "malformed", "records_per_second", "last_record_age_seconds")


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


def correlator_side(healthz: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The correlator's counters for the syslog input from its /healthz body (None: not there)."""
    if not isinstance(healthz, Mapping):
        return None
    info = (healthz.get("components") or {}).get("inputs", {}).get("syslog")
    return {key: info.get(key) for key in CORRELATOR_KEYS} if isinstance(info, Mapping) else None


def syslog_input_status(folder: Path, fetch_healthz: Callable[[], Mapping[str, Any] | None] | None,
                        now: datetime | None = None) -> dict[str, Any]:
    """`status["inputs"]["syslog"]`: the receiver's files and, when the correlator runs, what it read."""
    at = now or datetime.now(UTC)
    return {"receiver": receiver_status(folder, at),
            "correlator": correlator_side(fetch_healthz() if fetch_healthz else None)}


def input_lines(inputs: Mapping[str, Any]) -> list[str]:
    lines = []
    syslog = inputs.get("syslog")
    if syslog:
        rx = syslog["receiver"]
        text = f"syslog input: {rx['state']}"
        if rx.get("last_record_age_seconds") is not None:
            age = rx["last_record_age_seconds"]
            text += f", {rx['records_per_second']} records/s, last record {age}s ago"
        correlator = syslog.get("correlator")
        if correlator:
            text += (f"; correlator: {correlator.get('state')}, {correlator.get('records')} read, "
                     f"{correlator.get('malformed')} malformed")
        lines.append(text)
    return lines
