"""A render is staged, then swapped in: the site is either as it was or fully rendered, never half-written.

`Stage` is a folder that mirrors the site (same relative paths) and receives every file a render would
write, complete, fsynced, with its final mode and owner. Nothing in the site changes while a stage is built,
so any failure (a bad value, a full disk, a corrupt CA, a bug) is followed by `discard()` and the site is
byte for byte as before.

`swap()` then moves the staged files that differ from the site's (bytes, mode or owner) over them, one
`os.replace` each, after writing a commit record (`COMMIT`, the list of files to move and to remove). An
error during the swap puts every replaced file back (each old file is hard-linked into the stage first).
A crash (power loss, kill -9) during the swap leaves the commit record: the next `minisoc render` finds it
and finishes the swap from the stage before doing anything else (`finish_interrupted`), so a site never
stays half-swapped. A stage without a commit record was never swapped and is simply removed.

Only files listed by the render are ever replaced or removed: SITE_DIR/minisoc.yaml, log and feed folders
and anything else of the user's are never touched (see docs/render.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from minisoc.durable import fsync_directory, write_atomic
from minisoc.errors import UsageError
from minisoc.security.files import PRIVATE_DIR_MODE

STAGING_DIR_NAME = ".minisoc-staging"  # inside SITE_DIR: same filesystem, so os.replace is atomic
COMMIT_NAME = "COMMIT"
BACKUP_DIR_NAME = "COMMIT.old"  # the replaced files, until the swap is done (for the rollback)
_OWN_NAMES = (COMMIT_NAME, BACKUP_DIR_NAME)


@dataclass(frozen=True)
class SwapList:
    """What a swap does: staged files moved over the site's, site files removed, site folders created."""

    files: tuple[PurePosixPath, ...]
    removed: tuple[PurePosixPath, ...] = ()
    folders: tuple[Path, ...] = ()  # absolute (log_dir may be outside SITE_DIR): created when missing

    def to_json(self) -> bytes:
        data = {
            "files": [str(p) for p in self.files],
            "removed": [str(p) for p in self.removed],
            "folders": [str(p) for p in self.folders],
        }
        return (json.dumps(data, indent=1, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> SwapList:
        raw = json.loads(data)
        return cls(
            tuple(PurePosixPath(p) for p in raw["files"]),
            tuple(PurePosixPath(p) for p in raw["removed"]),
            tuple(Path(p) for p in raw["folders"]),
        )


@dataclass
class _Undo:
    """What the swap did so far, to put back on an error."""

    replaced: list[tuple[Path, Path | None, Path]] = field(default_factory=list)  # site file, backup, staged
    removed: list[tuple[Path, Path]] = field(default_factory=list)  # (site file, its backup)
    created: list[Path] = field(default_factory=list)  # folders that did not exist
    chmodded: list[tuple[Path, int, int, int]] = field(default_factory=list)  # folder, mode, uid, gid


class Stage:
    """A folder mirroring SITE_DIR that holds the complete next version of every file a render writes."""

    def __init__(self, site_dir: Path, root: Path) -> None:
        self.site_dir = site_dir
        self.root = root

    def path(self, relative: PurePosixPath) -> Path:
        return self.root / Path(*relative.parts)

    def live(self, relative: PurePosixPath) -> Path:
        return self.site_dir / Path(*relative.parts)

    def seed(self, folder: PurePosixPath) -> None:
        """Copy the site's regular files of `folder` into the stage (bytes, mode, owner), so a step that
        keeps what exists (the PKI, the bcrypt hashes) finds it there."""
        source = self.live(folder)
        if not source.is_dir():
            return
        target = self.path(folder)
        target.mkdir(parents=True, exist_ok=True)
        _copy_dir_meta(source, target)
        for entry in sorted(source.iterdir()):
            if entry.is_file():  # a symlinked ca.crt is copied too: never a reason to make a new CA
                info = entry.stat()
                copy = write_atomic(target / entry.name, entry.read_bytes(), mode=stat.S_IMODE(info.st_mode))
                if os.geteuid() == 0:
                    os.chown(copy, info.st_uid, info.st_gid)

    def changed_files(self) -> list[PurePosixPath]:
        """Staged files that differ from the site's (new, other bytes, other mode or owner), sorted."""
        changed = []
        for staged in _files(self.root):
            relative = PurePosixPath(staged.relative_to(self.root).as_posix())
            if relative.parts[0] in _OWN_NAMES:
                continue
            if not _same_file(staged, self.live(relative)):
                changed.append(relative)
        return sorted(changed)

    def swap(self, swap: SwapList) -> None:
        """Commit, then move the staged files in (see the module docstring); on an error, put everything
        back and re-raise."""
        for folder in _dirs(self.root):
            fsync_directory(folder)
        write_atomic(self.root / COMMIT_NAME, swap.to_json(), mode=0o600)  # the commit point
        undo = _Undo()
        try:
            _apply(self, swap, undo)
        except BaseException:
            _rollback(undo)
            (self.root / COMMIT_NAME).unlink()  # only once everything is back: see _rollback
            raise
        self.discard()

    def discard(self) -> None:
        """Remove the stage: after a swap, or instead of one (the site stays as it was)."""
        with contextlib.suppress(FileNotFoundError):
            (self.root / COMMIT_NAME).unlink()
            fsync_directory(self.root)
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def staged(site_dir: Path) -> Iterator[Stage]:
    """A fresh stage in SITE_DIR/.minisoc-staging (0700), removed on the way out unless it was swapped."""
    root = site_dir / STAGING_DIR_NAME
    if root.exists() or root.is_symlink():
        finish_interrupted(site_dir)
    root.mkdir(mode=PRIVATE_DIR_MODE)
    stage = Stage(site_dir, root)
    try:
        yield stage
    finally:
        stage.discard()


def check_targets(site_dir: Path, swap: SwapList) -> None:
    """Every file the swap writes lands where no folder is, inside folders that are folders; every folder it
    creates is not a file. Checked before the commit, so a wrong kind is a one-line error and no change."""
    folders = {site_dir / Path(*relative.parts[:depth])
               for relative in swap.files for depth in range(1, len(relative.parts))}
    for folder in sorted(folders, key=lambda p: len(p.parts)):
        if folder.exists() and not folder.is_dir():
            raise UsageError(
                f"{folder}: is a file where minisoc render needs a folder",
                "move that file away (render never deletes what it did not write), then render again",
            )
    for relative in swap.files:
        target = site_dir / Path(*relative.parts)
        if target.is_dir():
            raise UsageError(
                f"{target}: is a folder where minisoc render writes a file",
                "move that folder away (render never deletes a folder), then render again",
            )
    for wanted in swap.folders:
        for folder in (wanted, *wanted.parents):
            if folder.exists() and not folder.is_dir():
                raise UsageError(
                    f"{folder}: is a file where minisoc render makes a folder",
                    "move that file away, or point the profile at another folder, then render again",
                )


def finished_swap_pending(site_dir: Path) -> bool:
    """True when a crash interrupted a swap: the next render finishes it first."""
    _check_stage_root(site_dir / STAGING_DIR_NAME)
    return (site_dir / STAGING_DIR_NAME / COMMIT_NAME).is_file()


def _check_stage_root(root: Path) -> None:
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise UsageError(
            f"{root}: is not a folder; minisoc stages renders there",
            "move it away, then render again",
        )


def finish_interrupted(site_dir: Path) -> bool:
    """Finish a swap a crash interrupted (True), or remove an unfinished stage (False). See the docstring."""
    root = site_dir / STAGING_DIR_NAME
    _check_stage_root(root)
    commit = root / COMMIT_NAME
    if not commit.is_file():
        shutil.rmtree(root, ignore_errors=True)
        return False
    stage = Stage(site_dir, root)
    swap = SwapList.from_json(commit.read_bytes())
    _apply(stage, swap, _Undo(), resume=True)
    stage.discard()
    return True


def _apply(stage: Stage, swap: SwapList, undo: _Undo, *, resume: bool = False) -> None:
    backups = stage.root / BACKUP_DIR_NAME
    _make_folders(stage, swap, undo)
    for relative in swap.files:
        source, target = stage.path(relative), stage.live(relative)
        if resume and not source.exists():
            continue  # moved in before the crash
        backup = None
        if not resume and target.exists():
            backup = _back_up(target, backups / Path(*relative.parts))
        source.replace(target)
        undo.replaced.append((target, backup, source))
    for relative in swap.removed:
        target = stage.live(relative)
        if not target.exists():
            continue
        backup = backups / Path(*relative.parts)
        backup.parent.mkdir(parents=True, exist_ok=True)
        target.replace(backup)
        undo.removed.append((target, backup))
    for folder in {stage.live(r).parent for r in (*swap.files, *swap.removed)}:
        fsync_directory(folder)


def _back_up(target: Path, backup: Path) -> Path:
    """Keep the old file reachable for the rollback: a hard link (same inode, owner, mode), else a copy."""
    backup.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(target, backup)
    except OSError:  # protected_hardlinks (a file of another user), or a filesystem without links
        shutil.copy2(target, backup)
    return backup


def _make_folders(stage: Stage, swap: SwapList, undo: _Undo) -> None:
    """Create the site's missing folders (staged ones with their staged mode); make the private (0700)
    staged folders private in the site too, with their staged owner. Parents first."""
    for staged_dir in _dirs(stage.root):
        relative = staged_dir.relative_to(stage.root)
        if staged_dir == stage.root or relative.parts[0] in _OWN_NAMES:
            continue
        live, info = stage.site_dir / relative, staged_dir.stat()
        if not live.is_dir():
            live.mkdir(mode=stat.S_IMODE(info.st_mode))
            undo.created.append(live)
        elif stat.S_IMODE(info.st_mode) == PRIVATE_DIR_MODE:
            old = live.stat()
            undo.chmodded.append((live, stat.S_IMODE(old.st_mode), old.st_uid, old.st_gid))
        else:
            continue
        _copy_dir_meta(staged_dir, live)
    for folder in swap.folders:
        missing = [p for p in (folder, *folder.parents) if not p.exists()]
        for path in reversed(missing):
            path.mkdir()
            undo.created.append(path)


def _rollback(undo: _Undo) -> None:
    for target, kept in reversed(undo.removed):
        kept.replace(target)
    for target, backup, staged_copy in reversed(undo.replaced):
        # the new file goes back into the stage first: should the rollback itself be cut short by a crash,
        # the commit record is still there and the next render finishes the swap with every file
        _back_up(target, staged_copy)
        if backup is None:
            target.unlink()
        else:
            backup.replace(target)
    for folder, mode, uid, gid in reversed(undo.chmodded):
        folder.chmod(mode)
        if os.geteuid() == 0:
            os.chown(folder, uid, gid)
    for folder in reversed(undo.created):
        folder.rmdir()


def _copy_dir_meta(source: Path, target: Path) -> None:
    info = source.stat()
    target.chmod(stat.S_IMODE(info.st_mode))
    if os.geteuid() == 0 and (target.stat().st_uid, target.stat().st_gid) != (info.st_uid, info.st_gid):
        os.chown(target, info.st_uid, info.st_gid)


def _same_file(staged: Path, live: Path) -> bool:
    try:
        if live.is_symlink() or not live.is_file():
            return False
        a, b = staged.stat(), live.stat()
        meta = (stat.S_IMODE(a.st_mode), a.st_uid, a.st_gid) == (stat.S_IMODE(b.st_mode), b.st_uid, b.st_gid)
        return meta and staged.read_bytes() == live.read_bytes()
    except OSError:
        return False


def _files(root: Path) -> Iterator[Path]:
    for folder, _, names in os.walk(root):
        for name in names:
            yield Path(folder) / name


def _dirs(root: Path) -> list[Path]:
    """Every folder of the stage, parents before children."""
    return sorted((Path(folder) for folder, _, _ in os.walk(root)), key=lambda p: len(p.parts))
