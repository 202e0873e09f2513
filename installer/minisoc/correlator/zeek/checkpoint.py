"""The tailer's durable position: per file identity {dev, inode, fingerprint, offset}, replaced atomically.

A checkpoint is a plain JSON-ready dict (it travels in LogBatch.checkpoint):
`{"version": 1, "files": {"<dev>:<inode>": {"dev", "inode", "path", "fingerprint", "fp_len", "offset",
"compressed", "size", "done", "last_seen"}}}`. `offset` counts bytes of the (decompressed) stream up to
the end of the last line whose records the caller has made durable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from minisoc.durable import write_atomic
from minisoc.errors import LogSourceError

CHECKPOINT_VERSION = 1
CHECKPOINT_FILE_NAME = "zeek-tail.checkpoint.json"


class TrackedFile(msgspec.Struct):
    """What the tailer knows about one log file (identified by device and inode, confirmed by fingerprint)."""

    dev: int
    inode: int
    path: str  # last path it was seen at (informative: rotation renames it)
    fingerprint: str  # sha256 hex of the first fp_len bytes (decompressed for gzip)
    fp_len: int
    offset: int = 0
    compressed: bool = False
    size: int = -1  # on-disk size when last read to its end (gzip: not re-read while unchanged)
    done: bool = False  # gzip archive read to its end
    last_seen: int = 0  # poll number it was last seen in the directory (for pruning vanished files)

    @property
    def key(self) -> str:
        return identity_key(self.dev, self.inode)


def identity_key(dev: int, inode: int) -> str:
    return f"{dev}:{inode}"


def snapshot(files: dict[str, TrackedFile]) -> dict[str, Any]:
    """A detached copy of the positions, safe to hold while the tailer keeps reading."""
    entries = {key: msgspec.to_builtins(entry) for key, entry in files.items()}
    return {"version": CHECKPOINT_VERSION, "files": entries}


def restore(checkpoint: dict[str, Any]) -> dict[str, TrackedFile]:
    """The positions of a checkpoint (as produced by `snapshot`)."""
    return {key: msgspec.convert(entry, TrackedFile) for key, entry in checkpoint.get("files", {}).items()}


def load_checkpoint(path: Path) -> dict[str, TrackedFile]:
    """Positions from the checkpoint file; empty when there is none yet. A damaged file is an error."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise LogSourceError(f"{path}: cannot read the tail checkpoint ({exc.strerror})",
                             hint="check the permissions of the correlator state directory") from None
    try:
        checkpoint = msgspec.json.decode(data)
        if not isinstance(checkpoint, dict) or checkpoint.get("version") != CHECKPOINT_VERSION:
            raise ValueError("not a version 1 checkpoint")
        return restore(checkpoint)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise LogSourceError(
            f"{path}: tail checkpoint is damaged ({exc})",
            hint="move it away to re-read the log directory from the start (alerts are idempotent)",
        ) from None


def write_checkpoint(path: Path, checkpoint: dict[str, Any]) -> None:
    """Replace the checkpoint file atomically and durably: temp file, fsync, rename, fsync the directory."""
    write_atomic(path, msgspec.json.encode(checkpoint))
