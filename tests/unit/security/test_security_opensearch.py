"""OpenSearch security plugin config: the file set and formats the 2.x plugin loads at first start, generated
bcrypt hashes that verify, stable bytes across renders, least-privilege roles, and no plaintext password."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import bcrypt
import pytest
import yaml

from minisoc.security import SecretStore, find_leaks, render_security_config, security_settings
from minisoc.security.opensearch import (
    ANALYST_ROLE,
    CORRELATOR_ROLE,
    USERS,
    container_mounts,
    opensearch_passwords,
)

ADMIN_DN = "CN=minisoc-admin,OU=admins,O=minisoc"
NODE_DNS = ["CN=opensearch,OU=nodes,O=minisoc"]
TYPES = {
    "config.yml": "config",
    "internal_users.yml": "internalusers",
    "roles.yml": "roles",
    "roles_mapping.yml": "rolesmapping",
    "action_groups.yml": "actiongroups",
    "tenants.yml": "tenants",
    "nodes_dn.yml": "nodesdn",
    "allowlist.yml": "allowlist",
}


def _render(out: Path, passwords: dict[str, str]) -> list[Path]:
    return render_security_config(
        out, passwords=passwords, admin_dn=ADMIN_DN, node_dns=NODE_DNS, bcrypt_rounds=4, owner_uid=None
    )


def _load(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture()
def passwords(tmp_path: Path) -> dict[str, str]:
    return opensearch_passwords(SecretStore(tmp_path / "site"))


def test_every_file_the_plugin_loads_is_there_with_its_meta(
    tmp_path: Path, passwords: dict[str, str]
) -> None:
    paths = _render(tmp_path / "sec", passwords)
    assert sorted(p.name for p in paths) == sorted(TYPES)
    for path in paths:
        assert _load(path)["_meta"] == {"type": TYPES[path.name], "config_version": 2}
    assert (tmp_path / "sec" / "internal_users.yml").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "sec" / "roles.yml").stat().st_mode & 0o777 == 0o644


def test_hashes_verify_and_no_password_is_written(tmp_path: Path, passwords: dict[str, str]) -> None:
    _render(tmp_path / "sec", passwords)
    users = _load(tmp_path / "sec" / "internal_users.yml")
    assert set(users) - {"_meta"} == set(USERS)
    for user in USERS:
        stored = users[user]["hash"]
        assert stored.startswith("$2y$")
        assert bcrypt.checkpw(passwords[user].encode(), stored.encode())
    assert find_leaks([tmp_path / "sec"], passwords) == []


def test_second_render_writes_the_same_bytes_and_a_rotation_changes_one_hash(
    tmp_path: Path, passwords: dict[str, str]
) -> None:
    paths = _render(tmp_path / "sec", passwords)
    before = {p.name: p.read_bytes() for p in paths}
    mtime = (tmp_path / "sec" / "internal_users.yml").stat().st_mtime_ns
    time.sleep(0.01)
    _render(tmp_path / "sec", passwords)
    assert {p.name: p.read_bytes() for p in paths} == before
    assert (tmp_path / "sec" / "internal_users.yml").stat().st_mtime_ns == mtime
    rotated = {**passwords, "correlator": "a-brand-new-password-for-the-correlator"}
    _render(tmp_path / "sec", rotated)
    old, new = _load_bytes(before["internal_users.yml"]), _load(tmp_path / "sec" / "internal_users.yml")
    assert new["correlator"]["hash"] != old["correlator"]["hash"]
    assert all(new[u]["hash"] == old[u]["hash"] for u in USERS if u != "correlator")


def _load_bytes(data: bytes) -> dict[str, Any]:
    loaded = yaml.safe_load(data)
    assert isinstance(loaded, dict)
    return loaded


def test_a_missing_password_is_refused(tmp_path: Path, passwords: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="analyst"):
        _render(tmp_path / "sec", {k: v for k, v in passwords.items() if k != "analyst"})


def test_roles_are_least_privilege(tmp_path: Path, passwords: dict[str, str]) -> None:
    _render(tmp_path / "sec", passwords)
    roles = _load(tmp_path / "sec" / "roles.yml")
    correlator, analyst = roles[CORRELATOR_ROLE], roles[ANALYST_ROLE]
    granted = [a for p in correlator["index_permissions"] for a in p["allowed_actions"]]
    patterns = {i for p in correlator["index_permissions"] for i in p["index_patterns"]}
    assert patterns == {"minisoc-alerts*", "zeek-*"}
    assert not {"indices_all", "manage", "delete", "unlimited", "*"} & set(granted)
    assert not any(c in correlator["cluster_permissions"] for c in ("cluster_all", "*"))
    analyst_actions = {a for p in analyst["index_permissions"] for a in p["allowed_actions"]}
    assert "read" in analyst_actions
    assert not analyst_actions & {"crud", "write", "index", "create_index", "delete", "manage"}
    mapping = _load(tmp_path / "sec" / "roles_mapping.yml")
    assert mapping["all_access"]["users"] == ["admin"] and mapping["all_access"]["backend_roles"] == []
    assert mapping[CORRELATOR_ROLE]["users"] == ["correlator"]
    config = _load(tmp_path / "sec" / "config.yml")["config"]["dynamic"]
    assert config["http"]["anonymous_auth_enabled"] is False
    assert list(config["authc"]) == ["basic_internal_auth_domain"]


def test_settings_turn_tls_on_everywhere_and_point_inside_the_config_dir() -> None:
    settings = security_settings(admin_dn=ADMIN_DN, node_dns=NODE_DNS)
    assert settings["plugins.security.ssl.http.enabled"] is True
    assert settings["plugins.security.allow_default_init_securityindex"] is True
    assert settings["plugins.security.allow_unsafe_democertificates"] is False
    assert settings["plugins.security.authcz.admin_dn"] == [ADMIN_DN]
    paths = [v for k, v in settings.items() if k.endswith("_filepath")]
    assert paths and all(isinstance(p, str) and p.startswith("certs/") for p in paths)
    assert "TLSv1" not in settings["plugins.security.ssl.http.enabled_protocols"]
    dumped = yaml.safe_dump(settings)
    assert "&id" not in dumped  # no YAML anchors in a file people read


def test_mounts_never_include_the_ca_key(tmp_path: Path) -> None:
    mounts = container_mounts(tmp_path / "pki", tmp_path / "sec")
    hosts = {host.name for host, _ in mounts}
    assert "ca.key" not in hosts and "dashboards.key" not in hosts
    assert ("opensearch-node.key" in hosts) and ("ca.crt" in hosts)
    assert all(target.startswith("/usr/share/opensearch/config/") for _, target in mounts)
