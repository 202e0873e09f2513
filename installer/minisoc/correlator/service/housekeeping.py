"""Housekeeping of rotated Zeek logs: gzip what the correlator has read, delete what is past retention.

A Zeek without zeekctl rotates by renaming in place (`conn.log` -> `conn.2015-03-30-14-45-02.log`); a Zeek
cluster's logger under the Supervisor renames into `log-queue/` with zeek-archiver's names
(`conn__2015-03-30-14-00-00__2015-03-30-15-00-00__.log`). Neither compresses nor deletes: the disk fills.
The correlator knows when it has read a file to its end (its committed tail checkpoint), so it does both,
for rotated files only, and only for files that checkpoint shows finished:

- a rotated plain file read to its end (checkpoint identity = its device and inode, offset = its size) is
  gzipped to `<name>.gz` (written hidden, fsynced, renamed, then the plain file is removed). The archive keeps
  the file's mtime. The tailer recognises the archive as the rotated file it read (fingerprint of the
  decompressed start, see zeek/tail.py) and goes on from the same offset: nothing is read or alerted twice.
  A file whose start is too short to be recognised that way (MIN_MATCH_BYTES) is left plain.
- a rotated file (plain or gzip) finished and not written for `retention_days` (its mtime) is deleted.

Current logs (`conn.log`), files the correlator has not finished and any file that is not a Zeek rotation
name are never touched. Rotation time is the file's mtime, not the name: under `zeek -r` the name is trace
time.
"""

from __future__ import annotations

import gzip
import logging
import os
import re
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from minisoc.correlator.zeek.checkpoint import TrackedFile, identity_key, load_checkpoint
from minisoc.correlator.zeek.names import ARCHIVER_NAME, ARCHIVER_QUEUE_DIR
from minisoc.correlator.zeek.tailfiles import MIN_MATCH_BYTES
from minisoc.durable import fsync_directory
from minisoc.errors import LogSourceError

log = logging.getLogger(__name__)
# Log::default_rotation_date_format (%Y-%m-%d-%H-%M-%S) after the log's path, then the writer's extension
ROTATED_NAME = re.compile(r"^[^.].*\.\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.(?:log|json)(?:\.gz)?$")
GZIP_LEVEL = 6


def is_rotated_name(name: str) -> bool:
    """A standalone Zeek's rotation name, or a supervised cluster logger's (zeek-archiver's format)."""
    return ROTATED_NAME.match(name) is not None or ARCHIVER_NAME.match(name) is not None


def is_leftover_temporary(name: str) -> bool:
    """`.<rotated name>.gz.tmp`: an archive a killed run was writing (one process runs housekeeping)."""
    return name.startswith(".") and name.endswith(".gz.tmp") and is_rotated_name(name[1:-len(".gz.tmp")])


@dataclass
class HousekeepingRun:
    """What one run did, and the rotated files it left because the correlator has not finished them."""

    gzipped: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unfinished: int = 0
    error: str | None = None


def finished(entry: TrackedFile | None, name: str, size: int) -> bool:
    """The committed checkpoint shows this file (same identity and name) read to its end."""
    if entry is None or Path(entry.path).name != name:
        return False
    if entry.compressed:
        return entry.done and entry.size == size
    return entry.offset == size


def gzip_in_place(path: Path) -> Path:
    """`path` -> `path.gz` (same mtime), durable before the plain file goes; returns the archive's path."""
    target = path.with_name(path.name + ".gz")
    temporary = path.with_name(f".{path.name}.gz.tmp")  # hidden: the tailer skips it while it is written
    status = path.stat()
    try:
        with path.open("rb") as source, temporary.open("wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL,
                               mtime=int(status.st_mtime)) as archive:
                shutil.copyfileobj(source, archive, 1 << 20)
            raw.flush()
            os.fsync(raw.fileno())
        temporary.chmod(0o644)
        os.utime(temporary, ns=(status.st_atime_ns, status.st_mtime_ns))
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)
    path.unlink()
    fsync_directory(path.parent)
    return target


class RotatedLogs:
    """Runs every `interval_s` from the service loop (in a thread of its own), after its batches are
    committed. It reads the committed checkpoint from disk: it never acts on a position not yet durable."""

    def __init__(
        self,
        log_dir: Path,
        checkpoint_path: Path,
        *,
        retention_days: int,
        compress: bool = True,
        interval_s: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.log_dir = Path(log_dir)
        self.checkpoint_path = Path(checkpoint_path)
        self.retention_s = retention_days * 86400.0
        self.compress = compress
        self.interval_s = interval_s
        self.clock = clock
        self._next_run = 0.0

    def due(self) -> bool:
        return self.clock() >= self._next_run

    def run(self) -> HousekeepingRun:
        """One pass over the folders Zeek rotates into (the log directory's top, and `log-queue/` where a
        supervised cluster's logger rotates); errors reported, not raised."""
        self._next_run = self.clock() + self.interval_s
        result = HousekeepingRun()
        try:
            files = load_checkpoint(self.checkpoint_path)
        except (OSError, LogSourceError) as error:
            result.error = f"{self.checkpoint_path}: {getattr(error, 'message', None) or error}"
            return result
        for folder in (self.log_dir, self.log_dir / ARCHIVER_QUEUE_DIR):
            if folder != self.log_dir and not folder.is_dir():
                continue
            try:
                with os.scandir(folder) as entries:
                    every = [entry.name for entry in entries]
                for name in filter(is_leftover_temporary, every):
                    (folder / name).unlink(missing_ok=True)
            except OSError as error:
                result.error = f"{folder}: {error.strerror or error}"
                return result
            for name in sorted(filter(is_rotated_name, every)):
                try:
                    self._one(folder / name, files, result)
                except OSError as error:  # e.g. the log directory is read-only for the correlator
                    result.error = f"{folder / name}: {error.strerror or error}"
                    log.warning("log housekeeping: %s", result.error)
        return result

    def _one(self, path: Path, files: dict[str, TrackedFile], result: HousekeepingRun) -> None:
        try:
            status = path.stat(follow_symlinks=False)
        except FileNotFoundError:
            return
        if not stat.S_ISREG(status.st_mode):  # not followed: a link or a folder is not Zeek's
            return
        entry = files.get(identity_key(status.st_dev, status.st_ino))
        if not finished(entry, path.name, status.st_size):
            result.unfinished += 1
            return
        assert entry is not None  # finished() says so
        if self.clock() - status.st_mtime >= self.retention_s:
            path.unlink()
            result.deleted.append(path.name)
            return
        if self.compress and not entry.compressed and entry.fp_len >= MIN_MATCH_BYTES:  # else the tailer
            # could not recognise the archive as the file it read
            gzip_in_place(path)
            result.gzipped.append(path.name)
