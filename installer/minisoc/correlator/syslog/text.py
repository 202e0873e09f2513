"""Plain-text syslog lines, as files hold them (`/var/log/auth.log`) or as they travel (RFC 3164, RFC 5424),
and web server access logs (nginx/apache `combined`, `vhost_combined`), read into the keys rsyslog's JSON has
(docs/inputs.md): `@timestamp`, `host`, `program`, `pid`, `msgid`, `facility`, `severity`, `sd`, `message`,
`protocol`. An access log line keeps its whole text as `message` with program `access` (syslog.programs reads
it).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

FACILITIES = ("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
              "ftp", "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3",
              "local4", "local5", "local6", "local7")
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
ACCESS_PROGRAM = "access"  # the program of a bare access-log line

_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_PRI = r"(?:<(?P<pri>\d{1,3})>)?"
# RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG]
_RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>(?P<version>\d{1,2}) (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<pid>\S+) "
    r"(?P<msgid>\S+) (?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$", re.DOTALL)
# RFC 3164 and the traditional file format: [<PRI>]Mmm dd hh:mm:ss HOST TAG[PID]: MSG
_RFC3164 = re.compile(
    _PRI + r"(?P<mon>[A-Z][a-z]{2}) {1,2}(?P<day>\d{1,2}) (?P<time>\d\d:\d\d:\d\d)(?:\.\d+)? "
    r"(?:(?P<host>[^\s:\[]+) )?(?P<rest>.*)$", re.DOTALL)
# rsyslog's high-precision file format (Debian 13 default): RFC 3339 time, host, tag
_ISO_FILE = re.compile(
    _PRI + r"(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (?P<host>\S+) (?P<rest>.*)$",
    re.DOTALL)
_TAG = re.compile(r"^(?P<program>[^\s:\[]{1,128})(?:\[(?P<pid>[^\]\s]{1,32})\])?: ?(?P<msg>.*)$", re.DOTALL)
# nginx/apache combined (and common), optionally after a vhost[:port] (apache vhost_combined)
_ACCESS = re.compile(
    r'^(?:(?P<vhost>[^\s"]+) )?(?P<client>[0-9A-Fa-f:.]+|[\w.-]+) (?P<ident>\S+) (?P<user>\S+) '
    r'\[(?P<time>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\] '
    r'"(?P<request>(?:[^"\\]|\\.)*)" (?P<status>\d{3}|-) (?P<size>\d+|-)'
    r'(?: "(?P<referrer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")?')
ACCESS_LINE = _ACCESS


def _pri(text: str | None) -> tuple[str | None, str | None]:
    if text is None or int(text) > 191:
        return None, None
    value = int(text)
    return FACILITIES[value >> 3], SEVERITIES[value & 7]


def _year_for(month: int, now: datetime) -> int:
    """A BSD timestamp has no year: this year, or last year for a month more than one ahead of now (a log
    of December read in January)."""
    return now.year - 1 if month > now.month + 1 else now.year


def bsd_timestamp(month_name: str, day: str, clock: str, now: datetime) -> str | None:
    """`Dec  4 21:15:53` as RFC 3339 UTC (the host's zone is unknown: the time is taken as UTC)."""
    month = _MONTHS.get(month_name)
    if month is None:
        return None
    try:
        hour, minute, second = (int(part) for part in clock.split(":"))
        moment = datetime(_year_for(month, now), month, int(day), hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    return moment.isoformat()


def access_timestamp(text: str) -> str | None:
    """`10/Oct/2000:13:55:36 -0700` as RFC 3339."""
    try:
        return datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z").isoformat()
    except ValueError:
        return None


def _tagged(fields: dict[str, Any], rest: str) -> dict[str, Any]:
    tag = _TAG.match(rest)
    if tag is None:  # no TAG: the whole rest is the message (RFC 3164 allows it)
        fields["message"] = rest
        return fields
    fields["program"] = tag.group("program")
    if tag.group("pid"):
        fields["pid"] = tag.group("pid")
    fields["message"] = tag.group("msg")
    return fields


def parse_text_line(line: str, now: datetime) -> dict[str, Any] | None:
    """The syslog keys of one text line, or None when it is neither syslog nor an access log line."""
    if line[:1] == "<":
        match = _RFC5424.match(line)
        if match is not None:
            facility, severity = _pri(match.group("pri"))
            fields: dict[str, Any] = {"protocol": match.group("version"), "message": match.group("msg") or ""}
            for key, group in (("@timestamp", "ts"), ("host", "host"), ("program", "app"), ("pid", "pid"),
                               ("msgid", "msgid"), ("sd", "sd")):
                value = match.group(group)
                if value != "-":
                    fields[key] = value
            if fields.get("message", "").startswith("\ufeff"):  # RFC 5424's BOM before a UTF-8 MSG
                fields["message"] = fields["message"][1:]
            return _with_pri(fields, facility, severity)
    match = _RFC3164.match(line)
    if match is not None:
        stamp = bsd_timestamp(match.group("mon"), match.group("day"), match.group("time"), now)
        if stamp is not None:
            facility, severity = _pri(match.group("pri"))
            fields = {"@timestamp": stamp, "protocol": "0"}
            if match.group("host"):
                fields["host"] = match.group("host")
            return _with_pri(_tagged(fields, match.group("rest")), facility, severity)
    match = _ISO_FILE.match(line)
    if match is not None:
        facility, severity = _pri(match.group("pri"))
        fields = {"@timestamp": match.group("ts"), "host": match.group("host"), "protocol": "0"}
        return _with_pri(_tagged(fields, match.group("rest")), facility, severity)
    access = _ACCESS.match(line)
    if access is not None:
        fields = {"program": ACCESS_PROGRAM, "message": line}
        stamp = access_timestamp(access.group("time"))
        if stamp is not None:
            fields["@timestamp"] = stamp
        return fields
    return None


def _with_pri(fields: dict[str, Any], facility: str | None, severity: str | None) -> dict[str, Any]:
    if facility is not None:
        fields["facility"] = facility
        fields["severity"] = severity
    return fields


def looks_like_text_syslog(line: bytes) -> bool:
    """Whether a file's first line is syslog or access-log text (the sniff of the readers and the tailer)."""
    try:
        text = line.decode("utf-8", "replace").rstrip("\r")
    except (UnicodeError, AttributeError):  # pragma: no cover - decode with "replace" does not raise
        return False
    return parse_text_line(text, datetime.now(UTC)) is not None
