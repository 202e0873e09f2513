"""Counters of one read (offline hunt) or of a running tailer: summaries and Prometheus metrics read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FileError:
    """A file that could not be read to its end (corrupt/truncated gzip, I/O error)."""

    path: str
    message: str


@dataclass
class ReadStats:
    """Lines read per log type, malformed lines per reason, files read and files that failed part-way."""

    lines: dict[str, int] = field(default_factory=dict)  # records produced, per log type
    malformed: dict[str, int] = field(default_factory=dict)  # per REASON_* constant
    files: int = 0  # files (or stdin) opened
    file_errors: list[FileError] = field(default_factory=list)
    bytes_read: int = 0  # (decompressed) bytes consumed, newlines included
    reading_bytes: int = 0  # of the file being read: bytes consumed so far (per chunk; a progress display)

    def count_lines(self, log_type: str, count: int) -> None:
        self.lines[log_type] = self.lines.get(log_type, 0) + count

    def count_malformed(self, reason: str) -> None:
        self.malformed[reason] = self.malformed.get(reason, 0) + 1

    def file_failed(self, path: str, message: str) -> None:
        self.file_errors.append(FileError(path, message))

    @property
    def lines_total(self) -> int:
        return sum(self.lines.values())

    @property
    def malformed_total(self) -> int:
        return sum(self.malformed.values())

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the `minisoc hunt` summary embeds it)."""
        return {
            "lines": self.lines_total,
            "lines_by_type": dict(sorted(self.lines.items())),
            "malformed": self.malformed_total,
            "malformed_by_reason": dict(sorted(self.malformed.items())),
            "files": self.files,
            "file_errors": [{"path": error.path, "message": error.message} for error in self.file_errors],
            "bytes": self.bytes_read,
        }
