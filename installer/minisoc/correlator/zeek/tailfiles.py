"""What the tailer sees in a log directory: files, their identity, the fingerprint of their first bytes."""

from __future__ import annotations

import gzip
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from minisoc.correlator.zeek.checkpoint import identity_key
from minisoc.correlator.zeek.names import is_log_file_name
from minisoc.correlator.zeek.streams import DECOMPRESSION_ERRORS, GZIP_MAGIC

FINGERPRINT_BYTES = 1024  # covers Zeek's TSV header (with its #open time) or the first JSON records
MIN_MATCH_BYTES = 64  # below this, a fingerprint is too weak to recognise a file under another identity


@dataclass(frozen=True)
class SeenFile:
    path: Path
    dev: int
    inode: int
    size: int
    mtime_ns: int

    @property
    def key(self) -> str:
        return identity_key(self.dev, self.inode)


def scan_log_dir(log_dir: Path) -> list[SeenFile]:
    """Zeek log files under `log_dir` (recursively), oldest first: a rotated file before its successor."""
    seen: list[SeenFile] = []
    for root, dirs, files in os.walk(log_dir):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        for name in files:
            if not is_log_file_name(name):
                continue
            path = Path(root) / name
            try:
                status = path.stat()
            except OSError:  # vanished between listing and stat: next poll
                continue
            seen.append(SeenFile(path, status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns))
    seen.sort(key=lambda item: (item.mtime_ns, str(item.path)))
    return seen


def is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def read_prefix(path: Path, compressed: bool, length: int = FINGERPRINT_BYTES) -> bytes:
    """The first `length` bytes of the file (decompressed for gzip; fewer if it is shorter or damaged)."""
    if not compressed:
        with path.open("rb") as handle:
            return handle.read(length)
    prefix = b""
    with gzip.open(path, "rb") as stream:
        try:
            while len(prefix) < length:
                piece = stream.read1(length - len(prefix))
                if not piece:
                    break
                prefix += piece
        except DECOMPRESSION_ERRORS:
            pass
    return prefix


def fingerprint(prefix: bytes) -> str:
    return hashlib.sha256(prefix).hexdigest()
