"""Zeek `ts` values in every LogAscii::json_timestamps form, as float epoch seconds.

- float (JSON::TS_EPOCH and TSV): seconds, e.g. `-315619200.0` or `1521911720.865716`;
- int (JSON::TS_MILLIS): milliseconds, e.g. `-315619200000`;
- int >= 2**63 (JSON::TS_MILLIS_UNSIGNED): milliseconds as an unsigned 64-bit wrap of a negative value;
- str (JSON::TS_ISO8601, json-streaming-logs): `2018-03-24T17:15:20.865716Z`; or epoch seconds as text,
  `"1521911720.865716"`, as Logstash or Fluentd re-serialise them.
Zeek writes epoch seconds with a fraction (`.0` at least), so its integers are milliseconds. Other tools
that rewrite Zeek logs write whole seconds as integers; the two are told apart by size: below 10**11 in
magnitude, an integer is seconds (any time up to the year 5138) — as milliseconds it would be within three
years of 1970, which no capture is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_TWO_63 = 1 << 63
_TWO_64 = 1 << 64
_WHOLE_SECONDS_BELOW = 10**11
_EPOCH_TEXT = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,9})?")


def epoch_seconds(value: object) -> float:
    """Convert one Zeek time value; raises ValueError when it is none of the known forms."""
    if value.__class__ is float:
        return value
    if value.__class__ is str:
        if _EPOCH_TEXT.fullmatch(value):  # "1704153900.123456": what re-serialising pipelines write
            return float(value)
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:  # Zeek writes `Z`; a zone-less time is taken as UTC, never local
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    if value.__class__ is int:
        millis: int = value
        if millis >= _TWO_63:
            millis -= _TWO_64
        elif -_WHOLE_SECONDS_BELOW < millis < _WHOLE_SECONDS_BELOW:
            return float(millis)
        return millis / 1000.0
    raise ValueError(f"not a timestamp: {value!r}")


# The epochs of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the times a calendar date can name
_FIRST_DATE, _LAST_DATE = -62135596800.0, 253402300799.0


def dated_epoch(epoch: float | None) -> float | None:
    """`epoch` when a calendar date (years 1-9999) names it; None for no time, NaN, infinities and times
    beyond (a crafted or corrupt `ts`: its record is still matched, its alert dated when it was raised)."""
    if epoch is not None and _FIRST_DATE <= epoch <= _LAST_DATE:  # False for NaN
        return epoch
    return None
