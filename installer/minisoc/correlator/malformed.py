"""Why a line could not be turned into a LogRecord: raised by the parsers (Zeek's, syslog's, flows'), caught
by the readers; and the JSON object decode they share."""

from __future__ import annotations

from typing import Any

import msgspec

# Reasons, as counted in ReadStats.malformed and written to the dead-letter file.
REASON_INVALID_JSON = "invalid_json"  # not JSON, or invalid UTF-8 inside a JSON line
REASON_NOT_AN_OBJECT = "not_an_object"  # valid JSON, but not a {...} object
REASON_BAD_TIMESTAMP = "bad_timestamp"  # `ts` present but neither epoch, millis nor ISO8601
REASON_COLUMN_COUNT = "column_count"  # TSV line with more or fewer columns than #fields
REASON_BAD_VALUE = "bad_value"  # TSV value that does not parse as its #types type
REASON_NO_HEADER = "no_header"  # TSV data line before any #fields header
REASON_BAD_HEADER = "bad_header"  # TSV header line that cannot be understood
REASON_OVERSIZE = "oversize"  # line longer than max_line_bytes (refused unread)
REASON_TRUNCATED = "truncated"  # last, incomplete line of a truncated/corrupt gzip stream

ALL_REASONS = (
    REASON_INVALID_JSON, REASON_NOT_AN_OBJECT, REASON_BAD_TIMESTAMP, REASON_COLUMN_COUNT, REASON_BAD_VALUE,
    REASON_NO_HEADER, REASON_BAD_HEADER, REASON_OVERSIZE, REASON_TRUNCATED,
)


class MalformedLine(Exception):
    """A line that is not a Zeek log record; `reason` is one of the REASON_* constants."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


_DECODER: msgspec.json.Decoder[Any] = msgspec.json.Decoder()  # stateless and thread-safe: shared
_DETAIL_LIMIT = 200
# what decoding a line can raise: bad JSON, bad UTF-8, and nesting deeper than the decoder recurses
JSON_DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


def decode_json_object(line: bytes) -> dict[str, Any]:
    """The line's object, or MalformedLine (invalid JSON, invalid UTF-8, or not an object)."""
    try:
        fields = _DECODER.decode(line)
    except JSON_DECODE_ERRORS as exc:
        raise MalformedLine(REASON_INVALID_JSON, str(exc)[:_DETAIL_LIMIT]) from None
    if fields.__class__ is not dict:
        raise MalformedLine(REASON_NOT_AN_OBJECT, f"a JSON {type(fields).__name__}, not an object")
    return fields
