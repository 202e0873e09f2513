"""Zeek log ingest for the correlator: JSON and TSV logs, plain or gzip, read offline or tailed live.

Entry points (see docs/logs.md):
- `reader.read_logs(paths, *, dead_letter=None, stats=None, max_line_bytes=1 << 20) -> Iterator[LogRecord]`
- `scan.scan_logs(paths, probe, *, screen=None, ...)`: the hunt's fast twin of `read_logs` + a probe, yielding
  only the records whose probe is truthy
- `tail.LogTailer(log_dir, state_dir, *, batch_lines=5000, dead_letter=None, stats=None)`: a LogSource
- `deadletter.DeadLetter(path)`: the file-backed sink of refused lines
- `stats.ReadStats` (also importable from `reader`): lines per log type, malformed per reason, file errors
- `jsonlines.parse_json_line(line, log_type_hint)`, `tsv.TsvParser`, `streamparser.StreamParser`
"""

from minisoc.correlator.zeek.deadletter import DeadLetter, read_dead_letters
from minisoc.correlator.zeek.reader import find_log_files, read_logs
from minisoc.correlator.zeek.scan import scan_logs
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek.tail import LogTailer

__all__ = [
    "DeadLetter",
    "LogTailer",
    "ReadStats",
    "find_log_files",
    "read_dead_letters",
    "read_logs",
    "scan_logs",
]
