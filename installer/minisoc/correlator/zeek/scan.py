"""Reading logs for a hunt: every line is parsed and probed, only the lines the probe flags become LogRecords.

`scan_logs(paths, probe)` reads exactly what `read_logs(paths)` reads — same files, same order, same
ReadStats, same refusals and dead letters — and calls `probe(log_type, fields)` on every record's fields.
It yields `(record, result)` only when the result is truthy (a hunt: the record's matches), so the ~99.7 %
of lines that hit nothing cost no LogRecord, no generator step and no per-line call layers: JSON lines are
decoded and checked inline in one loop (the common case: a dict with a float `ts`); anything unusual takes
`JsonLineParser.parse`, the reference, and TSV streams take `StreamParser`, so results never differ from
`read_logs` followed by the probe.

`fields` is the record's own dict: a probe must not change it.

A `screen` (the Matcher is one) makes the common case cheaper still. `screen.screen_for(log_type)` gives a
decoder that builds only the fields the probe reads (a msgspec Struct per log type) and a check over its
result that is falsy exactly when the probe would be. Once a stream is known to be JSON, each 1 MiB chunk
is decoded in one call (`decode_lines`) and checked with one Python call per line, when `_screen_chunk`
can prove that gives what decoding line by line would; other chunks are screened line by line, and other
lines (non-ASCII, unusual `ts`/`_path`) take the dict path. Lines the check passes (a likely hit) take
the dict path too and are probed there, so a hit is always built and probed exactly as without a screen.
"""

from __future__ import annotations

import io
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from itertools import accumulate, compress
from itertools import count as itertools_count
from pathlib import Path
from typing import Any, Protocol, TypeVar

import msgspec

from minisoc.correlator.model import LogRecord
from minisoc.correlator.zeek.deadletter import DeadLetterSink
from minisoc.correlator.zeek.fieldtypes import infers_from_fields, log_type_from_fields
from minisoc.correlator.zeek.jsonlines import JSON_DECODE_ERRORS
from minisoc.correlator.zeek.linesplit import LineChunks
from minisoc.correlator.zeek.malformed import REASON_OVERSIZE, REASON_TRUNCATED, MalformedLine
from minisoc.correlator.zeek.reader import DEFAULT_MAX_LINE_BYTES, log_targets, read_targets
from minisoc.correlator.zeek.records import Refusals
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek.streamparser import StreamParser
from minisoc.correlator.zeek.streams import DECOMPRESSION_ERRORS, STDIN_NAME

__all__ = ["Probe", "scan_logs", "scan_stream"]

T = TypeVar("T", bound=Sized)
Probe = Callable[[str, dict[str, Any]], T]
_DECODE = msgspec.json.Decoder().decode  # the same (stateless) decoder as jsonlines'
_DECODE_LINES = msgspec.json.Decoder().decode_lines


# (decode, decode_lines, check): `decode(line)` has `ts`, `log_path` (`_path`) and what `check` reads,
# `decode_lines(data)` the same for each line of `data` (msgspec's Decoder.decode_lines), and
# `check(decode(line))` is falsy exactly when the probe of the line's record would be
ScreenPlan = tuple[Callable[[bytes], Any], Callable[[bytes], list[Any]], Callable[[Any], Sized]]
_TS_TYPES = frozenset((float, type(None)))
_TS_OF, _PATH_OF = operator.attrgetter("ts"), operator.attrgetter("log_path")
_FIRST_BYTE, _LAST_BYTE = operator.itemgetter(0), operator.itemgetter(-1)
_OPENING, _CLOSING = {ord("{")}, {ord("}")}


class Screen(Protocol):
    """A probe's cheaper twin for JSON lines (see the module doc)."""

    def screen_for(self, log_type: str) -> ScreenPlan:
        """How to screen lines of `log_type`."""
        ...


class _NoScreen:
    """Stands in when there is no screen (never called: `screening` is False)."""

    def screen_for(self, log_type: str) -> ScreenPlan:
        return _DECODE, _DECODE_LINES, _nothing


def _nothing(observed: Any) -> Sized:
    return ()


