"""Screening a whole chunk of JSON lines at once (zeek.scan's fast path), of one log type or several.

`ChunkScreen.screen_chunk(lines, ...)` gives the indices of the chunk's lines the screen passes (their probe
may be truthy: they take the per-line path) and how many lines of each log type it screened out, or None when
the chunk cannot be screened whole (then every line takes the per-line path). A chunk is screened whole only
when decoding it at once gives exactly what decoding each line would: its lines are plain
(`plain_json_chunk`), `decode_lines` finds one value per line and every `ts` is a float or absent.

- One log type (a Zeek log file; a stream of one `_path`): the type's own Struct (`Screen.screen_for`), as
  long as every `_path` is that type (or absent, when the stream's type is that type).
- Several (a json-streaming-logs stream: `_path` first in every record, as Kafka or syslog shipping carry
  it): each line's `_path` read from its bytes (one regex call per chunk), each type's lines decoded by its
  own Struct, the decoded `_path` confirming the one read (else the chunk takes the per-line path), each
  group checked by its type's check. Records without `_path` typed by their fields (a mixed stream) are not
  screened whole: they take the per-line path.

The reference is the per-line path (`scan._StreamScan._probe_json`/`_probe_reference`); a test compares
the two on every sample file (tests/unit/correlator/zeek/test_zeek_scan_streams.py).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from itertools import compress
from typing import Any

from minisoc.correlator.malformed import JSON_DECODE_ERRORS
from minisoc.correlator.typing import Screen, ScreenPlan

__all__ = ["ChunkScreen", "plain_json_chunk"]

_PATH_AFTER_NEWLINE = re.compile(rb'\n\{"_path":"([^"\\]*)"')  # a literal prefix: searched fast

_TS_TYPES = frozenset((float, type(None)))
_TS_OF, _PATH_OF = operator.attrgetter("ts"), operator.attrgetter("log_path")
_FIRST_BYTE, _LAST_BYTE = operator.itemgetter(0), operator.itemgetter(-1)
_OPENING, _CLOSING = {ord("{")}, {ord("}")}
Screened = tuple[list[int], dict[str, int]]  # (lines passed, lines screened out per log type)


def plain_json_chunk(lines: list[bytes], max_line_bytes: int) -> bytes | None:
    """The chunk's lines joined, when decoding them at once can give what decoding each would: every line is
    ASCII, not oversize, starts with `{` and ends with `}` (so no value spans two lines, no line is blank)."""
    try:
        if (max(map(len, lines)) > max_line_bytes or set(map(_FIRST_BYTE, lines)) != _OPENING
                or set(map(_LAST_BYTE, lines)) != _CLOSING):
            return None
    except (IndexError, ValueError):  # a blank line; no line
        return None
    data = b"\n".join(lines)
    return data if data.isascii() else None


def _decode(decode_lines: Callable[[bytes], list[Any]], data: bytes, count: int) -> list[Any] | None:
    """The chunk's values when there is one per line and every `ts` is a float or absent, else None."""
    try:
        values = decode_lines(data)
    except JSON_DECODE_ERRORS:
        return None
    if len(values) != count or not _TS_TYPES.issuperset(map(type, map(_TS_OF, values))):
        return None
    return values


class ChunkScreen:
    """The chunk fast path of one stream (see the module doc). It remembers whether the last chunk held
    several log types, so a json-streaming-logs stream is decoded once per chunk, not first as one type."""

    __slots__ = ("default_type", "inferring", "max_line_bytes", "mixed", "screen")

    def __init__(self, screen: Screen, default_type: str, inferring: bool, max_line_bytes: int) -> None:
        self.screen, self.default_type, self.inferring = screen, default_type, inferring
        self.max_line_bytes = max_line_bytes
        self.mixed = False

    def screen_chunk(self, lines: list[bytes], log_type: str, plan: ScreenPlan) -> Screened | None:
        """Passed lines and screened-out counts, `log_type`/`plan` the last screened type's; None: no."""
        data = plain_json_chunk(lines, self.max_line_bytes)
        if data is None:
            return None
        if not self.mixed:
            screened = self._one_type(data, lines, log_type, plan)
            if screened is not None:
                return screened
        screened = self._by_type(data, lines)
        self.mixed = screened is not None
        return screened

    def _one_type(self, data: bytes, lines: list[bytes], log_type: str, plan: ScreenPlan) -> Screened | None:
        values = _decode(plan.decode_lines, data, len(lines))
        if values is None:
            return None
        try:
            paths = set(map(_PATH_OF, values))
        except TypeError:  # a `_path` that is not hashable: the reference path refuses or types it
            return None
        paths.discard(log_type)
        absent_ok = not self.inferring and log_type == self.default_type
        if paths and (not absent_ok or paths != {None}):
            return None
        passed = list(compress(range(len(lines)), map(plan.check, values)))
        return passed, {log_type: len(lines) - len(passed)}

    def _by_type(self, data: bytes, lines: list[bytes]) -> Screened | None:
        """Several log types: each line's type read from its bytes (`_types`), each type's lines decoded by
        that type's Struct and the type confirmed by the decoded `_path`, then checked."""
        count = len(lines)
        types = self._types(data, lines)
        if types is None:
            return None
        passed: list[int] = []
        screened_out: dict[str, int] = {}
        for log_type in set(types):
            numbers = list(compress(range(count), map(log_type.__eq__, types)))
            plan = self.screen.screen_for(log_type)
            group = b"\n".join([lines[number] for number in numbers])
            values = _decode(plan.decode_lines, group, len(numbers))
            if values is None:
                return None
            try:
                paths = set(map(_PATH_OF, values))
            except TypeError:  # a `_path` that is not hashable: the reference path refuses or types it
                return None
            if paths != {log_type}:  # the decoded `_path` (the last, if a line has two) is the one read
                return None
            hits = list(compress(numbers, map(plan.check, values)))
            passed += hits
            screened_out[log_type] = len(numbers) - len(hits)
        passed.sort()
        return passed, screened_out

    @staticmethod
    def _types(data: bytes, lines: list[bytes]) -> list[str] | None:
        """Each line's `_path` as its bytes start with it (json-streaming-logs writes it first), found in one
        C call; None unless every line starts so with a non-empty one."""
        if not data.startswith(b'{"_path":"'):
            return None
        found = _PATH_AFTER_NEWLINE.findall(b"\n" + data)
        if len(found) != len(lines) or b"" in found:  # one per line: a match starts at a line's start
            return None  # some line does not start with its `_path`; an empty one (the reference refuses it)
        names = {raw: raw.decode() for raw in set(found)}
        return list(map(names.__getitem__, found))
