"""Atomic writes with the right file mode from the first byte: a secret is never world-readable, even briefly.

A private file (key, secret, password hash) is created as a 0600 temporary file in the same directory and
then renamed over the target, so a reader sees either the old or the new content, never a partial one, and
the content never sits in a file with a looser mode.
"""

from __future__ import annotations

import os
from pathlib import Path

from minisoc.durable import write_atomic

PRIVATE_FILE_MODE = 0o600
PUBLIC_FILE_MODE = 0o644
PRIVATE_DIR_MODE = 0o700


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) if missing and make it 0700; return it."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    path.chmod(PRIVATE_DIR_MODE)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """A key, secret or password hash: mode 0600."""
    return write_atomic(path, data, mode=PRIVATE_FILE_MODE)


def write_public(path: Path, data: bytes) -> Path:
    """A certificate or a config file without secrets: mode 0644."""
    return write_atomic(path, data, mode=PUBLIC_FILE_MODE)


def write_if_changed(path: Path, data: bytes, *, mode: int) -> bool:
    """Write only when the content or mode differs (keeps mtimes stable across renders); True when written."""
    try:
        same = path.read_bytes() == data and (path.stat().st_mode & 0o777) == mode
    except OSError:
        same = False
    if not same:
        write_atomic(path, data, mode=mode)
    return not same


def hand_over(path: Path, uid: int | None, gid: int | None = None) -> bool:
    """Give a 0600 file to the container user that must read it (only possible as root); True when changed.

    A bind-mounted 0600 key owned by the host user cannot be read by a container process running as another
    uid (OpenSearch runs as 1000). As root we chown; otherwise the file stays with the current user, which is
    right when the current user is that uid (`minisoc doctor` reports the mismatch otherwise).
    """
    if uid is None or os.geteuid() != 0:
        return False
    stat = path.stat()
    target_gid = stat.st_gid if gid is None else gid
    if stat.st_uid == uid and stat.st_gid == target_gid:
        return False
    os.chown(path, uid, target_gid)
    return True
