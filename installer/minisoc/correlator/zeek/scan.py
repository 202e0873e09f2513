"""Reading logs for a hunt: every line is parsed and probed, only the lines the probe flags become LogRecords.

`scan_logs(paths, probe)` reads exactly what `read_logs(paths)` reads — same files, same order, same
ReadStats, same refusals and dead letters — and calls `probe(log_type, fields)` on every record's fields.
It yields `(record, result)` only when the result is truthy (a hunt: the record's matches), so the ~99.7 %
of lines that hit nothing cost no LogRecord, no generator step and no per-line call layers: JSON lines are
decoded and checked inline in one loop (the common case: a dict with a float `ts`); anything unusual takes
`JsonLineParser.parse`, the reference, and TSV streams take `StreamParser`, so results never differ from
`read_logs` followed by the probe.

`fields` is the record's own dict: a probe must not change it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Sequence, Sized
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from minisoc.correlator.model import LogRecord
from minisoc.correlator.zeek.deadletter import DeadLetterSink
from minisoc.correlator.zeek.jsonlines import JSON_DECODE_ERRORS
from minisoc.correlator.zeek.linesplit import LineChunks
from minisoc.correlator.zeek.malformed import REASON_OVERSIZE, REASON_TRUNCATED, MalformedLine
from minisoc.correlator.zeek.reader import DEFAULT_MAX_LINE_BYTES, find_log_files, read_targets
from minisoc.correlator.zeek.records import Refusals
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek.streamparser import FORMAT_JSON, StreamParser
from minisoc.correlator.zeek.streams import DECOMPRESSION_ERRORS, STDIN_NAME

__all__ = ["Probe", "scan_logs", "scan_stream"]

T = TypeVar("T", bound=Sized)
Probe = Callable[[str, dict[str, Any]], T]

_DECODE = msgspec.json.Decoder().decode  # the same (stateless) decoder as jsonlines'


def scan_logs(
    paths: Sequence[str | Path],
    probe: Probe[T],
    *,
    dead_letter: DeadLetterSink | None = None,
    stats: ReadStats | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[tuple[LogRecord, T]]:
    """`(record, probe(record.log_type, record.fields))` for the records of `paths` whose probe is truthy.

    Paths as for `read_logs` (files, directories, `-`), checked before anything is read (LogSourceError).
    """
    targets: list[Path | None] = []
    for given in paths:
        if str(given) == STDIN_NAME:
            targets.append(None)
        else:
            targets.extend(find_log_files(Path(given)))
    refusals = Refusals(stats if stats is not None else ReadStats(), dead_letter)

    def scan(
        stream: io.BufferedIOBase, source: str | None, hint: str | None
    ) -> Iterator[tuple[LogRecord, T]]:
        return scan_stream(stream, source, hint, probe, refusals, max_line_bytes)

    return read_targets(targets, refusals, scan)


def scan_stream(
    stream: io.BufferedIOBase,
    source: str | None,
    log_type_hint: str | None,
    probe: Probe[T],
    refusals: Refusals,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[tuple[LogRecord, T]]:
    """One whole stream, as `read_stream` reads it; decompression errors end it, reported in the stats."""
    stats = refusals.stats
    stats.files += 1
    chunks = LineChunks(stream.read1, 0, max_line_bytes, emit_partial_tail=True)
    try:
        yield from _scan_chunks(chunks, StreamParser(source, log_type_hint), probe, refusals, max_line_bytes)
    except DECOMPRESSION_ERRORS as exc:
        message = f"corrupt or truncated gzip after {chunks.consumed} bytes: {exc}"
        stats.file_failed(source or STDIN_NAME, message)
        if chunks.partial_tail:
            refusals.refuse(source, chunks.consumed, REASON_TRUNCATED, "cut off by the gzip error",
                            chunks.partial_tail)
    finally:
        stats.bytes_read += chunks.consumed


def _scan_chunks(
    chunks: LineChunks, parser: StreamParser, probe: Probe[T], refusals: Refusals, max_line_bytes: int
) -> Iterator[tuple[LogRecord, T]]:
    """The hot loop: `parse_chunks` + probe fused, with the JSON common case inlined (see module doc)."""
    counts = refusals.stats.lines
    source = parser.source
    decode = _DECODE
    float_type, dict_type = float, dict
    json_mode = False
    default_type = parser.log_type_hint or "unknown"  # JsonLineParser's type when `_path` is unusable
    default_count = 0  # records of `default_type` not yet added to counts (one dict update per stream)
    try:
        for base, lines in chunks:
            offset = base
            for line in lines:
                start = offset
                size = len(line)
                offset += size + 1
                if not size:
                    continue
                if size > max_line_bytes:
                    detail = f"line longer than {max_line_bytes} bytes (max_line_bytes); refused unread"
                    refusals.refuse(source, start, REASON_OVERSIZE, detail, line)
                    continue
                if json_mode:
                    try:
                        fields = decode(line)
                    except JSON_DECODE_ERRORS:
                        fields = None
                    if fields.__class__ is dict_type:
                        ts = fields.get("ts")
                        if ts.__class__ is float_type or ts is None:
                            log_type = fields.get("_path")
                            if log_type is None:
                                default_count += 1
                                found = probe(default_type, fields)
                                if found:
                                    yield LogRecord(default_type, fields, line, source, start, ts), found
                                continue
                            if log_type.__class__ is str and log_type:
                                counts[log_type] = counts.get(log_type, 0) + 1
                                found = probe(log_type, fields)
                                if found:
                                    hit = LogRecord(log_type, fields, line, source, start, ts)
                                    yield hit, found
                                continue
                # the reference path: detection, TSV, JSON errors and unusual `ts` / `_path` values
                try:
                    parsed = parser.parse(line, start)
                except MalformedLine as bad:
                    refusals.refuse(source, start, bad.reason, bad.detail, line)
                    continue
                finally:
                    json_mode = parser.format == FORMAT_JSON
                if parsed is None:
                    continue
                counts[parsed.log_type] = counts.get(parsed.log_type, 0) + 1
                found = probe(parsed.log_type, parsed.fields)
                if found:
                    yield parsed, found
    finally:
        if default_count:
            counts[default_type] = counts.get(default_type, 0) + default_count
