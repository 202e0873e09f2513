"""Stage a build context: the Dockerfile folder from the package, plus verified artifacts or a wheelhouse.

The context digest (a label on the built image) says whether an existing image was built from the same inputs.
"""

from __future__ import annotations

import hashlib
import shutil
from importlib.resources.abc import Traversable
from pathlib import Path

from minisoc.images.catalog import ImageSpec


def copy_traversable(source: Traversable, destination: Path) -> None:
    """Copy a packaged folder (wheel or checkout) to disk; shell scripts stay executable."""
    destination.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        target = destination / entry.name
        if entry.is_dir():
            copy_traversable(entry, target)
            continue
        target.write_bytes(entry.read_bytes())
        target.chmod(0o755 if entry.name.endswith(".sh") else 0o644)


def stage_context(spec: ImageSpec, stacks: Traversable, work_dir: Path) -> Path:
    """A fresh folder holding the spec's Dockerfile folder (artifacts, wheelhouse: added by the caller)."""
    context = work_dir / spec.service
    if context.exists():
        shutil.rmtree(context)
    source = stacks.joinpath(*spec.context.split("/"))
    if not source.is_dir():
        raise FileNotFoundError(f"build context {spec.context!r} is missing from the minisoc package")
    copy_traversable(source, context)
    return context


def link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        target.hardlink_to(source)
    except OSError:
        shutil.copy2(source, target)


def context_digest(context: Path, build_args: dict[str, str]) -> str:
    """sha256 over every file's relative path and content, and the build args: same inputs, same digest."""
    digest = hashlib.sha256()
    for name in sorted(build_args):
        digest.update(f"arg {name}={build_args[name]}\n".encode())
    for path in sorted(p for p in context.rglob("*") if p.is_file()):
        digest.update(
            f"file {path.relative_to(context).as_posix()} {path.stat().st_mode & 0o777:o}\n".encode()
        )
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()
