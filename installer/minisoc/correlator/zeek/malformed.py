"""Kept for the Zeek readers' imports: the refusal reasons and MalformedLine live in correlator.malformed (the
syslog and flow parsers raise them too)."""

from minisoc.correlator.malformed import (
    ALL_REASONS,
    REASON_BAD_HEADER,
    REASON_BAD_TIMESTAMP,
    REASON_BAD_VALUE,
    REASON_COLUMN_COUNT,
    REASON_INVALID_JSON,
    REASON_NO_HEADER,
    REASON_NOT_AN_OBJECT,
    REASON_OVERSIZE,
    REASON_TRUNCATED,
    MalformedLine,
)

__all__ = ["ALL_REASONS", "REASON_BAD_HEADER", "REASON_BAD_TIMESTAMP", "REASON_BAD_VALUE",
           "REASON_COLUMN_COUNT", "REASON_INVALID_JSON", "REASON_NOT_AN_OBJECT", "REASON_NO_HEADER",
           "REASON_OVERSIZE", "REASON_TRUNCATED", "MalformedLine"]
