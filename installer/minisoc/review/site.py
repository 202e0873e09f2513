"""Which alert store `minisoc alerts list/ack` opens, and how the host reaches a site's store.

The site's rendered correlator.yaml names things as the correlator container sees them (`/data/alerts.db`,
`https://opensearch:9200`, `/run/secrets/...`). On the host, `host_view` derives the same settings from the
profile (`minisoc.yaml`) and the site's files:

- OpenSearch: the published port (`ports.opensearch`) on 127.0.0.1 (or the bind address), https with
  SITE_DIR/pki/ca.crt when `security.tls.enabled`, as the read-only `analyst` user to list and as the
  `correlator` user (the least privileged one allowed to update `minisoc-alerts*`) to acknowledge; passwords
  are read from SITE_DIR/secrets/ (never printed). With TLS off the security plugin is off: no user.
- MISP (false-positive sightings): the external `intel.misp.url`, or the local MISP at its published port
  (`ports.misp`; verified with SITE_DIR/pki/ca.crt when the site PKI issued MISP's certificate, as the
  correlator does; else misp-docker's self-signed one, unverified), with
  SITE_DIR/secrets/misp-automation-key.
- A SQLite store (no OpenSearch), or an OpenSearch that is not published, is only reachable in the
  correlator container: see `minisoc.review.container`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from minisoc.correlator.config import CorrelatorConfig, MispApiConfig, load_correlator_config
from minisoc.correlator.sinks.open import open_configured_store, open_opensearch, open_store_url
from minisoc.errors import UsageError
from minisoc.ops.access import service_url
from minisoc.ops.site_facts import running_services, site_project
from minisoc.profile.load import load_profile
from minisoc.profile.model import SiteProfile
from minisoc.render.correlator_config import correlator_config
from minisoc.render.secrets import (
    MISP_AUTOMATION_KEY,
    OPENSEARCH_ANALYST,
    OPENSEARCH_CORRELATOR,
    SecretSpec,
)
from minisoc.review.container import ContainerReview
from minisoc.review.store import (
    NO_MISP,
    SITE_CORRELATOR_CONFIG,
    AlertReview,
    StoreReview,
)
from minisoc.security.opensearch import ANALYST_USER, CORRELATOR_USER
from minisoc.site import SitePaths, read_secret, site_paths
from minisoc.site.layout import PROFILE_FILE_NAME

Purpose = Literal["list", "ack"]
USER_FOR: dict[Purpose, tuple[str, SecretSpec]] = {
    "list": (ANALYST_USER, OPENSEARCH_ANALYST),  # read-only
    "ack": (CORRELATOR_USER, OPENSEARCH_CORRELATOR),  # may update minisoc-alerts*
}


@dataclass(frozen=True)
class HostView:
    """The site's alert store and MISP as the host reaches them (paths to secrets, never their values)."""

    config: CorrelatorConfig  # sink.opensearch and intel.misp with host URLs and host paths
    no_misp_reason: str  # why no false-positive sighting can be sent (when config.intel.misp is None)


def host_view(profile: SiteProfile, paths: SitePaths, purpose: Purpose) -> HostView | None:
    """The host's view of the site's correlator settings; None when only the correlator container can
    reach the store (SQLite in its volume, or OpenSearch not published on the host)."""
    container = correlator_config(profile)
    opensearch = container.sink.opensearch
    binding = profile.ports.opensearch
    if container.sink.kind != "opensearch" or opensearch is None or binding is None:
        return None
    tls = profile.security.tls.enabled
    user, secret = USER_FOR[purpose]
    sink = opensearch.model_copy(
        update={
            "url": service_url(binding, "https" if tls else "http"),
            "username": user if tls else "",
            "password_file": paths.secret_file(secret.name) if tls else None,
            "ca_file": paths.ca_file if tls else None,
            "verify_tls": tls,
        }
    )
    misp, no_misp_reason = _host_misp(profile, paths)
    config = container.model_copy(
        update={
            "sink": container.sink.model_copy(update={"opensearch": sink}),
            "intel": container.intel.model_copy(update={"misp": misp}),
            "state_dir": paths.state_dir,
        }
    )
    return HostView(config, no_misp_reason)


