"""Opening a log file or stdin as a binary stream, gunzipping by magic bytes (never by name)."""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

GZIP_MAGIC = b"\x1f\x8b"
STDIN_NAME = "-"

# What a corrupt or truncated compressed stream raises while being read.
DECOMPRESSION_ERRORS: tuple[type[BaseException], ...] = (EOFError, gzip.BadGzipFile, zlib.error)


def wrap_stream(raw: io.BufferedReader) -> io.BufferedIOBase:
    """`raw` itself, or a gunzipping reader over it when it starts with the gzip magic bytes."""
    if raw.peek(2)[:2] == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")
    return raw


@contextmanager
def open_log_file(path: Path) -> Iterator[io.BufferedIOBase]:
    """Open a file for reading, gunzipping when needed; OSError propagates (the caller knows the context)."""
    with path.open("rb") as raw:
        stream = wrap_stream(raw)
        try:
            yield stream
        finally:
            stream.close()


def open_stdin() -> io.BufferedIOBase:
    stdin = sys.stdin.buffer
    if not isinstance(stdin, io.BufferedReader):  # e.g. replaced in tests: add the buffering peek needs
        stdin = io.BufferedReader(stdin)
    return wrap_stream(stdin)


def is_gzip_file(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC
