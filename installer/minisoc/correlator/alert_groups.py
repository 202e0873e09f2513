"""Which alert a record belongs to: one per Zeek connection (or file) and UTC day, else one per record.

Zeek writes several records for one connection (conn.log, ssh.log, its own intel.log, ...): each names the
connection by `uid`, files by `fuid`. The alert id of a record is derived from that name, so every record of
one connection gives the same id, whichever is read first and however often: the sinks merge them into one
alert (`alerts.merge_alert`), and a replay, a restart or a retro-hunt names the same alert again. Pure: the
id depends on the record only, never on what was read before it (that is what keeps alerts exactly once
across a crash).

A uid alone is not enough: Zeek's test captures (and any replay with a fixed seed) reuse the same uid
strings (`CHhAvVGS1DHFjwGM9`) for different connections in different captures. So the key also holds the
connection's 4-tuple (`id.orig_h`, `id.orig_p`, `id.resp_h`, `id.resp_p`) and the UTC day of the record's
`ts` (`GROUP_WINDOW_S`): two connections that share a uid string but not the 4-tuple, or not the day, stay
apart. A connection whose records straddle midnight UTC gives two alerts. Files (files.log, x509.log of
Zeek < 6, whose `id` is the file's id, and intel.log records about a file) are keyed by `fuid` and day.
Records without these (a uid but no 4-tuple, no `ts`, notice.log, dhcp.log with several `uids`) keep the
per-record id of `alerts.alert_id`. See docs/alerts.md.
"""

from __future__ import annotations

import hashlib
from typing import Any

from minisoc.correlator.model import LogRecord
from minisoc.correlator.zeek.timestamps import dated_epoch

GROUP_WINDOW_S = 86400  # records of one connection are one alert within one UTC day of their `ts`
# log types whose records are about one file: keyed by the file's id
_FILE_ID_FIELD = {"files": "fuid", "x509": "id", "intel": "fuid"}
_TUPLE_FIELDS = ("id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p")
_PER_RECORD = frozenset({"notice", "dhcp"})  # a notice is one finding; a dhcp record names several uids


def _name(value: Any) -> str | None:
    """A Zeek id or endpoint as text; None when unset (JSON omits it, TSV writes `-`)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value not in ("", "-"):
        return value
    return None


def group_key(record: LogRecord) -> tuple[str, ...] | None:
    """("conn", uid, orig_h, orig_p, resp_h, resp_p, day) or ("file", fuid, day); None: its own alert."""
    ts = dated_epoch(record.ts)  # None for no ts, NaN, infinities and years no date names
    if record.log_type in _PER_RECORD or ts is None:
        return None
    fields = record.fields
    day = str(int(ts // GROUP_WINDOW_S))
    file_field = _FILE_ID_FIELD.get(record.log_type)
    fuid = _name(fields.get(file_field)) if file_field is not None else None
    if fuid is not None:
        return ("file", fuid, day)
    uid = _name(fields.get("uid"))
    endpoints = [_name(fields.get(name)) for name in _TUPLE_FIELDS]
    if uid is None or None in endpoints:
        return None
    return ("conn", uid, *(str(endpoint) for endpoint in endpoints), day)


def group_id(key: tuple[str, ...]) -> str:
    """The alert id of a group: 32 hex characters of sha256 over its key (never equal to a record's id,
    whose material starts with a log type and has one separator)."""
    material = "\x1f".join(("group", *key)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(material).hexdigest()[:32]
