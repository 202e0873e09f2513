"""The sniff seam: which parser reads a stream whose first line is not a Zeek log's (issue 15's inputs).

`zeek.streamparser.StreamParser` asks here before it settles on Zeek JSON or TSV, so every reader (the live
tailer of each input directory, `minisoc hunt`, the retro-hunt, `status`) reads syslog and flow files as it
reads Zeek logs, with the same chunking, refusals, dead letters and checkpoints:
- a JSON object rsyslog marked (`minisoc_input: syslog`) or shaped like a syslog record: syslog.SyslogParser;
- a JSON object with the keys of pmacct, goflow2 or nfdump: flows.FlowParser;
- a text line in RFC 3164, RFC 5424, rsyslog's file format or an access log's: syslog.SyslogParser;
- anything else: the Zeek parsers (None here).
"""

from __future__ import annotations

from typing import Any, Protocol

from minisoc.correlator.flows.record import FlowParser, collector_of
from minisoc.correlator.malformed import MalformedLine, decode_json_object
from minisoc.correlator.model import LogRecord
from minisoc.correlator.syslog.record import SyslogParser, is_syslog_object
from minisoc.correlator.syslog.text import looks_like_text_syslog

FORMAT_SYSLOG = "syslog"
FORMAT_FLOWS = "flows"
INPUT_LOG_TYPES = frozenset(("syslog", "netflow"))  # the log types of these records (not Zeek's)


class LineParser(Protocol):
    source: str | None

    def parse(self, line: bytes, offset: int) -> LogRecord: ...


def parser_for_object(fields: dict[str, Any], source: str | None) -> tuple[str, LineParser] | None:
    """(format, parser) for a stream whose first record is this JSON object, None for a Zeek record."""
    if "_path" in fields:
        return None
    if collector_of(fields) is not None:
        return FORMAT_FLOWS, FlowParser(source)
    if is_syslog_object(fields):
        return FORMAT_SYSLOG, SyslogParser(source)
    return None


def parser_for_text(line: bytes, source: str | None) -> tuple[str, LineParser] | None:
    """(format, parser) for a stream whose first line is this text line (not `#`, not JSON), or None."""
    if looks_like_text_syslog(line):
        return FORMAT_SYSLOG, SyslogParser(source)
    return None


def is_input_start(first: bytes) -> bool:
    """Whether a file starting with this line (BOM and blank lines removed) is a syslog or flow file: the
    tailer's sniff of files whose names are not Zeek log names (`/var/log/syslog`)."""
    if first.startswith(b"{"):
        try:
            return parser_for_object(decode_json_object(first), None) is not None
        except MalformedLine:
            return False
    return not first.startswith(b"#") and looks_like_text_syslog(first)
