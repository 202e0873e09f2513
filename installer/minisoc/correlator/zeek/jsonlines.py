"""Zeek JSON logs: one flat object per line (LogAscii `use_json`, json-streaming-logs `_path`/`_write_ts`)."""

from __future__ import annotations

from typing import Any

import msgspec

from minisoc.correlator.malformed import JSON_DECODE_ERRORS, decode_json_object
from minisoc.correlator.model import LogRecord
from minisoc.correlator.zeek.fieldtypes import infers_from_fields, log_type_from_fields
from minisoc.correlator.zeek.malformed import (
    REASON_BAD_TIMESTAMP,
    REASON_INVALID_JSON,
    REASON_NOT_AN_OBJECT,
    MalformedLine,
)
from minisoc.correlator.zeek.scopes import Reshaper, reshaper_for
from minisoc.correlator.zeek.timestamps import epoch_seconds

_DECODER: msgspec.json.Decoder[Any] = msgspec.json.Decoder()  # stateless and thread-safe: shared
_DETAIL_LIMIT = 200


def normalise_ts(fields: dict[str, Any]) -> float | None:
    """Replace `ts` (any json_timestamps form) by float epoch seconds in place; return it (None if absent)."""
    ts = fields.get("ts")
    if ts is None or ts.__class__ is float:
        return ts
    try:
        seconds = epoch_seconds(ts)
    except (ValueError, OverflowError) as exc:
        raise MalformedLine(REASON_BAD_TIMESTAMP, f"ts: {exc}"[:_DETAIL_LIMIT]) from None
    fields["ts"] = seconds
    return seconds


class JsonLineParser:
    """The hot path for JSON streams: `parse(line, offset)` with the decode and the common `ts` forms inlined.

    Same results and errors as `parse_json_line`, for a fixed source and log type hint.
    """

    def __init__(self, source: str | None, log_type_hint: str | None) -> None:
        self.source = source
        self.log_type = log_type_hint or "unknown"
        self.infer = infers_from_fields(log_type_hint)  # a record without `_path` may show its type
        self.shape_known = False  # decided on the first record (zeek.scopes): Zeek's names, or `reshape` them
        self.reshape: Reshaper | None = None

    def parse(self, line: bytes, offset: int) -> LogRecord:
        try:
            fields = _DECODER.decode(line)
        except JSON_DECODE_ERRORS as exc:
            raise MalformedLine(REASON_INVALID_JSON, str(exc)[:_DETAIL_LIMIT]) from None
        if fields.__class__ is not dict:
            raise MalformedLine(REASON_NOT_AN_OBJECT, f"a JSON {type(fields).__name__}, not an object")
        if not self.shape_known:
            self.reshape, self.shape_known = reshaper_for(fields), True
        if self.reshape is not None:
            self.reshape(fields)
        ts = fields.get("ts")
        if ts.__class__ is not float and ts is not None:
            ts = normalise_ts(fields)
        log_type = fields.get("_path")
        if log_type.__class__ is not str or not log_type:  # absent, or not a usable name
            log_type = (self.infer and log_type_from_fields(fields)) or self.log_type
        return LogRecord(log_type, fields, line, self.source, offset, ts)


def parse_json_line(
    line: bytes, log_type_hint: str | None, path: str | None = None, offset: int | None = None
) -> LogRecord:
    """One JSON log line as a LogRecord; the log type is `_path` when present, else `log_type_hint` or what
    its fields show (zeek.fieldtypes).

    Raises MalformedLine. `line` is kept as `raw` (without its newline).
    """
    fields = decode_json_object(line)
    reshape = reshaper_for(fields)  # one line alone: decided on itself
    if reshape is not None:
        reshape(fields)
    ts = normalise_ts(fields)
    log_type = fields.get("_path")
    if log_type.__class__ is not str or not log_type:
        inferred = log_type_from_fields(fields) if infers_from_fields(log_type_hint) else None
        log_type = inferred or log_type_hint or "unknown"
    return LogRecord(log_type, fields, line, path, offset, ts)
