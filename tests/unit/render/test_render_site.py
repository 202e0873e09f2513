"""What `minisoc render` writes: hardened services, secrets kept and never leaked, lock file, configs."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml

from minisoc.cli.main import main
from minisoc.correlator.config import CorrelatorConfig
from minisoc.profile.load import load_profile
from minisoc.render import render_site
from minisoc.render.memory import render_files
from minisoc.site import site_paths
from render_support import fixed_secret, refuse_new_secret, site_from_template

SECRET_PLACES = (".env", "secrets/")


def compose_of(site: Path) -> dict:
    return yaml.safe_load((site / "compose.yaml").read_text())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_service_is_hardened_and_bound_to_loopback(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    services = compose_of(site)["services"]
    assert sorted(services) == sorted(profile.enabled_services())
    for name, spec in services.items():
        assert spec["restart"] == "unless-stopped", name
        assert spec["security_opt"] == ["no-new-privileges:true"], name
        assert spec["cap_drop"] == ["ALL"], name
        assert spec["healthcheck"]["start_period"].endswith("s"), name
        assert spec["mem_limit"].endswith("m") and spec["cpus"] > 0, name
        for port in spec.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", name
    assert services["zeek"]["cap_add"] == ["NET_RAW", "NET_ADMIN"]
    assert services["zeek"]["network_mode"] == "host"
    assert services["opensearch"]["mem_limit"] == f"{2 * profile.opensearch.heap_mb}m"
    assert {v["target"] for v in services["zeek"]["volumes"]} >= {"/logs/zeek", "/intel"}
    assert {v["target"] for v in services["correlator"]["volumes"]} >= {"/logs/zeek", "/intel"}
    assert compose_of(site)["name"] == "minisoc-my-site-g01d3n"  # site name plus site id


def test_expose_binds_all_addresses(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site", "ports.dashboards.expose=true")
    render_site(site, profile, secrets=fixed_secret)
    assert compose_of(site)["services"]["dashboards"]["ports"][0]["host_ip"] == "0.0.0.0"


def test_secret_files_are_private_and_kept_across_renders(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "ci")
    render_site(site, profile)  # the real secret source
    env_before = (site / ".env").read_text()
    assert mode(site / ".env") == 0o600
    assert mode(site / "secrets") == 0o700
    for secret in (site / "secrets").iterdir():
        assert mode(secret) == 0o600, secret
    (site / "secrets" / "opensearch-analyst-password").write_text("Rotated-by-hand-Value1_")
    result = render_site(site, profile, secrets=refuse_new_secret)
    # the hand-rotated value flows into .env and the analyst's hash, nothing else
    assert [str(p) for p in result.written] == [".env", "config/opensearch/security/internal_users.yml"]
    assert result.restarts == {"opensearch": ("config/opensearch/security/internal_users.yml",)}
    assert "OPENSEARCH_ANALYST_PASSWORD=Rotated-by-hand-Value1_" in (site / ".env").read_text()
    kept = [line for line in env_before.splitlines() if "ANALYST" not in line]
    assert all(line in (site / ".env").read_text() for line in kept)


def test_secrets_come_back_from_env_when_files_are_gone(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "ci")
    render_site(site, profile)
    env = (site / ".env").read_text()
    for secret in (site / "secrets").iterdir():
        secret.unlink()
    render_site(site, profile, secrets=refuse_new_secret)
    assert (site / ".env").read_text() == env


def test_no_secret_value_outside_secret_files_or_in_cli_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, _ = site_from_template(tmp_path, "small-site")
    assert main(["render", str(site)]) == 0
    assert main(["plan", str(site), "--json"]) == 0
    assert main(["render", str(site), "--json"]) == 0
    output = capsys.readouterr()
    values = [p.read_text() for p in (site / "secrets").iterdir()]
    # 11, + misp-gpg-passphrase, misp-org-uuid, secrets-generation
    assert len(values) == 14 and all(len(v) >= 16 for v in values)
    scanned = [
        p
        for p in site.rglob("*")
        if p.is_file() and not str(p.relative_to(site)).startswith(SECRET_PLACES) and p.parent.name != "pki"
    ]
    assert any(p.name == "compose.yaml" for p in scanned) and any(
        p.name == "internal_users.yml" for p in scanned
    )
    for path in scanned:
        text = path.read_text(errors="replace")
        assert not [v for v in values if v in text], f"a secret leaked into {path}"
    assert not [v for v in values if v in output.out + output.err]


def test_correlator_config_is_a_valid_correlator_config(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    paths = site_paths(site, profile)
    config = CorrelatorConfig.model_validate(yaml.safe_load(paths.correlator_config.read_text()))
    assert config.site == "my-site"
    assert config.sink.kind == "opensearch" and config.sink.opensearch is not None
    assert str(config.sink.opensearch.password_file) == "/run/secrets/opensearch-correlator-password"
    assert (
        config.intel.misp is not None
        and str(config.intel.misp.key_file) == "/run/secrets/misp-automation-key"
    )
    assert [f.url for f in config.intel.feeds] == ["http://feedserver:8080/"]
    assert str(config.export.zeek_intel_path) == "/intel/minisoc.intel"


def test_without_opensearch_alerts_go_to_sqlite(tmp_path: Path) -> None:
    site, profile = site_from_template(
        tmp_path, "ci", "opensearch.enabled=false", "correlator.index_logs=false"
    )
    rendered = render_files(site, profile, secrets=fixed_secret)
    by_path = {str(f.path): f.data for f in rendered.files}
    config = yaml.safe_load(by_path["config/correlator/correlator.yaml"])
    assert config["sink"]["kind"] == "sqlite"
    assert "opensearch" not in yaml.safe_load(by_path["compose.yaml"])["services"]


def test_lock_pins_images_and_profile_overrides_win(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    digest = "sha256:" + "a" * 64
    (site / "minisoc.lock").write_text(
        f"version: 1\nimages:\n  zeek: {{image: 'zeek/zeek:6.0.9', digest: '{digest}'}}\n"
        f"  correlator: {{image: 'minisoc/correlator:0.0.1', digest: null}}\n"
    )
    (site / "minisoc.yaml").write_text(
        (site / "minisoc.yaml").read_text() + "images:\n  correlator: registry.local/minisoc/correlator:9.9\n"
    )
    profile = load_profile(site)
    render_site(site, profile, secrets=fixed_secret)
    services = compose_of(site)["services"]
    assert services["zeek"]["image"] == f"zeek/zeek:6.0.9@{digest}"
    assert services["correlator"]["image"] == "registry.local/minisoc/correlator:9.9"
    assert "pull_policy" not in services["correlator"]
    lock = yaml.safe_load((site / "minisoc.lock").read_text())
    assert lock["images"]["zeek"] == {"image": "zeek/zeek:6.0.9", "digest": digest}
    assert lock["images"]["opensearch"]["image"].startswith("opensearchproject/opensearch:")


def test_switching_a_service_off_removes_its_config(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    assert (site / "config" / "dashboards" / "saved-objects.ndjson").is_file()
    (site / "minisoc.yaml").write_text(
        (site / "minisoc.yaml")
        .read_text()
        .replace("  dashboards:\n    enabled: true", "  dashboards:\n    enabled: false")
    )
    result = render_site(site, load_profile(site), secrets=refuse_new_secret)
    assert sorted(map(str, result.removed)) == [
        "config/dashboards/opensearch_dashboards.yml",
        "config/dashboards/saved-objects.ndjson",
    ]
    assert "dashboards" not in compose_of(site)["services"]


def test_external_misp_needs_a_user_provided_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site, _ = site_from_template(
        tmp_path, "ci", "intel.misp.enabled=true", "intel.misp.url=https://misp.example.org/"
    )
    assert main(["render", str(site)]) == 2
    err = capsys.readouterr().err
    assert "secrets/misp-automation-key: missing" in err and "hint: create it in MISP" in err
    (site / "secrets").mkdir(exist_ok=True)
    (site / "secrets" / "misp-automation-key").write_text("K" * 40)
    assert main(["render", str(site)]) == 0
    config = yaml.safe_load((site / "config/correlator/correlator.yaml").read_text())
    assert config["intel"]["misp"]["url"] == "https://misp.example.org/"
    assert "misp-core" not in compose_of(site)["services"]


def test_the_local_feed_starts_as_an_empty_feed_and_a_users_manifest_is_kept(tmp_path: Path) -> None:
    """A feed folder without manifest.json is a 404 to the correlator, which reports its source in error."""
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    feed = site_paths(site, profile).local_feed_dir
    assert feed is not None
    manifest = feed / "manifest.json"
    assert json.loads(manifest.read_text()) == {} and mode(manifest) == 0o644
    manifest.write_text('{"0b5e0c6a-6b7e-4a29-9e1a-7b6d8c2b1f00": {"timestamp": "1"}}')
    render_site(site, profile, secrets=fixed_secret)
    assert "0b5e0c6a" in manifest.read_text()


def test_an_external_misps_ca_file_reaches_the_correlator(tmp_path: Path) -> None:
    """intel.misp.ca_file: verified TLS to a community MISP with a private CA, no verify_tls: false needed."""
    site, profile = site_from_template(
        tmp_path,
        "ci",
        "intel.misp.enabled=true",
        "intel.misp.url=https://misp.community.example/",
        "intel.misp.ca_file=pki-ext/ca.pem",
    )
    (site / "secrets").mkdir(exist_ok=True)
    (site / "secrets" / "misp-automation-key").write_text("k" * 40)
    (site / "secrets" / "misp-automation-key").chmod(0o600)
    rendered = render_files(site, profile, secrets=fixed_secret)
    by_path = {str(f.path): f.data for f in rendered.files}
    misp = yaml.safe_load(by_path["config/correlator/correlator.yaml"])["intel"]["misp"]
    assert misp["verify_tls"] is True and misp["ca_file"] == "/site/pki-ext/ca.pem"
    volumes = yaml.safe_load(by_path["compose.yaml"])["services"]["correlator"]["volumes"]
    assert any("pki-ext/ca.pem" in str(v) and "/site/pki-ext/ca.pem" in str(v) for v in volumes), volumes


@pytest.mark.parametrize(
    ("assignments", "problem"),
    [
        (["intel.misp.ca_file=ca.pem"], "external MISP"),
        (
            [
                "intel.misp.url=https://misp.example/",
                "intel.misp.ca_file=ca.pem",
                "intel.misp.verify_tls=false",
            ],
            "verify_tls: false",
        ),
    ],
)
def test_a_misp_ca_file_that_would_not_be_used_is_refused(
    tmp_path: Path, assignments: list[str], problem: str
) -> None:
    from minisoc.errors import ProfileError

    with pytest.raises(ProfileError) as raised:
        site_from_template(tmp_path, "ci", *assignments)
    assert "intel.misp.ca_file" in str(raised.value.problems) and problem in str(raised.value.problems)


def test_render_says_which_certificates_it_reissued_and_what_must_restart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    (site / "pki" / "dashboards.crt").write_text("damaged")
    capsys.readouterr()
    assert main(["render", str(site)]) == 0
    out = capsys.readouterr().out
    assert "wrote   pki/dashboards.crt" in out and "wrote   pki/dashboards.key" in out
    assert "restart needed: dashboards (`minisoc up` restarts them)" in out
    state = json.loads((site / ".minisoc-state" / "ops.json").read_text())
    assert state["restart_pending"] == {"dashboards": ["pki/dashboards.crt", "pki/dashboards.key"]}
