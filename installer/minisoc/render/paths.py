"""Where a site's files live on the host. `site_paths(site_dir, profile)` is what every other command uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from minisoc.profile.load import PROFILE_FILE_NAME
from minisoc.profile.model import SiteProfile

COMPOSE_FILE_NAME = "compose.yaml"
ENV_FILE_NAME = ".env"
LOCK_FILE_NAME = "minisoc.lock"
FEED_MANIFEST_NAME = "manifest.json"  # a MISP feed's index of events (intel.local_feed_dir)


@dataclass(frozen=True)
class SitePaths:
    """The host paths of one site (all absolute).

    `log_dir`: the Zeek logs the correlator reads (drop Zeek log files here to feed the stack).
    `local_feed_dir`: the MISP feed folder the `feedserver` service serves (None when there is none).
    `config_dir`: every file a container mounts; `secrets_dir` (0700): secret files; `pki_dir`: certificates.
    """

    site_dir: Path
    project_name: str
    profile_file: Path
    compose_file: Path
    env_file: Path
    lock_file: Path
    config_dir: Path
    secrets_dir: Path
    pki_dir: Path
    log_dir: Path
    local_feed_dir: Path | None
    correlator_config: Path
    opensearch_index_templates_dir: Path
    opensearch_ism_dir: Path
    dashboards_saved_objects: Path


def site_paths(site_dir: Path, profile: SiteProfile) -> SitePaths:
    """The resolved host paths of the site in `site_dir` described by `profile`."""
    root = site_dir.resolve()
    config = root / "config"
    feed_dir = profile.intel.local_feed_dir
    return SitePaths(
        site_dir=root,
        project_name=profile.project_name,
        profile_file=root / PROFILE_FILE_NAME,
        compose_file=root / COMPOSE_FILE_NAME,
        env_file=root / ENV_FILE_NAME,
        lock_file=root / LOCK_FILE_NAME,
        config_dir=config,
        secrets_dir=root / "secrets",
        pki_dir=root / "pki",
        log_dir=resolve_site_path(root, profile.sensor.log_dir),
        local_feed_dir=None if feed_dir is None else resolve_site_path(root, feed_dir),
        correlator_config=config / "correlator" / "correlator.yaml",
        opensearch_index_templates_dir=config / "opensearch" / "index-templates",
        opensearch_ism_dir=config / "opensearch" / "ism",
        dashboards_saved_objects=config / "dashboards" / "saved-objects.ndjson",
    )


def resolve_site_path(root: Path, path: PurePosixPath) -> Path:
    """A profile path on the host: relative paths are inside SITE_DIR, absolute ones are taken as they are."""
    return Path(path) if path.is_absolute() else root / Path(*path.parts)


def compose_source(path: PurePosixPath) -> str:
    """How compose.yaml names a host path: `./relative` inside SITE_DIR, or the absolute path."""
    return str(path) if path.is_absolute() else f"./{path}"