def scan_logs(
    paths: Sequence[str | Path],
    probe: Probe[T],
    *,
    screen: Screen | None = None,
    dead_letter: DeadLetterSink | None = None,
    stats: ReadStats | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[tuple[LogRecord, T]]:
    """`(record, probe(record.log_type, record.fields))` for the records of `paths` whose probe is truthy.

    Paths as for `read_logs` (files, directories, `-`), checked before anything is read (LogSourceError).
    """
    targets = log_targets(paths)
    refusals = Refusals(stats if stats is not None else ReadStats(), dead_letter)

    def scan(
        stream: io.BufferedIOBase, source: str | None, hint: str | None
    ) -> Iterator[tuple[LogRecord, T]]:
        return scan_stream(stream, source, hint, probe, refusals, max_line_bytes, screen)

    return read_targets(targets, refusals, scan)


def scan_stream(
    stream: io.BufferedIOBase,
    source: str | None,
    log_type_hint: str | None,
    probe: Probe[T],
    refusals: Refusals,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    screen: Screen | None = None,
) -> Iterator[tuple[LogRecord, T]]:
    """One whole stream, as `read_stream` reads it; decompression errors end it, reported in the stats."""
    stats = refusals.stats
    stats.files += 1
    chunks = LineChunks(stream.read1, 0, max_line_bytes, emit_partial_tail=True)
    try:
        yield from _scan_chunks(
            chunks, StreamParser(source, log_type_hint), probe, screen, refusals, max_line_bytes
        )
    except DECOMPRESSION_ERRORS as exc:
        message = f"corrupt or truncated gzip after {chunks.consumed} bytes: {exc}"
        stats.file_failed(source or STDIN_NAME, message)
        if chunks.partial_tail:
            refusals.refuse(source, chunks.consumed, REASON_TRUNCATED, "cut off by the gzip error",
                            chunks.partial_tail)
    finally:
        stats.bytes_read += chunks.consumed
        stats.reading_bytes = 0


def _screen_chunk(
    lines: list[bytes], log_type: str, absent_ok: bool, plan: ScreenPlan, max_line_bytes: int
) -> list[int] | None:
    """The indices of the chunk's lines the screen passes (their probe may be truthy), or None when the chunk
    cannot be screened whole; then each line takes the per-line path.

    Screened whole only when decoding the chunk at once gives exactly what decoding each line would: every
    line is ASCII, not oversize, starts with `{` and ends with `}` (so no value spans two lines and no line
    is blank), and `decode_lines` finds one value per line; every `ts` is a float or absent and every `_path`
    is `log_type` (or absent, when `absent_ok`: the stream's type is `log_type`). One C call decodes the
    chunk, and the only per-line Python call is the generated check.
    """
    count = len(lines)
    try:
        if (max(map(len, lines)) > max_line_bytes or set(map(_FIRST_BYTE, lines)) != _OPENING
                or set(map(_LAST_BYTE, lines)) != _CLOSING):
            return None
    except IndexError:  # a blank line
        return None
    data = b"\n".join(lines)
    if not data.isascii():
        return None
    try:
        values = plan[1](data)
    except JSON_DECODE_ERRORS:
        return None
    if len(values) != count or not _TS_TYPES.issuperset(map(type, map(_TS_OF, values))):
        return None
    try:
        paths = set(map(_PATH_OF, values))
    except TypeError:  # a `_path` that is not hashable: the reference path refuses or types it
        return None
    paths.discard(log_type)
    if paths and (not absent_ok or paths != {None}):
        return None
    return list(compress(range(count), map(plan[2], values)))


def _scan_chunks(
    chunks: LineChunks, parser: StreamParser, probe: Probe[T], screen: Screen | None, refusals: Refusals,
    max_line_bytes: int,
) -> Iterator[tuple[LogRecord, T]]:
    """The hot loop: `parse_chunks` + probe fused, with the JSON common case inlined (see module doc)."""
    counts = refusals.stats.lines
    source = parser.source
    decode = _DECODE
    float_type, dict_type, str_type = float, dict, str
    json_mode = False
    default_type = parser.log_type_hint or "unknown"  # JsonLineParser's type when `_path` is unusable
    inferring = infers_from_fields(parser.log_type_hint)  # a record without `_path` may show its type
    # the screen's plan for the last screened line's log type (a stream rarely mixes log types)
    screening = screen is not None
    active_screen = screen if screen is not None else _NoScreen()
    screened_type = default_type
    screened = active_screen.screen_for(default_type)
    default_count = 0  # records of `default_type` not yet added to counts (one dict update per stream)
    live = refusals.stats  # its reading_bytes, per chunk, for a progress display
    try:
        for base, lines in chunks:
            live.reading_bytes = base
            # each line's offset: base + the sizes of the lines before it + their newlines (one more: the end)
            starts = map(operator.add, accumulate(map(len, lines), initial=base), itertools_count())
            todo: Iterable[tuple[int, bytes]] = zip(starts, lines, strict=False)
            if screening and json_mode:
                passed = _screen_chunk(lines, screened_type, not inferring and screened_type == default_type,
                                       screened, max_line_bytes)
                if passed is not None:
                    counts[screened_type] = counts.get(screened_type, 0) + len(lines) - len(passed)
                    if not passed:
                        continue
                    offsets = list(starts)
                    todo = [(offsets[number], lines[number]) for number in passed]
            for start, line in todo:
                size = len(line)
                if not size:
                    continue
                if size > max_line_bytes:
                    detail = f"line longer than {max_line_bytes} bytes (max_line_bytes); refused unread"
                    refusals.refuse(source, start, REASON_OVERSIZE, detail, line)
                    continue
                if json_mode:
                    if screening and line.isascii():
                        try:
                            observed = screened[0](line)
                        except JSON_DECODE_ERRORS:
                            observed = None
                        if observed is not None:
                            ts = observed.ts
                            if ts.__class__ is float_type or ts is None:
                                log_type = observed.log_path
                                if log_type is None:
                                    log_type = None if inferring else default_type  # else the dict shows it
                                elif log_type.__class__ is not str_type or not log_type:
                                    log_type = None  # the reference path decides
                                if log_type is not None and log_type != screened_type:
                                    screened_type = log_type
                                    screened = active_screen.screen_for(log_type)
                                    try:
                                        observed = screened[0](line)
                                    except JSON_DECODE_ERRORS:  # pragma: no cover - the same bytes decoded
                                        log_type = None
                                if log_type is not None and not screened[2](observed):
                                    counts[log_type] = counts.get(log_type, 0) + 1
                                    continue
                    # unscreened, or the screen passed it: the whole dict, and the probe
                    try:
                        fields = decode(line)
                    except JSON_DECODE_ERRORS:
                        fields = None
                    if fields.__class__ is dict_type:
                        ts = fields.get("ts")
                        if ts.__class__ is float_type or ts is None:
                            log_type = fields.get("_path")
                            if log_type is None and inferring:
                                log_type = log_type_from_fields(fields) or default_type
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
                    json_mode = parser.plain_json
                if parsed is None:
                    continue
                counts[parsed.log_type] = counts.get(parsed.log_type, 0) + 1
                found = probe(parsed.log_type, parsed.fields)
                if found:
                    yield parsed, found
    finally:
        if default_count:
            counts[default_type] = counts.get(default_type, 0) + default_count
