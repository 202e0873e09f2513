"""`minisoc plan`: what `render` would change on disk (added, changed, removed files, text diffs, the PKI
and OpenSearch security files with the reason of each certificate change) and which services would need a
restart. Touches nothing in SITE_DIR. Secret values never appear: secret files and keys are reported without
content and `.env` is diffed with every value masked.
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from minisoc.profile.model import SiteProfile
from minisoc.profile.sensor_cluster import cluster_ports, cluster_workers, zeek_cores
from minisoc.render.distributed import stage_distributed
from minisoc.render.files import RenderedFile
from minisoc.render.host_shares import host_shares, share_lines
from minisoc.render.memory import RenderedSite, render_files, site_io_error
from minisoc.render.secrets import SecretSource, generate_secret
from minisoc.render.security_step import PKI_DIR, SECURITY_CONFIG_DIR
from minisoc.render.site import StagedSite, stage_site
from minisoc.render.staging import Stage, finished_swap_pending
from minisoc.site.layout import ENV_FILE_NAME

MASK = "********"


@dataclass(frozen=True)
class FileChange:
    path: PurePosixPath
    action: str  # "add", "change" or "remove"
    secret: bool
    diff: str  # unified diff (empty for secret files, certificates and binary content)
    reason: str = ""  # why a certificate is (re)issued


@dataclass(frozen=True)
class Plan:
    site_dir: Path
    changes: tuple[FileChange, ...]
    unchanged: tuple[PurePosixPath, ...]
    notes: tuple[str, ...]
    restarts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # service -> what changed for it

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)


def plan_site(
    site_dir: Path,
    profile: SiteProfile,
    *,
    secrets: SecretSource = generate_secret,
    now: datetime | None = None,
) -> Plan:
    """What `render` would do, computed the way render does it (a stage, here a private temporary folder
    outside SITE_DIR), then thrown away: the PKI and the OpenSearch security files are planned exactly."""
    rendered = render_files(site_dir, profile, secrets=secrets)
    if profile.site.topology == "distributed":
        return _plan_distributed(rendered, profile, now)
    root = rendered.paths.site_dir
    in_memory = {file.path: file for file in rendered.files}
    try:
        with tempfile.TemporaryDirectory(prefix="minisoc-plan-") as temporary:
            stage = Stage(root, Path(temporary))
            staged = stage_site(stage, rendered, profile, now)
            changes = [_change(stage, path, in_memory.get(path), staged) for path in staged.swap.files]
    except OSError as error:
        raise site_io_error(root, "plan", error) from None
    changes += [FileChange(path, "remove", False, "") for path in staged.swap.removed]
    written = set(staged.swap.files)
    unchanged = [path for path in (*in_memory, *staged.security_files) if path not in written]
    notes = [f"{_relative(root, folder)}/: would be created" for folder in staged.swap.folders]
    if any(path.is_relative_to(SECURITY_CONFIG_DIR) for path in written) and (root / PKI_DIR).is_dir():
        notes.append(
            f"{SECURITY_CONFIG_DIR}/ changes: OpenSearch loads it only when its security index is first "
            "created; apply it to a running cluster with securityadmin (docs/security.md)"
        )
    notes += sensor_notes(profile, os.cpu_count())
    if finished_swap_pending(root):
        notes.append("an interrupted render will be finished first by the next `minisoc render`")
    return Plan(root, tuple(changes), tuple(sorted(unchanged)), tuple(notes), staged.restarts)


def sensor_notes(profile: SiteProfile, host_cores: int | None) -> list[str]:
    """The live sensor's layout and the CPU cores it wants against this host's (a plan runs on the host that
    will run the stack, in the single topology)."""
    workers = cluster_workers(profile)
    if not workers:
        return []
    ports = cluster_ports(profile)
    needed = zeek_cores(profile)
    have = f"this host has {host_cores}" if host_cores else "this host's count is unknown"
    short = ""
    if host_cores and host_cores < needed:
        short = " (fewer: workers will share cores and drop packets under load)"
    return [
        f"sensor: a Zeek cluster under Zeek's supervisor: manager, logger, proxy and {workers} workers on "
        f"af_packet::{profile.sensor.interface}, Broker on 127.0.0.1:{ports[0]}-{ports[-1]}; it wants "
        f"{needed} CPU cores ({workers} workers + 2 for manager, logger and proxy), {have}{short}"
    ]


def _plan_distributed(rendered: RenderedSite, profile: SiteProfile, now: datetime | None) -> Plan:
    """The same for a distributed site: every host's bundle (render/distributed.py), and where each host's
    share of the services goes (render/host_shares.py)."""
    root = rendered.paths.site_dir
    try:
        with tempfile.TemporaryDirectory(prefix="minisoc-plan-") as temporary:
            stage = Stage(root, Path(temporary))
            built = stage_distributed(stage, rendered, profile, now)
            in_memory = {file.path: file for file in built.files}
            staged = StagedSite(built.swap, built.security, built.security_files, {})
            changes = [_change(stage, path, in_memory.get(path), staged) for path in built.swap.files]
    except OSError as error:
        raise site_io_error(root, "plan", error) from None
    changes += [FileChange(path, "remove", False, "") for path in built.swap.removed]
    written = set(built.swap.files)
    unchanged = [path for path in (*in_memory, *built.security_files) if path not in written]
    notes = share_lines(host_shares(profile))
    for bundle in built.bundles:
        if bundle.pending:
            notes.append(f"host {bundle.host.name}: {', '.join(bundle.pending)} placed, not rendered yet")
    return Plan(root, tuple(changes), tuple(sorted(set(unchanged))), tuple(notes), {})


def _change(stage: Stage, path: PurePosixPath, file: RenderedFile | None, staged: StagedSite) -> FileChange:
    live = stage.live(path)
    current = live.read_bytes() if live.is_file() else None
    action = "add" if current is None else "change"
    if file is not None:
        return FileChange(path, action, file.secret, _diff(file, current))
    data = stage.path(path).read_bytes()
    secret = stat.S_IMODE(stage.path(path).stat().st_mode) & 0o077 == 0  # 0600: a key, the password hashes
    reason = ""
    if staged.security is not None and path.parent == PKI_DIR:
        reason = staged.security.pki.reasons.get(path.stem, "")
    if current == data and not reason:
        reason = "mode or owner"
    diff = "" if secret or path.suffix in {".crt", ".key"} else _diff(RenderedFile(path, data), current)
    return FileChange(path, action, secret, diff, reason)


def _relative(root: Path, folder: Path) -> str:
    return folder.relative_to(root).as_posix() if folder.is_relative_to(root) else str(folder)


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
