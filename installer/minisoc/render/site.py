"""Render a site: every file in memory first (`render_files`, pure: `minisoc plan` diffs it), then write
(`render_site`), then the security step (PKI, OpenSearch security files). Deterministic: the same profile,
lock file and existing secrets give byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from minisoc.durable import write_atomic
from minisoc.errors import UsageError
from minisoc.profile.model import SiteProfile
from minisoc.render.compose import compose_document, compose_yaml
from minisoc.render.configs import config_files
from minisoc.render.context import template_context
from minisoc.render.files import RenderedFile, RenderResult, write_files
from minisoc.render.images import LockFile, format_lock, read_lock, resolve_images
from minisoc.render.paths import ENV_FILE_NAME, FEED_MANIFEST_NAME, LOCK_FILE_NAME, SitePaths, site_paths
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
from minisoc.render.security_step import apply_security
from minisoc.render.stale import stale_config_files
from minisoc.render.templating import stack_environment
from minisoc.security.secrets import SecretStore


@dataclass(frozen=True)
class RenderedSite:
    """Everything a render would write, in memory, and the secret values (never print them)."""

    paths: SitePaths
    files: tuple[RenderedFile, ...]
    secret_values: dict[str, str]
    lock: LockFile


def render_files(
    site_dir: Path, profile: SiteProfile, *, secrets: SecretSource = generate_secret
) -> RenderedSite:
    """Every managed file of the site, computed in memory; reads existing secrets and lock, writes nothing."""
    paths = site_paths(site_dir, profile)
    secret_values = _secret_values(paths, profile, secrets)
    lock = resolve_images(profile, read_lock(paths.lock_file))
    environment = stack_environment()
    context = template_context(profile, lock)
    files = [
        RenderedFile(
            PurePosixPath("compose.yaml"),
            compose_yaml(compose_document(environment, context, profile, secret_values)).encode("utf-8"),
        ),
        RenderedFile(PurePosixPath(LOCK_FILE_NAME), format_lock(lock).encode("utf-8")),
        RenderedFile(PurePosixPath(ENV_FILE_NAME), format_env(secret_values).encode("utf-8"), secret=True),
        *config_files(environment, context, profile),
        *_secret_files(secret_values),
    ]
    return RenderedSite(paths, tuple(sorted(files, key=lambda f: str(f.path))), secret_values, lock)


def render_site(
    site_dir: Path, profile: SiteProfile, *, secrets: SecretSource = generate_secret
) -> RenderResult:
    """Write the site's compose.yaml, .env, secrets, config files and minisoc.lock (only what changed),
    create the log and feed folders (an empty feed's `manifest.json` in the latter, unless it has one),
    then the PKI and OpenSearch security files. Returns what it did.
    """
    rendered = render_files(site_dir, profile, secrets=secrets)
    root = rendered.paths.site_dir
    written = write_files(root, rendered.files)
    removed = stale_config_files(root, rendered.files)
    for stale in removed:
        (root / Path(*stale.parts)).unlink()
    created = []
    for folder in (rendered.paths.log_dir, rendered.paths.local_feed_dir):
        if folder is not None and not folder.exists():
            folder.mkdir(parents=True)
            created.append(_relative(root, folder))
    feed = rendered.paths.local_feed_dir
    if feed is not None and not (feed / FEED_MANIFEST_NAME).exists():
        # an empty MISP feed, not a missing one: the correlator reports a 404 on manifest.json as an error
        write_atomic(feed / FEED_MANIFEST_NAME, b"{}\n", mode=0o644)  # 0644: the feed server reads it
    security = apply_security(rendered.paths, profile, rendered.secret_values)
    return RenderResult(
        root,
        tuple(file.path for file in rendered.files),
        tuple(written),
        tuple(created),
        tuple(removed),
        tuple(_relative(root, path) for path in security),
    )


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
            PurePosixPath("secrets") / name, value.encode("utf-8"), secret=True, owner_uid=owners.get(name)
        )
        for name, value in sorted(values.items())
    ]
