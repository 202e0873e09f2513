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
is decoded in one call (`decode_lines`) and checked with one Python call per line, when `chunkscreen`
can prove that gives what decoding line by line would; other chunks are screened line by line, and other
lines (non-ASCII, unusual `ts`/`_path`) take the dict path. Lines the check passes (a likely hit) take
the dict path too and are probed there, so a hit is always built and probed exactly as without a screen.
"""

from __future__ import annotations

import enum
import io
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from itertools import accumulate
from itertools import count as itertools_count
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import msgspec

from minisoc.correlator.malformed import JSON_DECODE_ERRORS
from minisoc.correlator.model import LogRecord
from minisoc.correlator.typing import Screen, ScreenPlan
from minisoc.correlator.zeek.chunkscreen import ChunkScreen
from minisoc.correlator.zeek.deadletter import DeadLetterSink
from minisoc.correlator.zeek.fieldtypes import infers_from_fields, log_type_from_fields
from minisoc.correlator.zeek.linesplit import LineChunks
from minisoc.correlator.zeek.malformed import REASON_OVERSIZE, REASON_TRUNCATED, MalformedLine
from minisoc.correlator.zeek.reader import DEFAULT_MAX_LINE_BYTES, log_targets, read_targets
from minisoc.correlator.zeek.records import Refusals
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek.streamparser import StreamParser
from minisoc.correlator.zeek.streams import DECOMPRESSION_ERRORS, STDIN_NAME

__all__ = ["Probe", "Screen", "ScreenPlan", "scan_logs", "scan_stream"]

T = TypeVar("T", bound=Sized)
Probe = Callable[[str, dict[str, Any]], T]
Hit = tuple[LogRecord, T]
_DECODE = msgspec.json.Decoder().decode  # the same (stateless) decoder as jsonlines'
_DECODE_LINES = msgspec.json.Decoder().decode_lines

_TS_TYPES = frozenset((float, type(None)))
TYPE_MEMO_LIMIT = 4096  # distinct field-name layouts remembered per stream
_TS_OF, _PATH_OF = operator.attrgetter("ts"), operator.attrgetter("log_path")
_FIRST_BYTE, _LAST_BYTE = operator.itemgetter(0), operator.itemgetter(-1)
_OPENING, _CLOSING = {ord("{")}, {ord("}")}


class _Unusual(enum.Enum):
    """A line the JSON common case does not cover: the reference parser decides."""

    LINE = enum.auto()


_UNUSUAL: Literal[_Unusual.LINE] = _Unusual.LINE


class _NoScreen:
    """Stands in when there is no screen (never called: `screening` is False)."""

    def screen_for(self, log_type: str) -> ScreenPlan:
        return ScreenPlan(_DECODE, _DECODE_LINES, _nothing)

    def screen_fields(self, log_type: str) -> Callable[[dict[str, Any]], Sized]:
        return _nothing


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
) -> Iterator[Hit[T]]:
    """`(record, probe(record.log_type, record.fields))` for the records of `paths` whose probe is truthy.

    Paths as for `read_logs` (files, directories, `-`), checked before anything is read (LogSourceError).
    """
    targets = log_targets(paths)
    refusals = Refusals(stats if stats is not None else ReadStats(), dead_letter)

    def scan(stream: io.BufferedIOBase, source: str | None, hint: str | None) -> Iterator[Hit[T]]:
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
) -> Iterator[Hit[T]]:
    """One whole stream, as `read_stream` reads it; decompression errors end it, reported in the stats."""
    stats = refusals.stats
    stats.files += 1
    chunks = LineChunks(stream.read1, 0, max_line_bytes, emit_partial_tail=True)
    try:
        scan = _StreamScan(StreamParser(source, log_type_hint), probe, screen, refusals, max_line_bytes)
        yield from scan.scan(chunks)
    except DECOMPRESSION_ERRORS as exc:
        message = f"corrupt or truncated gzip after {chunks.consumed} bytes: {exc}"
        stats.file_failed(source or STDIN_NAME, message)
        if chunks.partial_tail:
            refusals.refuse(source, chunks.consumed, REASON_TRUNCATED, "cut off by the gzip error",
                            chunks.partial_tail)
    finally:
        stats.bytes_read += chunks.consumed
        stats.reading_bytes = 0


class _StreamScan(Generic[T]):
    """The hot loop of one stream: `parse_chunks` and the probe fused, the JSON common case inlined (see the
    module doc). It keeps, between lines, whether the stream is plain JSON and the screen's plan for the last
    screened line's log type (a stream rarely mixes log types)."""

    __slots__ = (
        "chunks",
        "counts",
        "default_count",
        "default_type",
        "field_checks",
        "inferring",
        "json_mode",
        "max_line_bytes",
        "parser",
        "plan",
        "probe",
        "refusals",
        "screen",
        "screen_each",
        "screened_type",
        "screening",
        "source",
        "types_by_names",
    )

    def __init__(self, parser: StreamParser, probe: Probe[T], screen: Screen | None, refusals: Refusals,
                 max_line_bytes: int) -> None:
        self.parser, self.probe, self.refusals, self.max_line_bytes = parser, probe, refusals, max_line_bytes
        self.source = parser.source
        self.counts = refusals.stats.lines
        self.json_mode = False
        self.default_type = parser.log_type_hint or "unknown"  # JsonLineParser's type when `_path` unusable
        self.default_count = 0  # records of `default_type` not yet in counts (one dict update per stream)
        self.inferring = infers_from_fields(parser.log_type_hint)  # a record without `_path` may show it
        self.screening = self.screen_each = screen is not None  # screen_each: each line not screened whole
        self.field_checks: dict[str, Callable[[dict[str, Any]], Sized]] = {}
        # field names, in line order -> the type they show: a writer emits a few layouts per log type, so
        # one tuple and one lookup replace a rank lookup per field (bounded: a stream of odd layouts)
        self.types_by_names: dict[tuple[str, ...], str] = {}
        self.screen: Screen = screen if screen is not None else _NoScreen()
        self.screened_type = self.default_type
        self.plan = self.screen.screen_for(self.default_type)
        self.chunks = ChunkScreen(self.screen, self.default_type, self.inferring, max_line_bytes)

    def scan(self, chunks: LineChunks) -> Iterator[Hit[T]]:
        """The probed hits of every line of `chunks`; the line counts are complete when it ends."""
        live = self.refusals.stats  # its reading_bytes, per chunk, for a progress display
        # per line only json_mode changes: the rest is looked up once (lookups cost in the per-line path)
        max_line_bytes = self.max_line_bytes
        lines_to_read, screened_out, probe_json = self._lines_to_read, self._screened_out, self._probe_json
        try:
            for base, lines in chunks:
                live.reading_bytes = base
                to_read, screening = lines_to_read(base, lines)
                for start, line in to_read:
                    size = len(line)
                    if not size:
                        continue
                    if size > max_line_bytes:
                        self._refuse_oversize(start, line)
                        continue
                    if self.json_mode:
                        if screening and line.isascii() and screened_out(line):
                            continue
                        hit = probe_json(start, line)
                        if hit is not _UNUSUAL:
                            if hit is not None:
                                yield hit
                            continue
                    hit = self._probe_reference(start, line)
                    if hit is not None:
                        yield hit
        finally:
            if self.default_count:
                self.counts[self.default_type] = self.counts.get(self.default_type, 0) + self.default_count

    def _lines_to_read(self, base: int, lines: list[bytes]) -> tuple[Iterable[tuple[int, bytes]], bool]:
        """(offset, line) of the chunk's lines that need a look of their own: all of them, or only those the
        screen passes when it can screen the chunk whole (the others are counted here); and whether each
        line is still to be screened (not when the chunk was: a passed line goes straight to its probe)."""
        # each line's offset: base + the sizes of the lines before it + their newlines (one more: the end)
        starts = map(operator.add, accumulate(map(len, lines), initial=base), itertools_count())
        if not (self.screen_each and self.json_mode):  # records typed by fields: neither screen applies
            return zip(starts, lines, strict=False), self.screen_each
        screened = self.chunks.screen_chunk(lines, self.screened_type, self.plan)
        if screened is None:
            return zip(starts, lines, strict=False), self.screen_each
        passed, screened_out = screened
        counts = self.counts
        for log_type, count in screened_out.items():
            counts[log_type] = counts.get(log_type, 0) + count
        if not passed:
            return (), False
        offsets = list(starts)
        return [(offsets[number], lines[number]) for number in passed], False

    def _refuse_oversize(self, start: int, line: bytes) -> None:
        detail = f"line longer than {self.max_line_bytes} bytes (max_line_bytes); refused unread"
        self.refusals.refuse(self.source, start, REASON_OVERSIZE, detail, line)

    def _screened_out(self, line: bytes) -> bool:
        """True when the screen shows the (ASCII, JSON) line's probe is falsy; the line is then counted.
        False: the line's dict must be probed (a likely hit, or a line the screen cannot judge)."""
        plan = self.plan
        try:
            observed = plan.decode(line)
        except JSON_DECODE_ERRORS:
            return False
        ts = observed.ts
        if ts.__class__ is not float and ts is not None:
            return False
        log_type = observed.log_path
        if log_type is None:
            if self.inferring:  # the dict shows the type: lines like it take the dict path, unscreened
                self.screen_each = False
                return False
            log_type = self.default_type
        elif log_type.__class__ is not str or not log_type:
            return False  # the reference path decides
        if log_type != self.screened_type:
            self.screened_type = log_type
            plan = self.plan = self.screen.screen_for(log_type)
            try:
                observed = plan.decode(line)
            except JSON_DECODE_ERRORS:  # pragma: no cover - the same bytes decoded
                return False
        if plan.check(observed):
            return False
        self.counts[log_type] = self.counts.get(log_type, 0) + 1
        return True

    def _probe_json(self, start: int, line: bytes) -> Hit[T] | Literal[_Unusual.LINE] | None:
        """The common case: a JSON object with a float (or no) `ts` and a usable (or no) `_path`, decoded
        whole and probed; `_UNUSUAL` for any other line."""
        try:
            fields = _DECODE(line)
        except JSON_DECODE_ERRORS:
            return _UNUSUAL
        if fields.__class__ is not dict:
            return _UNUSUAL
        ts = fields.get("ts")
        if ts.__class__ is not float and ts is not None:
            return _UNUSUAL
        log_type = fields.get("_path")
        if log_type is None and not self.inferring:
            self.default_count += 1
            log_type = self.default_type
        else:
            if log_type is None:
                names = tuple(fields)
                log_type = self.types_by_names.get(names)
                if log_type is None:
                    log_type = log_type_from_fields(names) or self.default_type
                    if len(self.types_by_names) < TYPE_MEMO_LIMIT:
                        self.types_by_names[names] = log_type
                self.counts[log_type] = self.counts.get(log_type, 0) + 1
                if self.screening:  # the screen's check, over the dict: falsy exactly when the probe is
                    check = self.field_checks.get(log_type)
                    if check is None:
                        check = self.field_checks[log_type] = self.screen.screen_fields(log_type)
                    if not check(fields):
                        return None
            elif log_type.__class__ is not str or not log_type:
                return _UNUSUAL
            else:
                self.counts[log_type] = self.counts.get(log_type, 0) + 1
        found = self.probe(log_type, fields)
        return (LogRecord(log_type, fields, line, self.source, start, ts), found) if found else None

    def _probe_reference(self, start: int, line: bytes) -> Hit[T] | None:
        """The reference path: detection, TSV, JSON errors and unusual `ts` / `_path` values."""
        parser = self.parser
        try:
            parsed = parser.parse(line, start)
        except MalformedLine as bad:
            self.refusals.refuse(self.source, start, bad.reason, bad.detail, line)
            return None
        finally:
            self.json_mode = parser.plain_json
        if parsed is None:
            return None
        self.counts[parsed.log_type] = self.counts.get(parsed.log_type, 0) + 1
        found = self.probe(parsed.log_type, parsed.fields)
        return (parsed, found) if found else None
