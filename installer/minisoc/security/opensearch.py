"""OpenSearch security plugin (2.x) configuration: internal users with generated passwords, least-privilege
roles, TLS settings for `opensearch.yml`, and what to mount where.

Exports others rely on:

- `render_security_config(out_dir, *, passwords, admin_dn, node_dns) -> list[Path]`: writes the plugin's
  files (`config.yml`, `internal_users.yml`, `roles.yml`, `roles_mapping.yml`, `action_groups.yml`,
  `tenants.yml`, `nodes_dn.yml`, `allowlist.yml`) into `out_dir`, which is mounted read-only at
  `/usr/share/opensearch/config/opensearch-security/`. With
  `plugins.security.allow_default_init_securityindex` the plugin loads them into its index at first start,
  without securityadmin. Password hashes are bcrypt (salted, so random): an existing hash is kept while its
  password still matches, so a second render writes the same bytes.
- `opensearch_passwords(store)`: the passwords of the internal users, generated on first use.
- `security_settings(...)`: the `plugins.security.*` part of `opensearch.yml` (a dict to merge).
- `container_mounts(...)`: (host path, container path) pairs: certificates and the plugin config folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import bcrypt
import yaml

from minisoc.security.cert_specs import OPENSEARCH_ADMIN, OPENSEARCH_NODE, OPENSEARCH_UID
from minisoc.security.files import (
    PRIVATE_FILE_MODE,
    PUBLIC_FILE_MODE,
    ensure_private_dir,
    hand_over,
    write_if_changed,
)
from minisoc.security.secrets import SecretStore
from minisoc.site.layout import ALERTS_INDEX

CONFIG_DIR = "/usr/share/opensearch/config"  # the official image; H4's locally built image uses the same path
SECURITY_DIR = f"{CONFIG_DIR}/opensearch-security"
CERTS_SUBDIR = "certs"  # certificates must live under the config dir (the plugin resolves paths from there)

ADMIN_USER = "admin"
DASHBOARDS_USER = "kibanaserver"
CORRELATOR_USER = "correlator"
ANALYST_USER = "analyst"
USERS = (ADMIN_USER, DASHBOARDS_USER, CORRELATOR_USER, ANALYST_USER)
PASSWORD_SECRETS = {user: f"opensearch-{user}-password" for user in USERS}  # SITE_DIR/secrets/<name>

CORRELATOR_ROLE = "minisoc_correlator"
ANALYST_ROLE = "minisoc_analyst"
DASHBOARDS_READ_ONLY_ROLE = "kibana_read_only"  # opensearch_security.readonly_mode.roles in Dashboards


def opensearch_passwords(store: SecretStore) -> dict[str, str]:
    """The password of every internal user, from `SITE_DIR/secrets/opensearch-<user>-password` (generated)."""
    return {user: store.ensure(secret) for user, secret in PASSWORD_SECRETS.items()}


def render_security_config(out_dir: Path, *, passwords: Mapping[str, str], admin_dn: str,
                           node_dns: Sequence[str], alerts_index: str = ALERTS_INDEX,
                           logs_index_prefix: str = "zeek", bcrypt_rounds: int = 12,
                           owner_uid: int | None = OPENSEARCH_UID) -> list[Path]:
    """Write the security plugin's configuration files into `out_dir`; return their paths (sorted).

    `passwords` maps every user in `USERS` to its password (see `opensearch_passwords`). `admin_dn` is the
    subject of the admin client certificate (`PkiResult.dn("opensearch-admin")`), named in the role mapping
    (the certificate itself is super admin through `security_settings`); `node_dns` go to `nodes_dn.yml`.
    Files without secrets are 0644; `internal_users.yml` (bcrypt hashes) is 0600. `out_dir` is 0700: it is
    mounted as a folder, so the container user must own it; as root, it and `internal_users.yml` are handed
    to `owner_uid` (the caller keeps `out_dir`'s parent 0700, so no host account with that uid reaches it).
    Only files whose content changed are rewritten.
    """
    missing = [user for user in USERS if not passwords.get(user)]
    if missing:
        raise ValueError(f"no password for OpenSearch user(s): {', '.join(missing)}")
    ensure_private_dir(out_dir)
    hand_over(out_dir, owner_uid)
    public = {
        "config.yml": _config(),
        "roles.yml": _roles(alerts_index, logs_index_prefix),
        "roles_mapping.yml": _roles_mapping(admin_dn),
        "action_groups.yml": _document("actiongroups", {}),
        "tenants.yml": _document("tenants", {}),
        "nodes_dn.yml": _document("nodesdn", {"minisoc": {"nodes_dn": list(node_dns)}}),
        "allowlist.yml": _document("allowlist", {"config": {"enabled": False, "requests": {}}}),
    }
    written = []
    for name, document in public.items():
        write_if_changed(out_dir / name, _dump(document), mode=PUBLIC_FILE_MODE)
        written.append(out_dir / name)
    users_path = out_dir / "internal_users.yml"
    hashes = _kept_or_new_hashes(users_path, passwords, bcrypt_rounds)
    write_if_changed(users_path, _dump(_internal_users(hashes)), mode=PRIVATE_FILE_MODE)
    hand_over(users_path, owner_uid)
    written.append(users_path)
    return sorted(written)


def security_settings(*, admin_dn: str, node_dns: Sequence[str], certs_subdir: str = CERTS_SUBDIR,
                      node_cert: str = OPENSEARCH_NODE) -> dict[str, Any]:
    """The `plugins.security.*` settings for `opensearch.yml`: TLS on transport and HTTP from the site PKI
    (paths relative to the config dir), the admin and node DNs, first-start initialisation from the YAML
    files, audit logging into OpenSearch, and certificate hot reload for `minisoc certs renew`.

    The official image must also get `DISABLE_INSTALL_DEMO_CONFIG=true` (no demo certificates or users).
    """
    cert, key, ca = (f"{certs_subdir}/{node_cert}.crt", f"{certs_subdir}/{node_cert}.key",
                     f"{certs_subdir}/ca.crt")
    return {
        "plugins.security.disabled": False,
        "plugins.security.ssl.transport.pemcert_filepath": cert,
        "plugins.security.ssl.transport.pemkey_filepath": key,
        "plugins.security.ssl.transport.pemtrustedcas_filepath": ca,
        # peers are authenticated by the site CA and nodes_dn; container IPs change, so no hostname check
        "plugins.security.ssl.transport.enforce_hostname_verification": False,
        "plugins.security.ssl.transport.enabled_protocols": ["TLSv1.3", "TLSv1.2"],
        "plugins.security.ssl.http.enabled": True,
        "plugins.security.ssl.http.pemcert_filepath": cert,
        "plugins.security.ssl.http.pemkey_filepath": key,
        "plugins.security.ssl.http.pemtrustedcas_filepath": ca,
        "plugins.security.ssl.http.clientauth_mode": "OPTIONAL",  # lets the admin certificate in
        "plugins.security.ssl.http.enabled_protocols": ["TLSv1.3", "TLSv1.2"],
        "plugins.security.ssl_cert_reload_enabled": True,
        "plugins.security.allow_unsafe_democertificates": False,
        "plugins.security.allow_default_init_securityindex": True,
        "plugins.security.authcz.admin_dn": [admin_dn],
        "plugins.security.nodes_dn": list(node_dns),
        "plugins.security.audit.type": "internal_opensearch",
        "plugins.security.enable_snapshot_restore_privilege": True,
        "plugins.security.check_snapshot_restore_write_privileges": True,
        "plugins.security.restapi.roles_enabled": ["all_access", "security_rest_api_access"],
        "plugins.security.system_indices.enabled": True,
    }


def container_mounts(pki_dir: Path, security_dir: Path, *, config_dir: str = CONFIG_DIR,
                     node_cert: str = OPENSEARCH_NODE,
                     admin_cert: str = OPENSEARCH_ADMIN) -> list[tuple[Path, str]]:
    """Read-only bind mounts for the OpenSearch container: only its own key, the admin client pair (for
    `securityadmin.sh` inside the container) and the CA certificate; never the CA key or other keys.
    """
    certs = f"{config_dir}/{CERTS_SUBDIR}"
    files = ["ca.crt", f"{node_cert}.crt", f"{node_cert}.key", f"{admin_cert}.crt", f"{admin_cert}.key"]
    return [(pki_dir / name, f"{certs}/{name}") for name in files] + [
        (security_dir, f"{config_dir}/opensearch-security")]


def _document(kind: str, body: Mapping[str, Any]) -> dict[str, Any]:
    return {"_meta": {"type": kind, "config_version": 2}, **body}


def _dump(document: Mapping[str, Any]) -> bytes:
    header = "# Written by `minisoc render` (OpenSearch security plugin 2.x). Edits are overwritten.\n"
    body = yaml.safe_dump(dict(document), sort_keys=False, default_flow_style=False)
    return (header + "---\n" + body).encode()


def _config() -> dict[str, Any]:
    basic = {
        "description": "HTTP Basic against the internal users (generated passwords)",
        "http_enabled": True, "transport_enabled": True, "order": 1,
        "http_authenticator": {"type": "basic", "challenge": True},
        "authentication_backend": {"type": "intern"},
    }
    dynamic = {
        "kibana": {"multitenancy_enabled": False, "server_username": DASHBOARDS_USER},
        "http": {"anonymous_auth_enabled": False, "xff": {"enabled": False}},
        # only HTTP Basic: the admin certificate is recognised by `plugins.security.authcz.admin_dn` itself,
        # and no other certificate of the site CA should authenticate anyone
        "authc": {"basic_internal_auth_domain": basic},
        "auth_failure_listeners": {
            "ip_rate_limiting": {"type": "ip", "allowed_tries": 10, "time_window_seconds": 3600,
                                 "block_expiry_seconds": 600, "max_blocked_clients": 100000,
                                 "max_tracked_clients": 100000},
        },
    }
    return _document("config", {"config": {"dynamic": dynamic}})


def _roles(alerts_index: str, logs_prefix: str) -> dict[str, Any]:
    alerts, logs = f"{alerts_index}*", f"{logs_prefix}-*"
    correlator = {
        "description": "minisoc correlator: write alerts and Zeek logs, read them back (retro-hunt, ack)",
        "cluster_permissions": ["cluster_monitor", "cluster_composite_ops", "cluster_manage_index_templates"],
        "index_permissions": [
            {"index_patterns": [alerts, logs],
             "allowed_actions": ["crud", "create_index", "indices_monitor", "indices:admin/refresh*",
                                 "indices:admin/mappings/get"]},
        ],
    }
    analyst = {
        "description": "SOC analyst: read alerts and Zeek logs, nothing else",
        "cluster_permissions": ["cluster_composite_ops_ro"],
        "index_permissions": [
            {"index_patterns": [alerts, logs],
             "allowed_actions": ["read", "indices:admin/mappings/get", "indices:monitor/settings/get"]},
        ],
        "tenant_permissions": [
            {"tenant_patterns": ["global_tenant"], "allowed_actions": ["kibana_all_read"]},
        ],
    }
    return _document("roles", {
        CORRELATOR_ROLE: correlator,
        ANALYST_ROLE: analyst,
        DASHBOARDS_READ_ONLY_ROLE: {"reserved": True},
        "security_rest_api_access": {"reserved": True},
    })


def _roles_mapping(admin_dn: str) -> dict[str, Any]:
    return _document("rolesmapping", {
        "all_access": {"reserved": True, "users": [ADMIN_USER], "backend_roles": [],
                       "description": f"the admin user; the admin certificate ({admin_dn}) is super admin"},
        "security_rest_api_access": {"reserved": True, "users": [ADMIN_USER]},
        "kibana_server": {"reserved": True, "users": [DASHBOARDS_USER]},
        CORRELATOR_ROLE: {"reserved": True, "users": [CORRELATOR_USER]},
        ANALYST_ROLE: {"reserved": True, "users": [ANALYST_USER]},
        DASHBOARDS_READ_ONLY_ROLE: {"reserved": True, "users": [ANALYST_USER]},
    })


def _internal_users(hashes: Mapping[str, str]) -> dict[str, Any]:
    descriptions = {
        ADMIN_USER: "minisoc administrator (provisioning, `minisoc up`)",
        DASHBOARDS_USER: "OpenSearch Dashboards server",
        CORRELATOR_USER: "minisoc correlator service",
        ANALYST_USER: "SOC analyst (read-only)",
    }
    return _document("internalusers", {
        user: {"hash": hashes[user], "reserved": True, "description": descriptions[user]} for user in USERS})


def _kept_or_new_hashes(path: Path, passwords: Mapping[str, str], rounds: int) -> dict[str, str]:
    """Keep each existing hash that still matches its password (bcrypt salts are random), hash the others."""
    existing: dict[str, str] = {}
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        loaded = None
    if isinstance(loaded, dict):
        for user, entry in loaded.items():
            if isinstance(entry, dict) and isinstance(entry.get("hash"), str):
                existing[str(user)] = entry["hash"]
    hashes = {}
    for user in USERS:
        password = passwords[user].encode()
        old = existing.get(user)
        hashes[user] = old if old and _matches(password, old) else _hash(password, rounds)
    return hashes


def _matches(password: bytes, stored: str) -> bool:
    try:
        return bcrypt.checkpw(password, stored.encode())
    except ValueError:  # not a bcrypt hash
        return False


def _hash(password: bytes, rounds: int) -> str:
    # `$2y$` is what the plugin's own hash.sh writes and its default minor version; same algorithm as `$2b$`
    return "$2y$" + bcrypt.hashpw(password, bcrypt.gensalt(rounds)).decode()[4:]
