"""Offline reading of Zeek logs: files, directories (recursively) and stdin, JSON or TSV, plain or gzip.

`read_logs` is the reference reader: `minisoc hunt` and the retro-hunt read through `zeek.scan.scan_logs`, its
fast twin (which shares `log_targets` and `read_targets` with it and is tested to read exactly what it reads),
and `read_logs` stays for readers that want every record. A malformed line is counted and dead-lettered;
a corrupt or truncated gzip yields what came before the damage, is reported in ReadStats.file_errors, and
reading continues with the next file. Only a path that cannot be read at all is an error (LogSourceError).
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from minisoc.correlator.model import LogRecord
from minisoc.correlator.zeek.deadletter import DeadLetterSink
from minisoc.correlator.zeek.linesplit import LineChunks
from minisoc.correlator.zeek.malformed import REASON_TRUNCATED
from minisoc.correlator.zeek.names import is_log_file_name, log_type_from_name
from minisoc.correlator.zeek.records import Refusals, parse_chunks
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek.streamparser import StreamParser
from minisoc.correlator.zeek.streams import DECOMPRESSION_ERRORS, STDIN_NAME, open_log_file, open_stdin
from minisoc.errors import LogSourceError

__all__ = ["ReadStats", "find_log_files", "read_logs", "read_stream"]

DEFAULT_MAX_LINE_BYTES = 1 << 20

Item = TypeVar("Item")
# What to do with one opened stream: (stream, source path or None for stdin, log type hint) -> items.
StreamReader = Callable[[io.BufferedIOBase, str | None, str | None], Iterator[Item]]


def log_targets(paths: Sequence[str | Path]) -> list[Path | None]:
    """The files `paths` name, in order: directories walked (sorted, recursive, Zeek log names only), a
    file named explicitly kept whatever its name, `-` as None (stdin). A path that does not exist or cannot
    be read raises LogSourceError (see find_log_files)."""
    targets: list[Path | None] = []
    for given in paths:
        if str(given) == STDIN_NAME:
            targets.append(None)
        else:
            targets.extend(find_log_files(Path(given)))
    return targets


def read_logs(
    paths: Sequence[str | Path],
    *,
    dead_letter: DeadLetterSink | None = None,
    stats: ReadStats | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[LogRecord]:
    """Records of every Zeek log under `paths` (files, directories, `-` for stdin), in path order.

    Paths are checked before anything is read: one that does not exist or cannot be read raises
    LogSourceError. Directories are walked recursively in sorted order and only Zeek log file names are read
    (*.log, *.json, *.log.gz, *.json.gz); a file named explicitly is read whatever its name.
    """
    targets = log_targets(paths)
    refusals = Refusals(stats if stats is not None else ReadStats(), dead_letter)

    def read(stream: io.BufferedIOBase, source: str | None, hint: str | None) -> Iterator[LogRecord]:
        return read_stream(stream, source, hint, refusals, max_line_bytes)

    return read_targets(targets, refusals, read)


def find_log_files(path: Path) -> list[Path]:
    """`path` itself (a file) or the Zeek log files below it (a directory: regular files, or links to them);
    LogSourceError if unreadable."""
    try:
        is_dir = stat.S_ISDIR(path.stat().st_mode)
    except FileNotFoundError:
        raise LogSourceError(f"{path}: no such file or directory", hint="check the --logs path") from None
    except OSError as error:  # a directory on the way that we may not search (EACCES), a loop, ...
        raise LogSourceError(f"{path}: cannot be reached ({error.strerror or error})",
                             hint="run as a user that can read it and every directory above it") from None
    if is_dir:
        if not os.access(path, os.R_OK | os.X_OK):
            raise LogSourceError(f"{path}: directory not readable", hint="run as a user that can read it")
        found: list[Path] = []
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(name for name in dirs if not name.startswith("."))
            # regular files only (following links): a dangling link or a FIFO would fail or block the read
            found.extend(path for name in sorted(files)
                         if is_log_file_name(name) and (path := Path(root) / name).is_file())
        return found
    if not os.access(path, os.R_OK):
        raise LogSourceError(f"{path}: file not readable (permission denied)",
                             hint="run as a user that can read it")
    return [path]


def read_targets(
    targets: list[Path | None], refusals: Refusals, read: StreamReader[Item]
) -> Iterator[Item]:
    """`read(stream, source, hint)` over each target in turn (None: stdin); unreadable files are reported."""
    for target in targets:
        if target is None:
            yield from read(open_stdin(), None, None)
            continue
        try:
            with open_log_file(target) as stream:
                yield from read(stream, str(target), log_type_from_name(target.name))
        except OSError as exc:  # vanished or unreadable since it was listed: report, go on
            refusals.stats.file_failed(str(target), f"cannot read: {exc.strerror or exc}")


def read_stream(
    stream: io.BufferedIOBase,
    source: str | None,
    log_type_hint: str | None,
    refusals: Refusals,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> Iterator[LogRecord]:
    """Records of one whole stream; decompression errors end it, reported in the stats (never raised)."""
    stats = refusals.stats
    stats.files += 1
    chunks = LineChunks(stream.read1, 0, max_line_bytes, emit_partial_tail=True)
    parser = StreamParser(source, log_type_hint)
    try:
        yield from parse_chunks(chunks, parser, refusals, max_line_bytes)
    except DECOMPRESSION_ERRORS as exc:
        name = source or STDIN_NAME
        stats.file_failed(name, f"corrupt or truncated gzip after {chunks.consumed} bytes: {exc}")
        if chunks.partial_tail:
            refusals.refuse(source, chunks.consumed, REASON_TRUNCATED, "cut off by the gzip error",
                            chunks.partial_tail)
    finally:
        stats.bytes_read += chunks.consumed
