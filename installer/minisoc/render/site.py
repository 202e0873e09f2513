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

from minisoc.durable import write_atomic
from minisoc.errors import UsageError
from minisoc.profile.model import SiteProfile
from minisoc.render.compose import compose_document, compose_yaml
from minisoc.render.configs import config_files
from minisoc.render.context import template_context
from minisoc.render.correlator_config import INPUT_LOG_DIRS
from minisoc.render.files import RenderedFile, RenderResult, write_files
from minisoc.render.images import LockFile, format_lock, read_lock, resolve_images
from minisoc.render.misp_sync import misp_sync_files
from minisoc.render.restarts import services_to_restart
from minisoc.render.secrets import (
    ALL_SECRETS,
    CORRELATOR_UID,
    MISP_AUTOMATION_KEY,
    SecretSource,
    external_misp_key_needed,
    format_env,
    generate_secret,
    merge_secrets,
    parse_env,
    required_secrets,
)
from minisoc.render.security_step import StagedSecurity, stage_security
from minisoc.render.staging import Stage, SwapList, check_targets, finish_interrupted, staged
from minisoc.render.stale import stale_config_files
from minisoc.render.syslog_receiver import receiver_folders, share_syslog_dir
from minisoc.render.templating import stack_environment
from minisoc.security.secrets import SecretStore
from minisoc.site import SitePaths, site_paths
from minisoc.site.layout import (
    COMPOSE_FILE_NAME,
    ENV_FILE_NAME,
    FEED_MANIFEST_NAME,
    LOCK_FILE_NAME,
    SECRETS_DIR_NAME,
)


@dataclass(frozen=True)
class RenderedSite:
    """Everything a render would write, in memory, and the secret values (never print them)."""

    paths: SitePaths
    files: tuple[RenderedFile, ...]
    secret_values: dict[str, str]
    lock: LockFile
    compose: dict[str, Any]  # the document compose.yaml holds

    def file(self, path: str) -> bytes:
        return next(f.data for f in self.files if f.path == PurePosixPath(path))


def render_files(
    site_dir: Path,
    profile: SiteProfile,
    *,
    secrets: SecretSource = generate_secret,
    paths: SitePaths | None = None,
) -> RenderedSite:
    """Every managed file of the site, computed in memory; reads existing secrets and lock, writes nothing.
    `paths`: the site's paths when the caller has them already (else computed from the profile)."""
    paths = paths or site_paths(site_dir, profile)
    secret_values = _secret_values(paths, profile, secrets)
    lock = resolve_images(profile, read_lock(paths.lock_file))
    environment = stack_environment()
    context = template_context(profile, lock)
    compose = compose_document(environment, context, profile, secret_values)
    files = [
        RenderedFile(PurePosixPath(COMPOSE_FILE_NAME), compose_yaml(compose).encode("utf-8")),
        RenderedFile(PurePosixPath(LOCK_FILE_NAME), format_lock(lock).encode("utf-8")),
        RenderedFile(PurePosixPath(ENV_FILE_NAME), format_env(secret_values).encode("utf-8"), secret=True),
        *config_files(environment, context, profile),
        *_secret_files(secret_values),
        *misp_sync_files(site_dir, profile),
    ]
    return RenderedSite(paths, tuple(sorted(files, key=lambda f: str(f.path))), secret_values, lock, compose)


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


def site_io_error(root: Path, command: str, error: OSError) -> UsageError:
    """A failed read or write while rendering, as one line (the path, never a file's content)."""
    where = f": {error.filename}" if error.filename else ""
    return UsageError(
        f"{root}: {command} failed ({error.strerror or type(error).__name__}{where})",
        "check free space, and run as the user that owns SITE_DIR and its files (root if rendered as root); "
        + ("the site was left as it was" if command == "render" else "nothing was changed"),
    )


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


def _secret_values(paths: SitePaths, profile: SiteProfile, source: SecretSource) -> dict[str, str]:
    env = parse_env(paths.env_file.read_text(encoding="utf-8")) if paths.env_file.is_file() else {}
    store = SecretStore(paths.site_dir)
    on_disk: dict[str, str] = {}
    for spec in ALL_SECRETS:
        existing = store.get(spec.name)
        if existing is not None:
            on_disk[spec.name] = existing
        elif env.get(spec.env_name):
            on_disk[spec.name] = env[spec.env_name]
    if external_misp_key_needed(profile) and MISP_AUTOMATION_KEY.name not in on_disk:
        raise UsageError(
            f"{paths.secrets_dir / MISP_AUTOMATION_KEY.name}: missing: the correlator needs an automation "
            "key "
            "of the external MISP (intel.misp.url)",
            "create it in MISP (Administration > Auth keys) and write it to that file with mode 0600",
        )
    return merge_secrets(on_disk, required_secrets(profile), source)


def _secret_files(values: dict[str, str]) -> list[RenderedFile]:
    owners = {spec.name: spec.owner_uid for spec in ALL_SECRETS}
    return [
        RenderedFile(
            PurePosixPath(SECRETS_DIR_NAME) / name,
            value.encode("utf-8"),
            secret=True,
            owner_uid=owners.get(name),
        )
        for name, value in sorted(values.items())
    ]
