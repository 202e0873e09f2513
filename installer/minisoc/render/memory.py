"""A site's render in memory (`render_files`, pure: reads existing secrets and the lock, writes nothing),
shared by the single-host render (`minisoc.render.site`) and the per-host bundles (`render.distributed`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from minisoc.errors import UsageError
from minisoc.profile.model import SiteProfile
from minisoc.render.compose import compose_document, compose_yaml
from minisoc.render.configs import config_files
from minisoc.render.context import template_context
from minisoc.render.files import RenderedFile
from minisoc.render.images import LockFile, format_lock, read_lock, resolve_images
from minisoc.render.misp_sync import misp_sync_files
from minisoc.render.secrets import (
    ALL_SECRETS,
    MISP_AUTOMATION_KEY,
    SecretSource,
    external_misp_key_needed,
    format_env,
    generate_secret,
    merge_secrets,
    parse_env,
    required_secrets,
)
from minisoc.render.templating import stack_environment
from minisoc.security.secrets import SecretStore
from minisoc.site import SitePaths, site_paths
from minisoc.site.layout import COMPOSE_FILE_NAME, ENV_FILE_NAME, LOCK_FILE_NAME, SECRETS_DIR_NAME


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


def site_io_error(root: Path, command: str, error: OSError) -> UsageError:
    """A failed read or write while rendering, as one line (the path, never a file's content)."""
    where = f": {error.filename}" if error.filename else ""
    return UsageError(
        f"{root}: {command} failed ({error.strerror or type(error).__name__}{where})",
        "check free space, and run as the user that owns SITE_DIR and its files (root if rendered as root); "
        + ("the site was left as it was" if command == "render" else "nothing was changed"),
    )


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
