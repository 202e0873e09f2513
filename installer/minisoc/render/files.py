"""Rendered files in memory (path, bytes, mode, secret or not) and how they are written to a site."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from minisoc.security.files import (
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    PUBLIC_FILE_MODE,
    hand_over,
    write_if_changed,
)


@dataclass(frozen=True)
class RenderedFile:
    """One output file, relative to SITE_DIR. `secret` files are 0600 and masked in `minisoc plan`."""

    path: PurePosixPath
    data: bytes
    secret: bool = False
    owner_uid: int | None = None  # the container uid that must read a secret file (applied only as root)

    @property
    def mode(self) -> int:
        return PRIVATE_FILE_MODE if self.secret else PUBLIC_FILE_MODE


@dataclass(frozen=True)
class RenderResult:
    """What `render_site` did: every file it manages (`files`: the rendered ones; `security_files`: the PKI
    and OpenSearch security files), and which of all of them it (re)wrote (`written`)."""

    site_dir: Path
    files: tuple[PurePosixPath, ...]
    written: tuple[PurePosixPath, ...]
    created_dirs: tuple[PurePosixPath, ...] = field(default=())
    removed: tuple[PurePosixPath, ...] = field(default=())  # stale config files of switched-off services
    security_files: tuple[PurePosixPath, ...] = field(default=())  # PKI and OpenSearch security plugin files
    restarts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # service -> what changed for it
    recovered: bool = False  # an interrupted render's swap was finished first
    compose: dict[str, Any] = field(default_factory=dict)  # the document compose.yaml now holds

    @property
    def unchanged(self) -> tuple[PurePosixPath, ...]:
        return tuple(path for path in self.files if path not in set(self.written))


def write_files(site_dir: Path, files: Iterable[RenderedFile]) -> list[PurePosixPath]:
    """Write every file whose bytes or mode differ (atomically, mode set from the first byte)."""
    written = []
    for rendered in files:
        target = site_dir / Path(*rendered.path.parts)
        if rendered.secret:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.parent != site_dir:
                target.parent.chmod(PRIVATE_DIR_MODE)
        if write_if_changed(target, rendered.data, mode=rendered.mode):
            written.append(rendered.path)
        if rendered.owner_uid is not None:
            hand_over(target, rendered.owner_uid)
    return written
