"""One log stream's parser: the first line decides JSON or TSV; TSV header state is kept across lines."""

from __future__ import annotations

from collections.abc import Callable

from minisoc.correlator.input_formats import LineParser, parser_for_object, parser_for_text
from minisoc.correlator.malformed import decode_json_object
from minisoc.correlator.model import LogRecord
from minisoc.correlator.zeek.jsonlines import JsonLineParser
from minisoc.correlator.zeek.malformed import REASON_NO_HEADER, MalformedLine
from minisoc.correlator.zeek.tsv import TsvParser

FORMAT_JSON = "json"
FORMAT_TSV = "tsv"
_UTF8_BOM = b"\xef\xbb\xbf"


class StreamParser:
    """`parse(line, offset)` gives a LogRecord, None for a header line, or raises MalformedLine.

    The first line that shows a format decides it for the stream: Zeek JSON or TSV, or one of the other
    inputs' (syslog JSON or text, flow JSON: correlator.input_formats); a first line that shows none (invalid
    JSON, a data line before any header) is refused and the next one decides. Blank lines must be skipped by
    the caller. `source` is the file path (None for stdin) and
    `log_type_hint` the type the file name implies (`_path` and `#path` take precedence).
    """

    def __init__(self, source: str | None, log_type_hint: str | None) -> None:
        self.source = source
        self.log_type_hint = log_type_hint
        self.format: str | None = None
        self.tsv: TsvParser | None = None
        self.json: JsonLineParser | None = None
        self.other: LineParser | None = None  # a syslog or flow stream's parser
        self.parse: Callable[[bytes, int], LogRecord | None] = self._detect

    def _detect(self, line: bytes, offset: int) -> LogRecord | None:
        if line[:3] == _UTF8_BOM:  # an editor's or a Windows tool's mark before the first line: not data
            line, offset = line[3:], offset + 3
        start = line.lstrip()[:1]
        if start == b"{":
            other = parser_for_object(decode_json_object(line), self.source)  # MalformedLine: undecided
            if other is not None:
                return self._decide_other(*other).parse(line, offset)
            self.format = FORMAT_JSON
            self.json = JsonLineParser(self.source, self.log_type_hint)
            self.parse = self.json.parse
        elif start == b"#":
            self.format = FORMAT_TSV
            self.tsv = TsvParser(self.log_type_hint)
            self.parse = self._parse_tsv
        else:
            other = parser_for_text(line, self.source)
            if other is None:
                raise MalformedLine(REASON_NO_HEADER, "TSV data line before any #fields header (and not a "
                                                      "syslog or access log line)")
            return self._decide_other(*other).parse(line, offset)
        return self.parse(line, offset)

    def _decide_other(self, format_name: str, parser: LineParser) -> LineParser:
        self.format, self.other, self.parse = format_name, parser, parser.parse
        return parser

    def _parse_tsv(self, line: bytes, offset: int) -> LogRecord | None:
        tsv = self.tsv
        assert tsv is not None  # set together with this method in _detect
        if line[-1:] == b"\r":  # CRLF line ends (a log that went through Windows): Zeek escapes a real CR
            line = line[:-1]
        if line[:1] == b"#":
            tsv.header(line)
            return None
        return tsv.parse(line, self.source, offset)

    def prime_headers(self, start: bytes) -> None:
        """Read the TSV header lines at the top of a file (`start`: its first bytes) before parsing from the
        middle of it: the tailer resuming at a checkpoint, `status` reading a log's last lines."""
        for line in start.split(b"\n")[:-1]:
            if not line.startswith(b"#"):
                return
            try:
                self.parse(line, 0)
            except MalformedLine:
                continue

    @property
    def plain_json(self) -> bool:
        """A JSON stream whose first record showed Zeek's own field names (zeek.scopes): its lines may be read
        without this parser (zeek.scan's fast path). Until that first record, or with other names: not."""
        return self.json is not None and self.json.shape_known and self.json.reshape is None
