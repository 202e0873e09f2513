"""The per-line loop shared by reader and tailer: lines to LogRecords, refusals counted."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from minisoc.correlator.model import LogRecord
from minisoc.correlator.zeek.deadletter import DeadLetterSink
from minisoc.correlator.zeek.malformed import REASON_OVERSIZE, MalformedLine
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek.streamparser import StreamParser


class Refusals:
    """Counts a refused line in the stats and keeps it in the dead-letter sink (when there is one)."""

    def __init__(self, stats: ReadStats, dead_letter: DeadLetterSink | None) -> None:
        self.stats = stats
        self.dead_letter = dead_letter

    def refuse(self, source: str | None, offset: int | None, reason: str, detail: str, line: bytes) -> None:
        self.stats.count_malformed(reason)
        if self.dead_letter is not None:
            self.dead_letter.write(source, offset, reason, detail, line)


def parse_chunks(
    chunks: Iterable[tuple[int, list[bytes]]],
    parser: StreamParser,
    refusals: Refusals,
    max_line_bytes: int,
) -> Iterator[LogRecord]:
    """Records of every line in `chunks` (from LineChunks); headers and blank lines give none."""
    counts = refusals.stats.lines
    source = parser.source
    for base, lines in chunks:
        offset = base
        for line in lines:
            start = offset
            offset += len(line) + 1
            if not line:
                continue
            if len(line) > max_line_bytes:
                detail = f"line longer than {max_line_bytes} bytes (max_line_bytes); refused unread"
                refusals.refuse(source, start, REASON_OVERSIZE, detail, line)
                continue
            try:
                record = parser.parse(line, start)
            except MalformedLine as bad:
                refusals.refuse(source, start, bad.reason, bad.detail, line)
                continue
            if record is not None:
                log_type = record.log_type
                counts[log_type] = counts.get(log_type, 0) + 1
                yield record
