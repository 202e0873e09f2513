"""Render a site: every file in memory first (`render_files`, pure), then into a stage with the security
step (PKI, OpenSearch security files: `stage_site`, which `minisoc plan` reports on), then swapped into the
site (`render_site`). Deterministic: the same profile, lock file and existing secrets give byte-identical
files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from minisoc.correlator.zeek.names import ARCHIVER_QUEUE_DIR
from minisoc.durable import write_atomic
from minisoc.profile.model import SiteProfile
from minisoc.profile.sensor_cluster import cluster_ports
from minisoc.render.correlator_config import INPUT_LOG_DIRS
from minisoc.render.files import RenderResult, write_files
from minisoc.render.memory import RenderedSite, render_files, site_io_error
from minisoc.render.restarts import services_to_restart
from minisoc.render.secrets import CORRELATOR_UID, SecretSource, generate_secret, parse_env
from minisoc.render.security_step import StagedSecurity, stage_security
from minisoc.render.staging import Stage, SwapList, check_targets, finish_interrupted, staged
from minisoc.render.stale import stale_config_files
from minisoc.render.syslog_receiver import receiver_folders, share_syslog_dir
from minisoc.site import SitePaths, site_paths
from minisoc.site.layout import (
    ENV_FILE_NAME,
    FEED_MANIFEST_NAME,
)


@dataclass(frozen=True)
class StagedSite:
    """A render built in a stage: what the swap would do, the PKI state, and who must restart."""

    swap: SwapList
    security: StagedSecurity | None
    security_files: tuple[PurePosixPath, ...]
    restarts: dict[str, tuple[str, ...]]


def stage_site(
    stage: Stage, rendered: RenderedSite, profile: SiteProfile, now: datetime | None = None
) -> StagedSite:
    """Everything a render writes, into `stage` (the site is not touched); `render` swaps it in, `plan`
    reports it. Raises UsageError when a file would land where a folder is, or the reverse."""
    root = rendered.paths.site_dir
    write_files(stage.root, rendered.files)
    feed = rendered.paths.local_feed_dir
    if feed is not None and not (feed / FEED_MANIFEST_NAME).is_file() and feed.is_relative_to(root):
        # an empty MISP feed, not a missing one: the correlator reports a 404 on manifest.json as an error
        manifest = stage.root / feed.relative_to(root) / FEED_MANIFEST_NAME
        write_atomic(manifest, b"{}\n", mode=0o644)  # 0644: the feed server reads it
    security = stage_security(stage, profile, rendered.secret_values, now)
    security_files = tuple(
        PurePosixPath(path.relative_to(stage.root).as_posix())
        for folder in (security.folders if security else ())
        for path in sorted(stage.path(folder).iterdir())
        if path.is_file()
    )
    folders = tuple(
        folder
        for folder in (rendered.paths.log_dir, rendered.paths.local_feed_dir, *input_folders(root, profile))
        if folder is not None and not folder.is_dir()
    )
    swap = SwapList(tuple(stage.changed_files()), tuple(stale_config_files(root, rendered.files)), folders)
    check_targets(root, swap)
    restarts = services_to_restart(
        _current_compose(rendered.paths.compose_file),
        rendered.compose,
        (*swap.files, *swap.removed),
        _current_env(rendered.paths.env_file),
        parse_env(rendered.file(ENV_FILE_NAME).decode("utf-8")),
    )
    return StagedSite(swap, security, security_files, restarts)


def render_site(
    site_dir: Path,
    profile: SiteProfile,
    *,
    secrets: SecretSource = generate_secret,
    now: datetime | None = None,
    paths: SitePaths | None = None,
) -> RenderResult:
    """Render the site: compose.yaml, .env, secrets, config files, minisoc.lock, the log and feed folders,
    the PKI and the OpenSearch security files. Everything is built in a stage first, then swapped in
    (see `minisoc.render.staging`): on any error the site is left exactly as it was. Returns what it did,
    with the compose document it wrote (what `up` works on: nothing reads compose.yaml back). `paths`: the
    site's paths when the caller has them already.
    """
    if profile.site.topology == "distributed":  # one bundle per host (render/distributed.py)
        from minisoc.render.distributed import render_distributed

        return render_distributed(site_dir, profile, secrets=secrets, now=now, paths=paths)
    paths = paths or site_paths(site_dir, profile)
    root = paths.site_dir
    try:
        recovered = finish_interrupted(root)
        rendered = render_files(site_dir, profile, secrets=secrets, paths=paths)
        with staged(root) as stage:
            result = stage_site(stage, rendered, profile, now)
            stage.swap(result.swap)
        if "zeek" in profile.enabled_services() and paths.log_dir in result.swap.folders:
            share_log_dir(paths.log_dir)
            if cluster_ports(profile):  # a Zeek cluster logger rotates into log-queue/ (its mkdir: 0755)
                (paths.log_dir / ARCHIVER_QUEUE_DIR).mkdir(exist_ok=True)
                share_log_dir(paths.log_dir / ARCHIVER_QUEUE_DIR)
        for folder in input_folders(root, profile):
            if folder in receiver_folders(root, profile):
                share_syslog_dir(folder)  # rsyslog's own uid (render/syslog_receiver.py)
            elif folder in result.swap.folders:
                give_to_receiver(folder)
    except OSError as error:
        raise site_io_error(root, "render", error) from None
    return RenderResult(
        root,
        tuple(file.path for file in rendered.files),
        result.swap.files,
        tuple(_relative(root, path) for path in result.swap.folders),
        result.swap.removed,
        result.security_files,
        restarts=result.restarts,
        recovered=recovered,
        compose=rendered.compose,
    )


def share_log_dir(folder: Path) -> None:
    """A log folder this render created for the site's own Zeek: both writers can write it. Zeek runs as
    root without CAP_DAC_OVERRIDE (so root must own it and have write), and the correlator (uid 10001) gzips
    and prunes rotated logs there (so group 10001 with write; setgid keeps new files in the group). Only as
    root can the group be set; otherwise the mode is set and docs/operations.md says the `chgrp` to run."""
    folder.chmod(0o2775)
    if os.geteuid() == 0:
        os.chown(folder, -1, CORRELATOR_UID)


def input_folders(root: Path, profile: SiteProfile) -> tuple[Path, ...]:
    """The folders the enabled input receivers write (logs/syslog, logs/netflow: docs/inputs.md)."""
    services = profile.enabled_services()
    return tuple(root.joinpath(*folder.parts) for name, folder in INPUT_LOG_DIRS.items() if name in services)


def give_to_receiver(folder: Path) -> None:
    """A receiver's folder this render created: its receiver (uid 10001, the correlator's uid too, which
    reads it) owns it. Only root can give it away; otherwise it is left writable for every uid (inside
    SITE_DIR, whose mode keeps other host users out) and `doctor` names the `chown` to run."""
    if os.geteuid() == 0:
        os.chown(folder, CORRELATOR_UID, CORRELATOR_UID)
        folder.chmod(0o755)
    else:
        folder.chmod(0o777)


def _current_compose(path: Path) -> dict[str, Any] | None:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return document if isinstance(document, dict) else None


def _current_env(path: Path) -> dict[str, str]:
    try:
        return parse_env(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}


def _relative(root: Path, path: Path) -> PurePosixPath:
    try:
        return PurePosixPath(path.resolve().relative_to(root).as_posix())
    except ValueError:
        return PurePosixPath(path.as_posix())


