"""The sensor in `minisoc status`: capture figures from Zeek's own stats.log and capture_loss.log (their
latest records), the log folder's disk use, and when each log type was last written (file mtimes: one stat per
file, no log read). Works for any sensor mode: what the log folder holds is shown, an external sensor's too.

stats.log (policy/misc/stats, every 5 min): `pkts_proc` packets Zeek processed, `pkts_dropped` packets the
capture dropped and `pkts_link` packets seen on the link, each since the previous record, per `peer` (a Zeek
process). capture_loss.log (policy/misc/capture-loss, every 15 min): `gaps` (ACKs for data never seen) of
`acks`, `percent_lost`.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minisoc.correlator.service.housekeeping import is_rotated_name
from minisoc.correlator.zeek.malformed import MalformedLine
from minisoc.correlator.zeek.names import is_log_file_name, log_type_from_name
from minisoc.correlator.zeek.streamparser import StreamParser
from minisoc.correlator.zeek.streams import DECOMPRESSION_ERRORS, GZIP_MAGIC
from minisoc.profile.model import Sensor

HEAD_BYTES = 8 << 10  # a TSV header is well within this
TAIL_BYTES = 64 << 10  # the last records of a stats or capture_loss log (one line per process per interval)
GZIP_READ_LIMIT = 16 << 20  # a rotated stats log is a few kB; a bigger archive is read up to this much
PEER_WINDOW_S = 900.0  # records of other Zeek processes this close to the newest count as the same round


@dataclass(frozen=True)
class LogFile:
    path: Path
    log_type: str | None
    size: int
    mtime: float


def log_files(log_dir: Path) -> list[LogFile]:
    """Every regular file under `log_dir` (hidden ones too: they take disk), newest first."""
    found: list[LogFile] = []
    for root, _dirs, names in os.walk(log_dir):
        for name in names:
            path = Path(root) / name
            try:
                status = path.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(status.st_mode):  # lstat: a link is not followed
                continue
            kind = log_type_from_name(name) if is_log_file_name(name) else None
            found.append(LogFile(path, kind, status.st_size, status.st_mtime))
    found.sort(key=lambda item: item.mtime, reverse=True)
    return found


def _head_and_tail(path: Path) -> tuple[bytes, bytes, bool]:
    """(first bytes, last bytes, whether the tail starts at the file's start), decompressed for gzip."""
    with path.open("rb") as handle:
        compressed = handle.read(2) == GZIP_MAGIC
        if not compressed:
            descriptor = handle.fileno()
            start = max(0, os.fstat(descriptor).st_size - TAIL_BYTES)
            return os.pread(descriptor, HEAD_BYTES, 0), os.pread(descriptor, TAIL_BYTES, start), start == 0
    data = b""
    with gzip.open(path, "rb") as stream, contextlib.suppress(*DECOMPRESSION_ERRORS):
        data = stream.read(GZIP_READ_LIMIT)
    return data[:HEAD_BYTES], data[-TAIL_BYTES:], len(data) <= TAIL_BYTES


def latest_records(path: Path, window_s: float = PEER_WINDOW_S) -> list[dict[str, Any]]:
    """The newest record of each Zeek process (`peer`) in the last lines of a log (JSON, TSV; plain, gzip)."""
    head, tail, whole = _head_and_tail(path)
    parser = StreamParser(str(path), log_type_from_name(path.name))
    parser.prime_headers(head)
    lines = tail.split(b"\n")[:-1]  # the last piece has no newline yet: Zeek is writing it
    if not whole and lines:
        lines = lines[1:]  # the first piece starts mid-line
    newest: float | None = None
    by_peer: dict[str, dict[str, Any]] = {}
    for line in reversed(lines):
        if not line.strip() or line.startswith(b"#"):
            continue
        try:
            record = parser.parse(line, 0)
        except MalformedLine:
            continue
        if record is None or record.ts is None:
            continue
        newest = record.ts if newest is None else newest
        if newest - record.ts > window_s:
            break
        fields = dict(record.fields, ts=record.ts)
        by_peer.setdefault(str(fields.get("peer") or "-"), fields)
    return list(by_peer.values())


def _latest_of_type(files: list[LogFile], log_type: str) -> list[dict[str, Any]]:
    for item in [f for f in files if f.log_type == log_type][:3]:  # the current file may hold a header only
        try:
            records = latest_records(item.path)
        except OSError:
            continue
        if records:
            return records
    return []


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def packets(files: list[LogFile], now: float) -> dict[str, Any] | None:
    records = _latest_of_type(files, "stats")
    if not records:
        return None
    received = int(sum(_number(r.get("pkts_proc")) for r in records))
    dropped = int(sum(_number(r.get("pkts_dropped")) for r in records))
    link = int(sum(_number(r.get("pkts_link")) for r in records))
    newest = max(float(r["ts"]) for r in records)
    return {
        "received": received,
        "dropped": dropped,
        "link": link,
        "dropped_percent": round(100.0 * dropped / link, 3) if link else None,
        "peers": sorted(str(r.get("peer") or "-") for r in records),
        "ts": newest,
        "age_s": round(now - newest, 1),
    }


def capture_loss(files: list[LogFile], now: float) -> dict[str, Any] | None:
    records = _latest_of_type(files, "capture_loss")
    if not records:
        return None
    gaps = int(sum(_number(r.get("gaps")) for r in records))
    acks = int(sum(_number(r.get("acks")) for r in records))
    newest = max(float(r["ts"]) for r in records)
    return {
        "gaps": gaps,
        "acks": acks,
        "percent_lost": round(100.0 * gaps / acks, 3) if acks else 0.0,
        "peers": sorted(str(r.get("peer") or "-") for r in records),
        "ts": newest,
        "age_s": round(now - newest, 1),
    }


def sensor_status(sensor: Sensor, log_dir: Path, now: float) -> dict[str, Any]:
    """The sensor section of the status document (see the module docstring)."""
    result: dict[str, Any] = {
        "mode": sensor.mode,
        "interface": sensor.interface if sensor.mode == "live" else None,
        "log_dir": str(log_dir),
        "retention_days": sensor.retention_days if sensor.mode == "live" else None,
    }
    if not log_dir.is_dir():
        result.update(exists=False, disk=None, last_write_age_s={}, packets=None, capture_loss=None)
        return result
    files = log_files(log_dir)
    ages: dict[str, float] = {}
    for item in files:  # newest first: the first of each type is its last write
        if item.log_type is not None and item.log_type not in ages:
            ages[item.log_type] = round(max(0.0, now - item.mtime), 1)
    rotated = [item for item in files if is_rotated_name(item.path.name)]
    usage = shutil.disk_usage(log_dir)
    result.update(
        exists=True,
        disk={
            "bytes": sum(item.size for item in files),
            "files": len(files),
            "rotated_plain": sum(1 for item in rotated if not item.path.name.endswith(".gz")),
            "rotated_gzip": sum(1 for item in rotated if item.path.name.endswith(".gz")),
            "filesystem_free_bytes": usage.free,
            "filesystem_total_bytes": usage.total,
        },
        last_write_age_s=dict(sorted(ages.items())),
        packets=packets(files, now),
        capture_loss=capture_loss(files, now),
    )
    return result


def _size(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"  # pragma: no cover - the loop returns at GiB


def sensor_lines(sensor: dict[str, Any]) -> list[str]:
    where = f" on {sensor['interface']}" if sensor.get("interface") else ""
    lines = [f"sensor: {sensor['mode']}{where}, logs in {sensor['log_dir']}"]
    if not sensor.get("exists"):
        lines.append("  log folder: not there yet")
        return lines
    disk = sensor["disk"]
    keep = f", rotated logs kept {sensor['retention_days']} days" if sensor.get("retention_days") else ""
    lines.append(
        f"  log folder: {_size(disk['bytes'])} in {disk['files']} files ({disk['rotated_gzip']} rotated "
        f"gzipped, {disk['rotated_plain']} rotated plain){keep}; {_size(disk['filesystem_free_bytes'])} free "
        "on its disk"
    )
    counts = sensor.get("packets")
    if counts:
        percent = counts["dropped_percent"]
        share = f" ({percent}% of the link's)" if percent is not None else ""
        lines.append(
            f"  packets: {counts['received']} received, {counts['dropped']} dropped{share} in Zeek's last "
            f"stats interval, {counts['age_s']}s ago"
        )
    else:
        lines.append("  packets: no stats.log record yet (Zeek writes one every 5 minutes)")
    loss = sensor.get("capture_loss")
    if loss:
        lines.append(
            f"  capture loss: {loss['percent_lost']}% ({loss['gaps']} gaps in {loss['acks']} ACKs), "
            f"{loss['age_s']}s ago"
        )
    ages = sensor.get("last_write_age_s") or {}
    if ages:
        lines.append("  last written: " + ", ".join(f"{kind} {age:.0f}s ago" for kind, age in ages.items()))
    return lines
