"""Where malformed lines go: a JSON-lines file, one object per refused line, so nothing is silently lost.

Each entry: `{"source": path or "-", "offset": byte offset of the line start (decompressed), "reason": one of
minisoc.correlator.zeek.malformed.ALL_REASONS, "detail": what was wrong, "length": the line's length in bytes
(a lower bound for oversize lines), "line": the line as text (invalid UTF-8 shown as \\xNN), at most
`max_line_chars` characters, "truncated": true when `line` was cut}`.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Protocol

import msgspec

from minisoc.errors import LogSourceError

DEFAULT_MAX_LINE_CHARS = 4096


class DeadLetterEntry(msgspec.Struct):
    source: str
    offset: int | None
    reason: str
    detail: str
    length: int
    line: str
    truncated: bool


class DeadLetterSink(Protocol):
    """Anything that keeps refused lines (the file-backed DeadLetter is the one the product uses)."""

    def write(self, source: str | None, offset: int | None, reason: str, detail: str, line: bytes) -> None:
        ...


def make_entry(
    source: str | None, offset: int | None, reason: str, detail: str, line: bytes, max_line_chars: int
) -> DeadLetterEntry:
    text = line[: max_line_chars * 4].decode("utf-8", "backslashreplace")
    truncated = len(text) > max_line_chars or len(line) > max_line_chars * 4
    return DeadLetterEntry(
        source or "-", offset, reason, detail, len(line), text[:max_line_chars], truncated
    )


class DeadLetter:
    """File-backed dead-letter sink: appends one JSON line per refused line, flushed at once.

    The file is opened lazily (no file when nothing was refused) in append mode, so restarts keep old entries.
    """

    def __init__(self, path: Path, *, max_line_chars: int = DEFAULT_MAX_LINE_CHARS) -> None:
        self.path = Path(path)
        self.max_line_chars = max_line_chars
        self.written = 0
        self._file: BinaryIO | None = None
        self._encoder = msgspec.json.Encoder()

    def write(self, source: str | None, offset: int | None, reason: str, detail: str, line: bytes) -> None:
        entry = make_entry(source, offset, reason, detail, line, self.max_line_chars)
        handle = self._open()
        handle.write(self._encoder.encode(entry) + b"\n")
        handle.flush()
        self.written += 1

    def _open(self) -> BinaryIO:
        if self._file is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("ab")
            except OSError as exc:
                raise LogSourceError(
                    f"dead-letter file {self.path}: cannot open ({exc.strerror})",
                    hint="point the dead-letter path to a writable directory",
                ) from None
        return self._file

    def sync(self) -> None:
        """fsync the file (the tailer calls this before committing a checkpoint)."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> DeadLetter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def read_dead_letters(path: Path) -> list[DeadLetterEntry]:
    """Read a dead-letter file back (for tests, `minisoc` diagnostics and re-processing)."""
    decoder = msgspec.json.Decoder(DeadLetterEntry)
    return [decoder.decode(line) for line in Path(path).read_bytes().splitlines() if line]
