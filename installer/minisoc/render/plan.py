"""`minisoc plan`: what `render` would change on disk (added, changed, removed files, text diffs), computed
from an in-memory render. Touches nothing. Secret values never appear: secret files are reported without
content and `.env` is diffed with every value masked.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from minisoc.profile.model import SiteProfile
from minisoc.render.files import RenderedFile
from minisoc.render.paths import ENV_FILE_NAME
from minisoc.render.secrets import SecretSource, generate_secret
from minisoc.render.security_step import SECURITY_CONFIG_DIR
from minisoc.render.site import render_files
from minisoc.render.stale import stale_config_files

MASK = "********"


@dataclass(frozen=True)
class FileChange:
    path: PurePosixPath
    action: str  # "add", "change" or "remove"
    secret: bool
    diff: str  # unified diff (empty for secret files and binary content)


@dataclass(frozen=True)
class Plan:
    site_dir: Path
    changes: tuple[FileChange, ...]
    unchanged: tuple[PurePosixPath, ...]
    notes: tuple[str, ...]

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)


def plan_site(site_dir: Path, profile: SiteProfile, *, secrets: SecretSource = generate_secret) -> Plan:
    rendered = render_files(site_dir, profile, secrets=secrets)
    root = rendered.paths.site_dir
    changes: list[FileChange] = []
    unchanged: list[PurePosixPath] = []
    for file in rendered.files:
        target = root / Path(*file.path.parts)
        current = target.read_bytes() if target.is_file() else None
        if current == file.data:
            unchanged.append(file.path)
            continue
        action = "add" if current is None else "change"
        changes.append(FileChange(file.path, action, file.secret, _diff(file, current)))
    for stale in stale_config_files(root, rendered.files):
        changes.append(FileChange(stale, "remove", False, ""))
    notes = []
    if profile.security.tls.enabled and "opensearch" in profile.enabled_services():
        if not (rendered.paths.pki_dir / "ca.crt").is_file():
            notes.append("pki/: the site CA and service certificates would be created")
        if not (root / Path(*SECURITY_CONFIG_DIR.parts) / "internal_users.yml").is_file():
            notes.append(f"{SECURITY_CONFIG_DIR}/: the OpenSearch security plugin files would be written")
    return Plan(root, tuple(changes), tuple(unchanged), tuple(notes))


def _diff(file: RenderedFile, current: bytes | None) -> str:
    if file.secret and file.path != PurePosixPath(ENV_FILE_NAME):
        return ""
    try:
        old = "" if current is None else current.decode("utf-8")
        new = file.data.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if file.path == PurePosixPath(ENV_FILE_NAME):
        old, new = _mask_env(old), _mask_env(new)
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"a/{file.path}",
        tofile=f"b/{file.path}",
    )
    return "".join(lines)


def _mask_env(text: str) -> str:
    masked = []
    for line in text.splitlines(keepends=True):
        key, sep, _ = line.partition("=")
        masked.append(f"{key}={MASK}\n" if sep and not line.startswith("#") else line)
    return "".join(masked)
