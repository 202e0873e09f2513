"""A scenario's Zeek logs, shifted to now and dropped into copies' log folders, at once or at their own pace.

Every record's `ts` (and json-streaming-logs' `_write_ts`) moves by the same amount, so the first record
of the scenario happens now and the gaps between records stay: the student sees fresh traffic (a "last 15
minutes" view finds it, retention keeps it), and a replay of the scenario after a reset raises its own alerts.
Other time fields (a certificate's validity) are facts about the traffic and stay.

`fast`: each copy gets its run folder written whole in a hidden folder, then renamed (the correlator skips
hidden folders and reads whole files). `real`: the files are created, then each record is appended when
its shifted time comes (the correlator tails growing files, as it tails Zeek's own); `10x`: the same, ten
times faster (the gaps between records, and so their shifted times, divided by ten).
"""

from __future__ import annotations

import gzip
import heapq
import json
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from minisoc.errors import UsageError

SHIFTED_FIELDS = ("ts", "_write_ts")
MAX_FACTOR = 3600.0  # an hour of traffic in a second: beyond, `fast`
_FACTOR = re.compile(r"^(\d+(?:\.\d+)?)x$")


@dataclass(frozen=True)
class EvidenceFile:
    name: str  # the name in the copy's run folder (`.gz` dropped: written as plain text)
    header: list[str]  # TSV header lines (`#fields ...`), empty for JSON lines
    records: list[tuple[float, str]]  # (original ts, the line without its newline), in file order


def read_evidence(path: Path) -> EvidenceFile:
    opener: Callable[..., Any] = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle if line.strip()]
    name = path.name.removesuffix(".gz")
    # Zeek's TSV header; its #close footer is dropped: a replayed file is still being written
    header = [line for line in lines if line.startswith("#") and not line.startswith("#close")]
    body = [line for line in lines if not line.startswith("#")]
    if header:
        fields: list[str] = next((line.split("\t")[1:] for line in header if line.startswith("#fields")), [])
        if "ts" not in fields:
            raise UsageError(f"{path}: a TSV Zeek log without a ts field", "keep Zeek's #fields header")
        index = fields.index("ts")
        return EvidenceFile(name, header, [(float(line.split("\t")[index]), line) for line in body])
    records = []
    for number, line in enumerate(body, 1):
        try:
            record = json.loads(line)
            records.append((_seconds(record["ts"]), line))
        except (ValueError, KeyError, TypeError) as error:
            raise UsageError(f"{path}: line {number}: not a Zeek JSON record with a ts ({error})",
                             "scenario evidence is Zeek logs: JSON lines or TSV with their header") from None
    return EvidenceFile(name, header, records)


def _seconds(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _shifted(value: object, shift: float) -> object:
    if isinstance(value, int | float):
        return round(float(value) + shift, 6)
    moved = datetime.fromisoformat(str(value).replace("Z", "+00:00")) + timedelta(seconds=shift)
    return moved.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def shift_line(line: str, shift: float, header: Sequence[str] = ()) -> str:
    """The record with its time fields moved by `shift` seconds (pure)."""
    if header:
        fields = next(line.split("\t")[1:] for line in header if line.startswith("#fields"))
        values = line.split("\t")
        for name in SHIFTED_FIELDS:
            if name in fields and values[fields.index(name)] not in ("-", "(empty)"):
                values[fields.index(name)] = f"{float(values[fields.index(name)]) + shift:.6f}"
        return "\t".join(values)
    record = json.loads(line)
    for name in SHIFTED_FIELDS:
        if name in record:
            record[name] = _shifted(record[name], shift)
    return json.dumps(record, separators=(",", ":"))


def first_ts(files: Sequence[EvidenceFile]) -> float:
    return min(ts for evidence in files for ts, _ in evidence.records)


def timeline(files: Sequence[EvidenceFile]) -> Iterator[tuple[float, int, str]]:
    """(original ts, file index, line) of every record of every file, in time order (ties: file order)."""
    streams = [[(ts, index, line) for ts, line in sorted(f.records, key=lambda r: r[0])]
               for index, f in enumerate(files)]
    return heapq.merge(*streams)


def shift_folder(folder: Path, start: float) -> int:
    """Zeek's logs in `folder` (a capture's replay, before it is renamed into sight) rewritten with their
    times moved so that their first record happens at `start`; how many records. A file without times
    (Zeek's loaded_scripts.log) is left as it is."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name.endswith(".log"):
            try:
                found.append((path, read_evidence(path)))
            except UsageError:
                continue
    timed = [evidence for _, evidence in found if evidence.records]
    if not timed:
        return 0
    shift = start - first_ts(timed)
    for path, evidence in found:
        moved = (shift_line(line, shift, evidence.header) for _, line in evidence.records)
        lines = [*evidence.header, *moved]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sum(len(evidence.records) for evidence in timed)


def write_fast(run_dir: Path, files: Sequence[EvidenceFile], shift: float) -> None:
    """The whole run folder at once: written hidden, then renamed into place."""
    hidden = run_dir.with_name("." + run_dir.name)
    hidden.mkdir(parents=True, exist_ok=False)
    for evidence in files:
        moved = (shift_line(line, shift, evidence.header) for _, line in evidence.records)
        lines = [*evidence.header, *moved]
        (hidden / evidence.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        (hidden / evidence.name).chmod(0o644)
    hidden.chmod(0o755)
    hidden.rename(run_dir)


def parse_speed(text: str) -> float | None:
    """`--speed`: `real` (1.0), `fast` (None: all at once), or a factor such as `10x` (pure)."""
    if text in ("real", "fast"):
        return 1.0 if text == "real" else None
    found = _FACTOR.match(text)
    factor = float(found.group(1)) if found else 0.0
    if not 1.0 <= factor <= MAX_FACTOR:
        raise UsageError(f"--speed {text}: not a speed",
                         f"use real, fast (all at once) or a factor from 1x to {MAX_FACTOR:g}x, e.g. 10x")
    return factor


def write_real(run_dirs: Sequence[Path], files: Sequence[EvidenceFile], start: float, *, factor: float = 1.0,
               clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
               progress: Callable[[int, int], None] | None = None) -> None:
    """Every record appended to its file in every run folder when its time comes, `start` + its offset from
    the scenario's first record divided by `factor` (1: real speed, 10: ten times faster), its time fields
    moved to that moment; the files flushed after each record."""
    origin = first_ts(files)
    handles = []
    for run_dir in run_dirs:
        run_dir.mkdir(parents=True, exist_ok=False)
        run_dir.chmod(0o755)
        opened = []
        for evidence in files:
            handle = (run_dir / evidence.name).open("w", encoding="utf-8")
            (run_dir / evidence.name).chmod(0o644)
            if evidence.header:
                handle.write("\n".join(evidence.header) + "\n")
                handle.flush()
            opened.append(handle)
        handles.append(opened)
    total = sum(len(evidence.records) for evidence in files)
    try:
        for done, (ts, index, line) in enumerate(timeline(files), 1):
            moment = start + (ts - origin) / factor
            wait = moment - clock()
            if wait > 0:
                sleep(wait)
            text = shift_line(line, moment - ts, files[index].header) + "\n"
            for opened in handles:
                opened[index].write(text)
                opened[index].flush()
            if progress is not None:
                progress(done, total)
    finally:
        for opened in handles:
            for handle in opened:
                handle.close()
