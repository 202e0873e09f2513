"""Live tailing of a Zeek log directory: rotation, truncation, partial lines, new files and restarts.

Files are known by identity (device + inode) confirmed by a fingerprint of their first bytes, so a rename
(Zeek's rotation `conn.log` -> `conn.<time>.log`) keeps the position, and a rotated file that is then gzipped
(`conn.<time>.log.gz`, a new inode) is recognised by the fingerprint of its decompressed start and read on
from where the plain file stopped. Open handles are kept across polls, so a file that is removed or replaced
(unlinked, new file created) is read to its end before it is let go. Only complete lines are emitted from live
files; a partial last line is read again at the next poll. A file smaller than its offset was truncated: it is
read again from 0.

Delivery is at-least-once: each LogBatch carries the checkpoint covering its records; the caller commits it
only after their alerts are durable. A restart resumes from the last committed checkpoint and re-delivers the
same lines (same raw bytes and offsets), which idempotent alert ids turn into exactly-once effects.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from minisoc.correlator.model import LogRecord
from minisoc.correlator.typing import LogBatch
from minisoc.correlator.zeek.checkpoint import (
    CHECKPOINT_FILE_NAME,
    TrackedFile,
    load_checkpoint,
    snapshot,
    write_checkpoint,
)
from minisoc.correlator.zeek.deadletter import DeadLetterSink
from minisoc.correlator.zeek.linesplit import LineChunks, ReadChunk
from minisoc.correlator.zeek.names import log_type_from_name
from minisoc.correlator.zeek.reader import DEFAULT_MAX_LINE_BYTES
from minisoc.correlator.zeek.records import Refusals, parse_chunks
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek.streamparser import StreamParser
from minisoc.correlator.zeek.streams import DECOMPRESSION_ERRORS, GZIP_MAGIC, open_log_file
from minisoc.correlator.zeek.tailfiles import (
    FINGERPRINT_BYTES,
    MIN_MATCH_BYTES,
    SeenFile,
    SniffCache,
    fingerprint,
    is_gzip,
    read_prefix,
    scan_log_dir,
)
from minisoc.errors import LogSourceError

DEFAULT_BATCH_LINES = 5000
DEFAULT_MAX_VANISHED = 1000  # positions of vanished files kept to recognise their gzipped archives
DEFAULT_MAX_OPEN = 64  # open handles kept; beyond, those of files read to their end are closed, idlest first
_HEADER_PRIME_BYTES = 1 << 20


class LogTailer:
    """A LogSource over a live Zeek log directory (see the module docstring for the guarantees)."""

    def __init__(
        self,
        log_dir: Path,
        state_dir: Path,
        *,
        batch_lines: int = DEFAULT_BATCH_LINES,
        dead_letter: DeadLetterSink | None = None,
        stats: ReadStats | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_vanished: int = DEFAULT_MAX_VANISHED,
        max_open: int = DEFAULT_MAX_OPEN,
    ) -> None:
        if batch_lines < 1:
            raise ValueError("batch_lines must be at least 1")
        self.log_dir = Path(log_dir)
        self.checkpoint_path = Path(state_dir) / CHECKPOINT_FILE_NAME
        self.batch_lines = batch_lines
        self.max_line_bytes = max_line_bytes
        self.max_vanished = max_vanished
        self.max_open = max_open
        self.stats = stats if stats is not None else ReadStats()
        self.truncations = 0  # files seen shrinking below their offset (copytruncate) and re-read from 0
        self._dead_letter = dead_letter
        self._refusals = Refusals(self.stats, dead_letter)
        self._files: dict[str, TrackedFile] = load_checkpoint(self.checkpoint_path)
        self._handles: dict[str, BinaryIO] = {}
        self._handle_active: dict[str, int] = {}  # poll in which each open file last had new data
        self._poll = max((entry.last_seen for entry in self._files.values()), default=0)
        self._dirty = False
        self._sniffed: SniffCache = {}
        self.ignored: dict[str, str] = {}  # files in the log directory not read, and why (for /healthz)

    # -- LogSource ------------------------------------------------------------------------------------------

    def batches(self) -> Iterator[LogBatch]:
        """What the directory holds now, in batches of at most `batch_lines` records; then it returns.

        A batch with no records is yielded when only positions moved (headers, malformed lines, a new empty
        file), so that committing it keeps them from being dead-lettered twice.
        """
        records: list[LogRecord] = []
        for record in self._poll_records():
            records.append(record)
            if len(records) >= self.batch_lines:
                yield self._batch(records)
                records = []
        if records or self._dirty:
            yield self._batch(records)

    def commit(self, checkpoint: dict[str, Any]) -> None:
        """Make `checkpoint` (from a LogBatch) the restart position: atomic replace, fsynced."""
        sync = getattr(self._dead_letter, "sync", None)
        if callable(sync):
            sync()  # the refusals before this position must survive as well
        write_checkpoint(self.checkpoint_path, checkpoint)

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()
        self._handle_active.clear()

    @property
    def open_files(self) -> int:
        """Handles held across polls (bounded by `max_open` once files are read to their end)."""
        return len(self._handles)

    # -- one poll -------------------------------------------------------------------------------------------

    def _batch(self, records: list[LogRecord]) -> LogBatch:
        self._dirty = False
        return LogBatch(records=records, checkpoint=snapshot(self._files))

    def _poll_records(self) -> Iterator[LogRecord]:
        if not self.log_dir.is_dir():
            raise LogSourceError(f"{self.log_dir}: log directory not found",
                                 hint="check sensor.log_dir in the site profile (Zeek writes its logs there)")
        self._poll += 1
        scan = scan_log_dir(self.log_dir, self._sniffed)
        seen = scan.files
        self.ignored = scan.ignored
        present = {item.key for item in seen}
        for key in [key for key in self._handles if key not in present]:
            yield from self._drain_vanished(key)
        for item in seen:
            yield from self._read_seen(item, present)
        self._prune(present)
        self._close_idle_handles()

    def _read_seen(self, item: SeenFile, present: set[str]) -> Iterator[LogRecord]:
        entry = self._files.get(item.key)
        if entry is None:
            entry = self._identify(item, present)
            if entry is None:
                return
        entry.last_seen = self._poll  # bookkeeping only (pruning): not worth a commit on its own
        entry.path = str(item.path)
        if entry.compressed:
            if entry.size != item.size:
                yield from self._read_gzip(entry, item)
            return
        yield from self._read_plain(entry, item)

    def _identify(self, item: SeenFile, present: set[str]) -> TrackedFile | None:
        """A position for a new identity: a fresh file from 0, or the continuation of a vanished one."""
        if item.size < len(GZIP_MAGIC):
            return None  # created, not yet written (a copy just begun): gzip or text cannot be told yet
        try:
            compressed = is_gzip(item.path)
            prefix = read_prefix(item.path, compressed)
        except OSError:
            return None  # vanished since the scan: next poll
        offset = 0
        original = self._same_content(prefix, item.key)
        if original is not None:
            if original.key in present:
                return None  # a copy of a file that is still there (gzip at work): wait until it is gone
            offset = original.offset  # its rotated (and perhaps gzipped) successor: go on from there
            del self._files[original.key]
        entry = TrackedFile(item.dev, item.inode, str(item.path), fingerprint(prefix), len(prefix),
                            offset=offset, compressed=compressed, last_seen=self._poll)
        self._files[item.key] = entry
        self._dirty = True
        return entry

    def _same_content(self, prefix: bytes, key: str) -> TrackedFile | None:
        digests: dict[int, str] = {}
        for entry in self._files.values():
            if entry.key == key or entry.fp_len < MIN_MATCH_BYTES or entry.fp_len > len(prefix):
                continue
            digest = digests.get(entry.fp_len)
            if digest is None:
                digest = digests[entry.fp_len] = fingerprint(prefix[: entry.fp_len])
            if digest == entry.fingerprint:
                return entry
        return None

    # -- plain files ----------------------------------------------------------------------------------------

    def _read_plain(self, entry: TrackedFile, item: SeenFile) -> Iterator[LogRecord]:
        handle = self._handles.get(item.key)
        if handle is None:
            if item.size == entry.offset and entry.fp_len >= min(item.size, FINGERPRINT_BYTES):
                return  # nothing new: no need to hold it open
            try:
                handle = item.path.open("rb")
            except OSError:
                return
            status = os.fstat(handle.fileno())
            if (status.st_dev, status.st_ino) != (entry.dev, entry.inode):
                handle.close()  # replaced between scan and open: next poll sees the new one
                return
            self._handles[item.key] = handle
            self.stats.files += 1
        size = os.fstat(handle.fileno()).st_size
        if size == entry.offset and entry.fp_len >= min(size, FINGERPRINT_BYTES):
            return
        self._check_content(entry, handle, size)
        self._handle_active[item.key] = self._poll
        yield from self._read_lines(entry, handle, size, final=False)

    def _check_content(self, entry: TrackedFile, handle: BinaryIO, size: int) -> None:
        """Truncated or rewritten in place: start again at 0. Still short: extend the fingerprint."""
        prefix = os.pread(handle.fileno(), FINGERPRINT_BYTES, 0)
        same_start = fingerprint(prefix[: entry.fp_len]) == entry.fingerprint
        if size < entry.offset or not same_start:
            self.truncations += 1
            entry.offset = 0
        if len(prefix) != entry.fp_len or not same_start:
            entry.fingerprint = fingerprint(prefix)
            entry.fp_len = len(prefix)
            self._dirty = True

    def _drain_vanished(self, key: str) -> Iterator[LogRecord]:
        """A file removed or moved away since the last poll: read what it still holds, then close it."""
        handle = self._handles.pop(key)
        self._handle_active.pop(key, None)
        with handle:
            entry = self._files.get(key)
            if entry is not None:
                size = os.fstat(handle.fileno()).st_size
                if size > entry.offset:
                    yield from self._read_lines(entry, handle, size, final=True)

    def _read_lines(
        self, entry: TrackedFile, handle: BinaryIO, size: int, final: bool
    ) -> Iterator[LogRecord]:
        parser = self._parser(entry)
        if entry.offset:
            parser.prime_headers(os.pread(handle.fileno(), min(entry.offset, _HEADER_PRIME_BYTES), 0))
        handle.seek(entry.offset)
        yield from self._parse(entry, parser, _bounded_reader(handle, size - entry.offset), final)

    # -- gzip archives --------------------------------------------------------------------------------------

    def _read_gzip(self, entry: TrackedFile, item: SeenFile) -> Iterator[LogRecord]:
        """Read an archive from the entry's offset to its end; a damaged one is reported once per size."""
        try:
            with open_log_file(item.path) as stream:
                self.stats.files += 1
                parser = self._parser(entry)
                try:
                    if entry.offset:
                        parser.prime_headers(read_prefix(item.path, True, min(entry.offset,
                                                                                     _HEADER_PRIME_BYTES)))
                        stream.seek(entry.offset)
                    yield from self._parse(entry, parser, stream.read1, final=True)
                    entry.done = True
                except DECOMPRESSION_ERRORS as exc:
                    self.stats.file_failed(str(item.path), f"corrupt or truncated gzip after {entry.offset} "
                                                           f"bytes of complete lines: {exc}")
        except OSError as exc:
            self.stats.file_failed(str(item.path), f"cannot read: {exc.strerror or exc}")
            return
        entry.size = item.size  # not read again unless it changes (an archive still being written grows)
        self._dirty = True

    # -- shared ---------------------------------------------------------------------------------------------

    def _parser(self, entry: TrackedFile) -> StreamParser:
        return StreamParser(entry.path, log_type_from_name(Path(entry.path).name))

    def _parse(
        self, entry: TrackedFile, parser: StreamParser, read: ReadChunk, final: bool
    ) -> Iterator[LogRecord]:
        """Records from the entry's offset on; the offset follows each record handed out, so a batch cut (or
        an abandoned poll) never skips one; at the end it covers trailing headers and refused lines too."""
        chunks = LineChunks(read, entry.offset, self.max_line_bytes, emit_partial_tail=final)
        start = entry.offset
        try:
            for record in parse_chunks(chunks, parser, self._refusals, self.max_line_bytes):
                entry.offset = record.offset + len(record.raw) + 1  # type: ignore[operator]
                self._dirty = True
                yield record
        except DECOMPRESSION_ERRORS:
            self._finish(entry, chunks, start)  # every complete line before the damage was handled
            raise
        self._finish(entry, chunks, start)

    def _finish(self, entry: TrackedFile, chunks: LineChunks, start: int) -> None:
        entry.offset = chunks.consumed
        self.stats.bytes_read += chunks.consumed - start
        if chunks.consumed != start:
            self._dirty = True

    def _close_idle_handles(self) -> None:
        """Keep at most `max_open` handles: close those of files read to their end, idlest first."""
        excess = len(self._handles) - self.max_open
        if excess <= 0:
            return
        for key in sorted(self._handles, key=lambda key: self._handle_active.get(key, 0)):
            entry = self._files.get(key)
            handle = self._handles[key]
            if entry is not None and os.fstat(handle.fileno()).st_size > entry.offset:
                continue  # still has unread lines (a batch cut): keep it
            handle.close()
            del self._handles[key]
            self._handle_active.pop(key, None)
            excess -= 1
            if excess <= 0:
                return

    def _prune(self, present: set[str]) -> None:
        """Forget the oldest vanished files beyond `max_vanished` (kept only to recognise their archives)."""
        kept = present | self._handles.keys()
        vanished = [entry for key, entry in self._files.items() if key not in kept]
        if len(vanished) <= self.max_vanished:
            return
        vanished.sort(key=lambda entry: entry.last_seen)
        for entry in vanished[: len(vanished) - self.max_vanished]:
            del self._files[entry.key]
        self._dirty = True


def _bounded_reader(handle: BinaryIO, limit: int) -> ReadChunk:
    """read(n) over `handle` that stops after `limit` bytes: a poll reads what was there when it started."""
    remaining = [limit]

    def read(size: int) -> bytes:
        if remaining[0] <= 0:
            return b""
        data = handle.read(min(size, remaining[0]))
        remaining[0] -= len(data)
        return data

    return read
