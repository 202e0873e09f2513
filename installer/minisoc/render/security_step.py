"""The security part of a render (issue 5), delegated to `minisoc.security`: the site PKI, the OpenSearch
security plugin files (internal users, roles) and the `plugins.security.*` settings of `opensearch.yml`.

Pure parts (`opensearch_security_settings`, `opensearch_mounts`, `dashboards_mounts`) feed the templates;
`stage_security` writes the PKI and plugin files into a render's stage (never into the site directly).
Keys, certificates and password hashes are kept across renders by `minisoc.security` (same bytes when
nothing changed), and none of them is ever part of the in-memory render that `plan` diffs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from minisoc.profile.model import SiteProfile
from minisoc.profile.opensearch_cluster import FIRST_NODE, node_cert_name, opensearch_services
from minisoc.render.scaleout import scaleout_certs
from minisoc.render.secrets import (
    OPENSEARCH_ADMIN,
    OPENSEARCH_ANALYST,
    OPENSEARCH_CORRELATOR,
    OPENSEARCH_DASHBOARDS,
)
from minisoc.render.staging import Stage, SwapList, check_targets
from minisoc.security.cert_specs import DASHBOARDS, MISP, OPENSEARCH_NODE, default_service_certs
from minisoc.security.cert_specs import OPENSEARCH_ADMIN as ADMIN_CERT
from minisoc.security.certs import PkiResult, check_site_ca, ensure_site_pki
from minisoc.security.files import ensure_private_dir
from minisoc.site.layout import PKI_DIR_NAME

PKI_ORGANIZATION = "minisoc"
SECURITY_CONFIG_DIR = PurePosixPath("config/opensearch/security")  # relative to SITE_DIR
PKI_DIR = PurePosixPath(PKI_DIR_NAME)
OPENSEARCH_CONFIG = "/usr/share/opensearch/config"
DASHBOARDS_CERTS = "/usr/share/opensearch-dashboards/config/certs"
# misp-docker's entrypoint_nginx.sh: a self-signed certificate is made only when one of these is missing
MISP_NGINX_CERT = "/etc/nginx/certs/cert.pem"
MISP_NGINX_KEY = "/etc/nginx/certs/key.pem"


def _dn(common_name: str, unit: str) -> str:
    """The RFC 4514 subject of a site certificate (as `minisoc.security.certs` issues them)."""
    return f"CN={common_name},OU={unit},O={PKI_ORGANIZATION}"


def admin_dn() -> str:
    return _dn("minisoc-admin", "admins")


def node_dns(nodes: Sequence[str] = (FIRST_NODE,)) -> list[str]:
    """The subject of every node's certificate (CN = the node name): `plugins.security.nodes_dn`."""
    return [_dn(node, "nodes") for node in nodes]


def opensearch_security_settings(nodes: Sequence[str] = (FIRST_NODE,)) -> dict[str, Any]:
    """The `plugins.security.*` settings merged into opensearch.yml with TLS on (the same on every node)."""
    from minisoc.security.opensearch import security_settings

    return security_settings(admin_dn=admin_dn(), node_dns=node_dns(nodes))


def opensearch_mounts(node: str = FIRST_NODE) -> list[dict[str, str]]:
    """Read-only binds for one OpenSearch node: its key pair (`pki/opensearch-node-2.*` for `opensearch-2`,
    mounted where every node's settings look: certs/opensearch-node.*), the admin pair, the CA certificate,
    the plugin config."""
    own = node_cert_name(node)
    mounts = [{"source": "./pki/ca.crt", "target": f"{OPENSEARCH_CONFIG}/certs/ca.crt"}]
    mounts += [
        {"source": f"./pki/{source}.{ext}", "target": f"{OPENSEARCH_CONFIG}/certs/{target}.{ext}"}
        for source, target in ((own, OPENSEARCH_NODE), (ADMIN_CERT, ADMIN_CERT))
        for ext in ("crt", "key")
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


def misp_mounts() -> list[dict[str, str]]:
    """The site's `misp` pair over the files misp-docker's nginx serves (the misp-ssl volume under them
    keeps its DH parameters, which the entrypoint writes next to them)."""
    return [
        {"source": f"./pki/{MISP}.crt", "target": MISP_NGINX_CERT},
        {"source": f"./pki/{MISP}.key", "target": MISP_NGINX_KEY},
    ]


@dataclass(frozen=True)
class StagedSecurity:
    """What the security step put into a stage: the PKI state and why certificates were (re)issued."""

    pki: PkiResult
    folders: tuple[PurePosixPath, ...] = (PKI_DIR, SECURITY_CONFIG_DIR)


def stage_security(
    stage: Stage, profile: SiteProfile, secret_values: Mapping[str, str], now: datetime | None = None
) -> StagedSecurity | None:
    """Into `stage`: the site PKI and the OpenSearch security files, starting from the site's own (seeded),
    so what exists and is still good is kept byte for byte. None when TLS or OpenSearch is off.

    The site CA is checked on the site itself first (`check_site_ca`): one that exists but is unusable is
    an error naming SITE_DIR/pki/ca.crt, and is never replaced here.
    """
    services = set(profile.enabled_services())
    if not profile.security.tls.enabled or "opensearch" not in services:
        return None
    from minisoc.security.opensearch import render_security_config

    at = now or datetime.now(UTC)
    ca_files = (PKI_DIR / "ca.crt", PKI_DIR / "ca.key")
    check_targets(stage.site_dir, SwapList(ca_files))  # a folder named ca.crt is that, not a damaged CA
    check_site_ca(stage.live(PKI_DIR), now=at, organization=PKI_ORGANIZATION)
    for folder in (PKI_DIR, SECURITY_CONFIG_DIR):
        stage.seed(folder)
    tls = profile.security.tls
    nodes = opensearch_services(profile)
    certs = default_service_certs(
        opensearch_nodes=nodes,
        feed_host="feedserver" if "feedserver" in services else None,
        misp_host="misp-core" if "misp-core" in services else None,
        syslog_host="syslog" if "syslog" in services else None,
        extra_names=tls.extra_names,
    )
    if profile.site.topology == "distributed":  # the brokers (server and client) and the shipper (client)
        certs += scaleout_certs(profile)
    pki = ensure_site_pki(
        stage.path(PKI_DIR),
        services=certs,
        validity_days=tls.cert_validity_days,
        ca_validity_days=tls.ca_validity_days,
        organization=PKI_ORGANIZATION,
        now=at,
    )
    passwords = {
        "admin": secret_values[OPENSEARCH_ADMIN.name],
        "kibanaserver": secret_values[OPENSEARCH_DASHBOARDS.name],
        "correlator": secret_values[OPENSEARCH_CORRELATOR.name],
        "analyst": secret_values[OPENSEARCH_ANALYST.name],
    }
    # config/opensearch/ is 0700: the security folder inside is owned by the OpenSearch uid (it is mounted as
    # a folder), and only a private parent keeps a host account with that same uid away from the hashes
    ensure_private_dir(stage.path(SECURITY_CONFIG_DIR.parent))
    render_security_config(
        stage.path(SECURITY_CONFIG_DIR),
        passwords=passwords,
        admin_dn=pki.dn(ADMIN_CERT),
        node_dns=[pki.dn(node_cert_name(node)) for node in nodes],
    )
    return StagedSecurity(pki)