def _host_misp(profile: SiteProfile, paths: SitePaths) -> tuple[MispApiConfig | None, str]:
    settings = profile.intel.misp
    if not settings.enabled:
        return None, "MISP is not enabled in this site's profile (intel.misp.enabled)"
    key_file = paths.secret_file(MISP_AUTOMATION_KEY.name)
    if settings.url is not None:
        return MispApiConfig(url=str(settings.url), key_file=key_file, verify_tls=settings.verify_tls), ""
    binding = profile.ports.misp
    if binding is None:
        return None, "the local MISP is not published on the host (set ports.misp in minisoc.yaml)"
    url = service_url(binding, "https") + "/"
    if (paths.pki_dir / "misp.crt").is_file():  # the site PKI's certificate, mounted into misp-core's nginx
        ca_file = paths.ca_file
        return MispApiConfig(url=url, key_file=key_file, verify_tls=True, ca_file=ca_file), ""
    # no site PKI: misp-docker's own self-signed certificate (the correlator does not verify it either)
    return MispApiConfig(url=url, key_file=key_file, verify_tls=False), ""




def open_site_review(site_dir: Path, purpose: Purpose) -> AlertReview:
    """The review of a site rendered by `minisoc render`: from the host when it can, else in the container."""
    profile = load_profile(site_dir)
    paths = site_paths(site_dir, profile)
    if not paths.is_rendered():
        raise UsageError(
            f"{paths.compose_file}: the site is not rendered", f"run `minisoc render {site_dir}` first"
        )
    view = host_view(profile, paths, purpose)
    if view is None:
        running = "correlator" in running_services(paths.site_dir, profile.project_name)
        return ContainerReview(site_project(paths, profile.project_name), running=running)
    sink = view.config.sink.opensearch
    assert sink is not None  # host_view only returns OpenSearch views
    password = None
    if sink.password_file is not None:  # SITE_DIR/secrets/<name> (host_view), named relative to SITE_DIR
        password = read_secret(sink.password_file, where=sink.password_file.relative_to(paths.site_dir))
    store = open_opensearch(sink, password=password)
    credentials = f" as {sink.username} (password: secrets/, CA: pki/ca.crt)" if sink.password_file else ""
    return StoreReview(
        store,
        f"OpenSearch at {sink.url} as {sink.username or 'anonymous'}",
        view.config,
        no_misp_reason=view.no_misp_reason or NO_MISP,
        unavailable_hint=f"check that the site is up (`minisoc status {site_dir}`) "
        f"and that {sink.url} answers{credentials}",
    )


def open_review(
    site_dir: Path | None, store_url: str | None, config_path: Path | None, purpose: Purpose
) -> AlertReview:
    """`--store URL`, `--config FILE` (inside the container), or SITE_DIR (default: the current directory)."""
    if store_url:
        store = open_store_url(store_url, create=False)
        return StoreReview(store, store_url.split("://", 1)[0])
    if config_path is not None:
        return _config_review(config_path)
    root = site_dir or Path.cwd()
    if (root / PROFILE_FILE_NAME).is_file():
        return open_site_review(root, purpose)
    if (root / SITE_CORRELATOR_CONFIG).is_file():  # a correlator run on the host, without a profile
        return _config_review(root / SITE_CORRELATOR_CONFIG)
    raise UsageError(
        f"{root}: no site here (no {PROFILE_FILE_NAME} and no {SITE_CORRELATOR_CONFIG})",
        "give the site directory (`minisoc alerts list SITE_DIR`), or pass --store sqlite:///alerts.db "
        "or --store https://host:9200",
    )


def _config_review(path: Path) -> StoreReview:
    if not path.is_file():
        raise UsageError(
            f"{path}: no correlator configuration here",
            "inside the correlator container use --config /config/correlator.yaml; on the host give SITE_DIR",
        )
    config = load_correlator_config(path)
    return StoreReview(open_configured_store(config, create=False), config.sink.kind, config)
