"""Syslog lines (rsyslog's JSON, or text) to LogRecords of log type `syslog` with flat ECS fields.

The record's fields are what log storage indexes and what the matcher reads (matching.observables, `syslog`):
- `message`, `log.syslog.*` (hostname, appname, procid, msgid, facility.name, severity.name, version,
  structured_data), `observer.ip` (the sender rsyslog saw), `event.ingested`;
- what the program's dedicated parser read (syslog.programs): `source.ip`/`source.port`,
  `destination.ip`/`destination.port`, `user.name`, `email.*`, `url.*`, `http.*`, ...;
- what the generic extractor found in the message besides those (syslog.extract): `related.ip`,
  `related.hosts`, `related.url`, `related.email` (lists).
Every address is canonical (`canonical_ip`); one that is not an address is dropped, never matched as text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from minisoc.correlator.malformed import MalformedLine, decode_json_object
from minisoc.correlator.model import LogRecord
from minisoc.correlator.syslog.extract import extract, host_name
from minisoc.correlator.syslog.programs import program_fields
from minisoc.correlator.syslog.text import parse_text_line
from minisoc.correlator.timestamps import epoch_seconds
from minisoc.correlator.values.canonical import canonical_email, canonical_ip

SYSLOG_LOG_TYPE = "syslog"
INPUT_MARK = "minisoc_input"  # rsyslog's records carry "minisoc_input": "syslog" (docs/inputs.md)
REASON_NOT_SYSLOG = "not_syslog"  # a text line that is neither RFC 3164/5424 nor an access log line
REASON_NOT_A_SYSLOG_RECORD = "not_a_syslog_record"  # a JSON object without a message

# rsyslog JSON key (ours, then rsyslog's own property names as other templates write them) -> ECS name; when a
# record has two keys of one ECS name, the first in the record wins
_ECS_NAME = {
    **dict.fromkeys(("host", "hostname", "source"), "log.syslog.hostname"),
    **dict.fromkeys(("program", "programname", "appname", "app_name"), "log.syslog.appname"),
    **dict.fromkeys(("pid", "procid"), "log.syslog.procid"),
    "msgid": "log.syslog.msgid",
    **dict.fromkeys(("facility", "syslogfacility-text"), "log.syslog.facility.name"),
    **dict.fromkeys(("severity", "syslogseverity-text"), "log.syslog.severity.name"),
    **dict.fromkeys(("sd", "structured-data", "structured_data"), "log.syslog.structured_data"),
    **dict.fromkeys(("protocol", "protocol-version"), "log.syslog.version"),
    **dict.fromkeys(("from_ip", "fromhost-ip"), "observer.ip"),
    **dict.fromkeys(("received", "timegenerated"), "event.ingested"),
    **dict.fromkeys(("input", "inputname"), "syslog.input"),
    **dict.fromkeys(("@timestamp", "timestamp", "timereported"), "@timestamp"),
}
_MESSAGE_KEYS = ("message", "msg")
_EMPTY = ("", "-")
_ENDPOINT_IPS = ("source.ip", "destination.ip")
_NAME_FIELDS = ("source.domain", "destination.domain", "url.domain")
_URL_FIELDS = ("url.full", "http.request.referrer")
_EMAIL_FIELDS = ("email.from.address", "email.to.address")


def is_syslog_object(fields: dict[str, Any]) -> bool:
    """A JSON object is a syslog record when rsyslog marked it, or when it has a message and a host or program
    under rsyslog's property names."""
    if fields.get(INPUT_MARK) == SYSLOG_LOG_TYPE:
        return True
    if "ts" in fields or "_path" in fields:  # a Zeek record (syslog.log, reporter.log have `message`)
        return False
    return any(key in fields for key in _MESSAGE_KEYS) and any(
        key in fields for key in ("host", "hostname", "programname", "program", "syslog-tag"))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = value if value.__class__ is str else str(value)
    return None if text in _EMPTY else text


def _first(raw: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        text = _text(raw.get(key))
        if text is not None:
            return text
    return None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [item for item in (value if isinstance(value, list) else [value]) if isinstance(item, str)]


def syslog_fields(raw: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
    """The record's ECS fields and its epoch time from the syslog keys of one record (JSON or text)."""
    message = _first(raw, _MESSAGE_KEYS) or ""
    fields: dict[str, Any] = {"message": message}
    for key, value in raw.items():
        name = _ECS_NAME.get(key)
        if name is not None and name not in fields and value is not None and value not in _EMPTY:
            fields[name] = value if value.__class__ is str else str(value)
    stamp = fields.get("@timestamp")
    ts: float | None = None
    if stamp is not None:
        try:
            ts = epoch_seconds(stamp)
        except (ValueError, OverflowError):
            ts = None
    parsed = program_fields(fields.get("log.syslog.appname"), message)
    for name in _ENDPOINT_IPS:
        if name in parsed:
            address = canonical_ip(str(parsed[name]))
            if address is None:
                parsed.pop(name)
                parsed.pop(name.replace(".ip", ".port"), None)
            else:
                parsed[name] = address
    fields.update(parsed)
    _add_related(fields, message)
    return fields, ts


def _add_related(fields: dict[str, Any], message: str) -> None:
    """The generic extractor's finds that no dedicated field holds already, as `related.*` lists."""
    found = extract(message)
    if found.addresses:
        known_ips = {fields.get(name) for name in _ENDPOINT_IPS}
        _put(fields, "related.ip", [address for address in found.addresses if address not in known_ips])
    if found.names:
        known_names = {host_name(str(fields[name])) for name in _NAME_FIELDS if name in fields}
        _put(fields, "related.hosts", [name for name in found.names if name not in known_names])
    if found.urls:
        known_urls = {url for name in _URL_FIELDS for url in _as_list(fields.get(name))}
        _put(fields, "related.url", [url for url in found.urls if url not in known_urls])
    if found.emails:
        known = {canonical_email(mail) for name in _EMAIL_FIELDS for mail in _as_list(fields.get(name))}
        _put(fields, "related.email", [mail for mail in found.emails if mail not in known])


def _put(fields: dict[str, Any], name: str, values: list[str]) -> None:
    if values:
        fields[name] = values


class SyslogParser:
    """`parse(line, offset)` for one syslog stream (JSON lines or text): a LogRecord of type `syslog`, or
    MalformedLine. `now` dates BSD timestamps, which have no year (the parser's creation time by default)."""

    def __init__(self, source: str | None, *, now: datetime | None = None) -> None:
        self.source = source
        self.now = now or datetime.now(UTC)

    def parse(self, line: bytes, offset: int) -> LogRecord:
        if line.lstrip()[:1] == b"{":
            raw = decode_json_object(line)
            if not any(key in raw for key in _MESSAGE_KEYS):
                raise MalformedLine(REASON_NOT_A_SYSLOG_RECORD, "a JSON object without `message` (or `msg`)")
        else:
            text = line.decode("utf-8", "replace").rstrip("\r")
            parsed = parse_text_line(text, self.now)
            if parsed is None:
                raise MalformedLine(REASON_NOT_SYSLOG,
                                    "neither an RFC 3164/5424 syslog line nor an access log line")
            raw = parsed
        fields, ts = syslog_fields(raw)
        return LogRecord(SYSLOG_LOG_TYPE, fields, line, self.source, offset, ts)

    def prime_headers(self, start: bytes) -> None:
        """Nothing to prime: every syslog line stands alone (the tailer's interface)."""
