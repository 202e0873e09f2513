"""What the tailer sees in a log directory: files, their identity, the fingerprint of their first bytes."""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from minisoc.correlator.input_formats import is_input_start
from minisoc.correlator.zeek.checkpoint import identity_key
from minisoc.correlator.zeek.names import is_log_file_name
from minisoc.correlator.zeek.streams import DECOMPRESSION_ERRORS, GZIP_MAGIC

FINGERPRINT_BYTES = 1024  # covers Zeek's TSV header (with its #open time) or the first JSON records
MIN_MATCH_BYTES = 64  # below this, a fingerprint is too weak to recognise a file under another identity
SNIFF_BYTES = 4096  # enough for a Zeek JSON record's first keys (ts, or _path first in json-streaming-logs)


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


@dataclass
class LogDirScan:
    """What one look at the log directory found: the logs to read, and every other file with the reason."""

    files: list[SeenFile]
    ignored: dict[str, str]  # path -> why it is not read


# A sniffed file's verdict (None: a Zeek log), kept while the file's identity, size and mtime stay the same.
SniffCache = dict[tuple[str, int, int, int, int], "str | None"]


def scan_log_dir(log_dir: Path, sniffed: SniffCache | None = None) -> LogDirScan:
    """Zeek log files under `log_dir` (recursively), oldest first: a rotated file before its successor.

    A file with a Zeek log name is a log. Any other regular file is read if its content is a Zeek log (TSV
    header or JSON record, plain or gzip: `conn.ndjson.gz`, `conn.log.labeled` as other tools write them),
    else listed in `ignored` with the reason. Hidden files and directories (`.name`) are skipped: temporary
    files of writers and rotation. `sniffed` carries verdicts across polls (unchanged files are not re-read).
    """
    cache: SniffCache = {} if sniffed is None else sniffed
    kept: SniffCache = {}
    seen: list[SeenFile] = []
    ignored: dict[str, str] = {}
    for root, dirs, files in os.walk(log_dir):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            path = Path(root) / name
            try:
                status = path.stat()
            except OSError:  # vanished between listing and stat: next poll
                continue
            if not stat.S_ISREG(status.st_mode):
                ignored[str(path)] = "not a regular file"
                continue
            if not is_log_file_name(name):
                key = (str(path), status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
                verdict = cache[key] if key in cache else sniff_zeek(path)
                kept[key] = verdict
                if verdict is not None:
                    ignored[str(path)] = verdict
                    continue
            seen.append(SeenFile(path, status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns))
    cache.clear()
    cache.update(kept)
    seen.sort(key=lambda item: (item.mtime_ns, str(item.path)))
    return LogDirScan(seen, ignored)


def sniff_zeek(path: Path) -> str | None:
    """None when the content of `path` is a Zeek log (TSV or JSON, plain or gzip), or syslog or flow records
    (correlator.input_formats), else why it is not."""
    try:
        prefix = read_prefix(path, is_gzip(path), SNIFF_BYTES)
    except OSError as error:
        return f"unreadable ({error.strerror or error})"
    first = prefix.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n").split(b"\n", 1)[0]
    if not first:
        return "empty (read once it holds a Zeek log)"
    if first.startswith(b"#separator"):
        return None
    if first.startswith(b"{") and (b'"ts"' in first or b'"_path"' in first):
        return None
    if is_input_start(first.rstrip(b"\r")):  # syslog or flows (`syslog-....json.1`, `auth.log.1`)
        return None
    return ("not a Zeek log: neither a Zeek TSV header nor a Zeek JSON record at its start (nor syslog or "
            "flow records)")


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
