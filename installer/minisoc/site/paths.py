"""A site's paths on the host, computed once: `SiteLayout` (what every site directory holds, named by
`minisoc.site.layout`) and `SitePaths` (plus the folders its profile places: logs, MISP feed).

The ground floor: it reads the profile through `ProfileFolders` (the three attributes it needs), so the
site layer imports nothing above it and every floor may use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import yaml

from minisoc.durable import write_atomic
from minisoc.errors import UsageError
from minisoc.site import layout
from minisoc.site.secret_file import read_secret


@dataclass(frozen=True)
class SiteLayout:
    """The fixed layout of one site directory (`site_dir` absolute): its files, its ops state, and its
    rendered compose.yaml read from disk (for commands that did not render it themselves)."""

    site_dir: Path

    def _at(self, relative: str | PurePosixPath) -> Path:
        return self.site_dir / Path(*PurePosixPath(relative).parts)

    @property
    def profile_file(self) -> Path:
        return self._at(layout.PROFILE_FILE_NAME)

    @property
    def compose_file(self) -> Path:
        return self._at(layout.COMPOSE_FILE_NAME)

    @property
    def env_file(self) -> Path:
        return self._at(layout.ENV_FILE_NAME)

    @property
    def lock_file(self) -> Path:
        return self._at(layout.LOCK_FILE_NAME)

    @property
    def config_dir(self) -> Path:
        return self._at(layout.CONFIG_DIR_NAME)

    @property
    def secrets_dir(self) -> Path:
        return self._at(layout.SECRETS_DIR_NAME)

    @property
    def pki_dir(self) -> Path:
        return self._at(layout.PKI_DIR_NAME)

    @property
    def ca_file(self) -> Path:
        return self._at(layout.CA_CERT_FILE)

    @property
    def state_dir(self) -> Path:
        return self._at(layout.STATE_DIR_NAME)

    @property
    def state_file(self) -> Path:
        return self._at(layout.OPS_STATE_FILE)

    @property
    def engine_limits_file(self) -> Path:
        return self._at(layout.ENGINE_LIMITS_FILE)

    @property
    def correlator_config(self) -> Path:
        return self._at(layout.CORRELATOR_CONFIG_FILE)

    @property
    def opensearch_index_templates_dir(self) -> Path:
        return self._at(layout.OPENSEARCH_INDEX_TEMPLATES_DIR)

    @property
    def opensearch_ism_dir(self) -> Path:
        return self._at(layout.OPENSEARCH_ISM_DIR)

    @property
    def dashboards_saved_objects(self) -> Path:
        return self._at(layout.DASHBOARDS_SAVED_OBJECTS)

    def secret_file(self, name: str) -> Path:
        """SITE_DIR/secrets/<name> (a bare file name: it cannot point outside secrets/)."""
        if not name or "/" in name or name in {".", ".."}:
            raise UsageError(f"secret name {name!r} is not allowed", "name a file under secrets/")
        return self.secrets_dir / name

    def read_secret(self, name: str) -> str:
        """The value of secrets/<name> (see `minisoc.site.secret_file`)."""
        return read_secret(self.secret_file(name), where=PurePosixPath(layout.SECRETS_DIR_NAME) / name)

    def is_rendered(self) -> bool:
        return self.compose_file.is_file()

    def compose_document(self) -> dict[str, Any]:
        """The rendered compose.yaml as data (without variable interpolation), read from disk: for commands
        that did not render (status, down...); `up` takes the document its render held (`RenderResult`)."""
        if not self.is_rendered():
            raise UsageError(
                f"{self.compose_file}: the site is not rendered",
                f"run `minisoc render {self.site_dir}` first",
            )
        loaded = yaml.safe_load(self.compose_file.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise UsageError(f"{self.compose_file}: not a compose file", "run `minisoc render` again")
        return loaded

    def read_state(self) -> dict[str, Any]:
        """The ops state (verify's last pass, up timings, pending restarts); {} when there is none."""
        try:
            loaded = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def update_state(self, **values: Any) -> None:
        """Merge values into the ops state file (atomic and durable: see minisoc.durable)."""
        state = {**self.read_state(), **values}
        text = json.dumps(state, indent=2, sort_keys=True) + "\n"
        write_atomic(self.state_file, text.encode("utf-8"), mode=0o644)  # not a secret (see layout)


def site_layout(site_dir: Path) -> SiteLayout:
    """The layout of the site in `site_dir` (made absolute), for commands that need no profile."""
    return SiteLayout(site_dir.resolve())


def service_images(compose: dict[str, Any]) -> dict[str, str]:
    """service name -> image of a compose document."""
    services = compose.get("services") or {}
    return {
        name: str(body["image"])
        for name, body in sorted(services.items())
        if isinstance(body, dict) and "image" in body
    }


@dataclass(frozen=True)
class SitePaths(SiteLayout):
    """The host paths of one site (all absolute): its layout plus what its profile places.

    `log_dir`: the Zeek logs the correlator reads (drop Zeek log files here to feed the stack).
    `local_feed_dir`: the MISP feed folder the `feedserver` service serves (None when there is none).
    """

    project_name: str
    log_dir: Path
    local_feed_dir: Path | None


class _Sensor(Protocol):
    @property
    def log_dir(self) -> PurePosixPath: ...


class _Intel(Protocol):
    @property
    def local_feed_dir(self) -> PurePosixPath | None: ...


class ProfileFolders(Protocol):
    """What `site_paths` reads of a `minisoc.profile.SiteProfile`."""

    @property
    def project_name(self) -> str: ...

    @property
    def sensor(self) -> _Sensor: ...

    @property
    def intel(self) -> _Intel: ...


def site_paths(site_dir: Path, profile: ProfileFolders) -> SitePaths:
    """The resolved host paths of the site in `site_dir` described by `profile`."""
    root = site_dir.resolve()
    feed_dir = profile.intel.local_feed_dir
    return SitePaths(
        site_dir=root,
        project_name=profile.project_name,
        log_dir=resolve_site_path(root, profile.sensor.log_dir),
        local_feed_dir=None if feed_dir is None else resolve_site_path(root, feed_dir),
    )


def resolve_site_path(root: Path, path: PurePosixPath) -> Path:
    """A profile path on the host: relative paths are inside SITE_DIR, absolute ones are taken as they are."""
    return Path(path) if path.is_absolute() else root / Path(*path.parts)
