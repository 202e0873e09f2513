"""The security part of a render (issue 5), delegated to `minisoc.security`: the site PKI, the OpenSearch
security plugin files (internal users, roles) and the `plugins.security.*` settings of `opensearch.yml`.

Pure parts (`opensearch_security_settings`, `opensearch_mounts`, `dashboards_mounts`) feed the templates and
`minisoc plan`; `apply_security` is the one side-effecting call `render_site` makes after writing its files.
Keys, certificates and password hashes are kept across renders by `minisoc.security` (same bytes when
nothing changed), and none of them is ever part of the in-memory render that `plan` diffs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from minisoc.profile.model import SiteProfile
from minisoc.render.paths import SitePaths
from minisoc.render.secrets import (
    OPENSEARCH_ADMIN,
    OPENSEARCH_ANALYST,
    OPENSEARCH_CORRELATOR,
    OPENSEARCH_DASHBOARDS,
)
from minisoc.security.cert_specs import DASHBOARDS, OPENSEARCH_NODE, default_service_certs
from minisoc.security.cert_specs import OPENSEARCH_ADMIN as ADMIN_CERT
from minisoc.security.certs import ensure_site_pki

PKI_ORGANIZATION = "minisoc"
SECURITY_CONFIG_DIR = PurePosixPath("config/opensearch/security")  # relative to SITE_DIR
OPENSEARCH_CONFIG = "/usr/share/opensearch/config"
DASHBOARDS_CERTS = "/usr/share/opensearch-dashboards/config/certs"


def _dn(common_name: str, unit: str) -> str:
    """The RFC 4514 subject of a site certificate (as `minisoc.security.certs` issues them)."""
    return f"CN={common_name},OU={unit},O={PKI_ORGANIZATION}"


def admin_dn() -> str:
    return _dn("minisoc-admin", "admins")


def node_dns() -> list[str]:
    return [_dn("opensearch", "nodes")]


def opensearch_security_settings() -> dict[str, Any]:
    """The `plugins.security.*` settings merged into opensearch.yml when TLS is on."""
    from minisoc.security.opensearch import security_settings

    return security_settings(admin_dn=admin_dn(), node_dns=node_dns())


def opensearch_mounts() -> list[dict[str, str]]:
    """Read-only binds for OpenSearch: its key pair, the admin pair, the CA certificate, the plugin config."""
    certs = [f"{name}.{ext}" for name in (OPENSEARCH_NODE, ADMIN_CERT) for ext in ("crt", "key")]
    mounts = [
        {"source": f"./pki/{name}", "target": f"{OPENSEARCH_CONFIG}/certs/{name}"}
        for name in ("ca.crt", *certs)
    ]
    mounts.append(
        {"source": f"./{SECURITY_CONFIG_DIR}", "target": f"{OPENSEARCH_CONFIG}/opensearch-security"}
    )
    return mounts


def dashboards_mounts() -> list[dict[str, str]]:
    return [
        {"source": f"./pki/{name}", "target": f"{DASHBOARDS_CERTS}/{name}"}
        for name in ("ca.crt", f"{DASHBOARDS}.crt", f"{DASHBOARDS}.key")
    ]


def apply_security(
    paths: SitePaths, profile: SiteProfile, secret_values: Mapping[str, str], now: datetime | None = None
) -> list[Path]:
    """Create or keep the site PKI and the OpenSearch security files; return the files it wrote or kept."""
    services = set(profile.enabled_services())
    if not profile.security.tls.enabled or "opensearch" not in services:
        return []
    from minisoc.security.opensearch import render_security_config

    tls = profile.security.tls
    certs = default_service_certs(
        feed_host="feedserver" if "feedserver" in services else None, extra_names=tls.extra_names
    )
    pki = ensure_site_pki(
        paths.pki_dir,
        services=certs,
        validity_days=tls.cert_validity_days,
        ca_validity_days=tls.ca_validity_days,
        organization=PKI_ORGANIZATION,
        now=now or datetime.now(UTC),
    )
    passwords = {
        "admin": secret_values[OPENSEARCH_ADMIN.name],
        "kibanaserver": secret_values[OPENSEARCH_DASHBOARDS.name],
        "correlator": secret_values[OPENSEARCH_CORRELATOR.name],
        "analyst": secret_values[OPENSEARCH_ANALYST.name],
    }
    written = render_security_config(
        paths.site_dir / Path(*SECURITY_CONFIG_DIR.parts),
        passwords=passwords,
        admin_dn=pki.dn(ADMIN_CERT),
        node_dns=[pki.dn(OPENSEARCH_NODE)],
    )
    return [paths.pki_dir / "ca.crt", *written]
