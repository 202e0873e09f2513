"""Files that must never be seen half-written: state, checkpoints, secrets, feed files.

One way to write them: a temporary file in the same directory, created with its final mode (so the umask
cannot loosen a secret's), fsynced, renamed over the target, then the directory fsynced so the rename itself
survives a crash. A reader, or a restart after a crash, sees the old bytes or the new, never a mix.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import msgspec


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> Path:
    """Replace `path` with `data` atomically and durably; the file has `mode` from its creation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
        raise
    fsync_directory(path.parent)
    return path


def fsync_directory(directory: Path) -> None:
    """Make a rename or an unlink in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomic(path: Path, value: Any) -> None:
    """Save `value` as JSON state (a feed manifest, a sync cursor) with `write_atomic`."""
    write_atomic(path, msgspec.json.encode(value))


def read_json(path: Path, default: Any) -> Any:
    """The saved JSON state, or `default` when there is none yet or it is unreadable (then callers resync)."""
    try:
        return msgspec.json.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError):
        return default
