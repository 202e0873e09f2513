"""The rendered local MISP matches what misp-docker needs today (../shared/misp/README.md): current pins,
Valkey as its own user, misp-core's KILL capability, no insecure or wasteful defaults left to misp-docker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from minisoc.errors import ProfileError, UsageError
from minisoc.render import generate_secret, render_files
from minisoc.render.context import misp_sizing
from minisoc.render.secrets import required_secrets
from render_support import fixed_secret, site_from_template


def rendered(tmp_path: Path, *assignments: str) -> tuple[dict[str, object], dict[str, str]]:
    site, profile = site_from_template(tmp_path, "small-site", *assignments)
    files = {str(f.path): f.data.decode() for f in render_files(site, profile, secrets=fixed_secret).files}
    services = yaml.safe_load(files["compose.yaml"])["services"]
    env = dict(
        line.split("=", 1)
        for line in files["config/misp/misp.env"].splitlines()
        if "=" in line and not line.startswith("#")
    )
    return services, env


def test_misp_images_are_misp_dockers_current_pins(tmp_path: Path) -> None:
    services, _ = rendered(tmp_path)
    images = {
        name: services[name]["image"] for name in ("misp-core", "misp-modules", "misp-cache", "misp-db")
    }
    assert images["misp-core"].endswith(":v2.5.42") and images["misp-modules"].endswith(":v3.0.8")
    assert images["misp-cache"] == "valkey/valkey:7.2.13" and images["misp-db"].startswith("mariadb:10.11.")


def test_valkey_runs_as_its_own_user_and_misp_core_may_signal_its_children(tmp_path: Path) -> None:
    services, _ = rendered(tmp_path)
    cache = services["misp-cache"]
    assert cache["user"] == "999:999" and not cache.get("cap_add")
    assert "KILL" in services["misp-core"]["cap_add"]


def test_misp_docker_defaults_are_not_left_insecure_or_wasteful(tmp_path: Path) -> None:
    services, env = rendered(tmp_path, "intel.sync_interval=1h")
    core_env = services["misp-core"]["environment"]
    assert core_env["GPG_PASSPHRASE"] == "${MISP_GPG_PASSPHRASE:?run minisoc render}"
    assert core_env["ADMIN_ORG_UUID"] == "${MISP_ORG_UUID:?run minisoc render}"
    assert env["DISABLE_CA_REFRESH"] == "true" and env["TZ"] == "UTC" and "PHP_TIMEZONE" not in env
    assert env["FETCH_FEED_INTERVAL"] == env["CACHE_FEED_INTERVAL"] == "3600"
    assert int(env["NUM_WORKERS_DEFAULT"]) < 5 and env["PHP_MEMORY_LIMIT"] != "2048M"
    assert env["BASE_URL"] == "https://localhost:8443"


def test_misp_mail_goes_to_a_name_that_never_resolves(tmp_path: Path) -> None:
    """misp-docker writes SMTP_FQDN (default `mail`) into email.php; the site has no relay."""
    _, env = rendered(tmp_path)
    assert env["SMTP_FQDN"].endswith(".invalid")


def test_workers_and_php_memory_follow_the_memory_limit() -> None:
    small, big = misp_sizing(1024, 60), misp_sizing(8192, 86400)
    assert (small["workers"], small["php_memory_mb"], small["feed_interval_s"]) == (2, 512, 300)
    assert (big["workers"], big["php_memory_mb"], big["feed_interval_s"]) == (5, 2048, 86400)


def test_misp_database_and_cache_passwords_are_letters_and_digits(tmp_path: Path) -> None:
    _, profile = site_from_template(tmp_path, "small-site")
    specs = {spec.name: spec for spec in required_secrets(profile)}
    for name in ("misp-db-password", "misp-db-root-password", "misp-cache-password", "misp-gpg-passphrase"):
        value = generate_secret(specs[name])
        assert value.isalnum() and len(value) == 40, name
    assert len(generate_secret(specs["misp-org-uuid"])) == 36


def test_base_url_names_the_port_only_when_it_is_not_443(tmp_path: Path) -> None:
    _, env = rendered(tmp_path, "ports.misp.port=443")
    assert env["BASE_URL"] == "https://localhost"


def sync_servers(org: str) -> str:
    return (
        "intel.misp.sync_servers=[{name: Community central, url: 'https://misp.community.example/', "
        f"remote_org_uuid: {org}, key_file: secrets/misp-sync-central-key}}]"
    )


def test_sync_servers_reach_misp_core_through_a_secret_env_file(tmp_path: Path) -> None:
    """intel.misp.sync_servers: a site joins its community's central MISP from the profile."""
    org = "5a5f4c8a-1111-4222-8333-944455556666"
    site, profile = site_from_template(tmp_path, "small-site", sync_servers(org))
    with pytest.raises(UsageError, match=r"intel\.misp\.sync_servers\.0\.key_file"):
        render_files(site, profile, secrets=fixed_secret)
    (site / "secrets").mkdir(exist_ok=True)
    (site / "secrets" / "misp-sync-central-key").write_text("R" * 40)
    files = {str(f.path): f for f in render_files(site, profile, secrets=fixed_secret).files}
    env = files["secrets/misp-sync-servers.env"]
    assert env.secret
    lines = env.data.decode().splitlines()
    assert lines[0] == "SYNCSERVERS=1" and lines[1].startswith("SYNCSERVERS_1_DATA='")
    data = json.loads(lines[1].split("=", 1)[1].strip("'"))
    assert data["authkey"] == "R" * 40 and data["remote_org_uuid"] == org and data["pull"] is True
    assert data["url"] == "https://misp.community.example" and data["push"] is False
    compose = yaml.safe_load(files["compose.yaml"].data)
    assert "./secrets/misp-sync-servers.env" in compose["services"]["misp-core"]["env_file"]
    assert "R" * 40 not in files["compose.yaml"].data.decode()


def test_sync_servers_need_the_local_misp(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as raised:
        site_from_template(
            tmp_path,
            "small-site",
            "intel.misp.url=https://misp.example/",
            sync_servers("5a5f4c8a-1111-4222-8333-944455556666"),
        )
    assert [p.path for p in raised.value.problems] == ["intel.misp.sync_servers"]
