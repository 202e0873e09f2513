"""The syslog receiver's render: rsyslog.conf and its compose service (golden files), its TLS certificate of
the site PKI, the folder it writes, the auth mode from the profile, and an exposed plain port refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from minisoc.cli.main import main
from minisoc.profile.create import apply_assignments, template_text
from minisoc.render import render_site
from minisoc.render.syslog_receiver import AUTH_MODES, CONFIG_FILE
from render_support import fixed_secret, site_from_template

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "syslog"
UPDATE = os.environ.get("MINISOC_UPDATE_GOLDEN") == "1"
ON = "inputs.syslog.enabled=true"


def _service(site: Path) -> dict[str, object]:
    spec: dict[str, object] = yaml.safe_load((site / "compose.yaml").read_text())["services"]["syslog"]
    return spec


def _check_golden(name: str, data: str) -> None:
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        (GOLDEN / name).write_text(data)
    assert data == (GOLDEN / name).read_text(), f"{name} differs from tests/golden (MINISOC_UPDATE_GOLDEN=1)"


@pytest.mark.parametrize("template", ["reference", "small-site"])
def test_syslog_config_and_service_match_golden(tmp_path: Path, template: str) -> None:
    site, profile = site_from_template(tmp_path, template, ON, "inputs.syslog.tls_client_auth=required")
    result = render_site(site, profile, secrets=fixed_secret)
    assert Path(CONFIG_FILE) in {Path(str(path)) for path in result.files}
    _check_golden(f"{template}-rsyslog.conf", (site / CONFIG_FILE).read_text())
    _check_golden(f"{template}-service.yaml", yaml.safe_dump(_service(site), sort_keys=True, width=1000))


def test_the_tls_listener_has_a_site_certificate_with_the_extra_names(tmp_path: Path) -> None:
    names = "security.tls.extra_names=[logs.example.org]"
    site, profile = site_from_template(tmp_path, "reference", ON, names)
    render_site(site, profile, secrets=fixed_secret)
    cert = x509.load_pem_x509_certificate((site / "pki" / "syslog.crt").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"syslog", "logs.example.org"} <= set(san.get_values_for_type(x509.DNSName))
    mounts = {m["target"]: m["source"] for m in _service(site)["volumes"]}  # type: ignore[attr-defined]
    assert mounts["/certs/syslog.key"] == "./pki/syslog.key"
    assert "gtls" in (site / CONFIG_FILE).read_text()


@pytest.mark.parametrize("mode", ["none", "optional", "required"])
def test_client_auth_mode_comes_from_the_profile(tmp_path: Path, mode: str) -> None:
    site, profile = site_from_template(tmp_path, "reference", ON, f"inputs.syslog.tls_client_auth={mode}")
    render_site(site, profile, secrets=fixed_secret)
    assert f'streamDriver.authMode="{AUTH_MODES[mode]}"' in (site / CONFIG_FILE).read_text()
    assert (mode == "required") == ("x509/certvalid" in (site / CONFIG_FILE).read_text())


def test_without_a_site_pki_there_is_no_tls_listener(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site", ON, "security.tls.enabled=false")
    render_site(site, profile, secrets=fixed_secret)
    text = (site / CONFIG_FILE).read_text()
    assert "gtls" not in text and str(6514) not in text
    ports = _service(site)["ports"]
    assert [(p["target"], p["protocol"]) for p in ports] == [(5514, "udp"), (5601, "tcp")]  # type: ignore[attr-defined]


def test_ports_max_size_retention_and_folder(tmp_path: Path) -> None:
    site, profile = site_from_template(
        tmp_path, "reference", ON, "inputs.syslog.max_message_bytes=8192", "inputs.syslog.retention_days=7",
        "ports.syslog_udp={port: 20514}", "ports.syslog_tcp=null",
    )
    render_site(site, profile, secrets=fixed_secret)
    service = _service(site)
    assert [(p["published"], p["host_ip"], p["protocol"]) for p in service["ports"]] == [  # type: ignore[attr-defined]
        (20514, "127.0.0.1", "udp"), (6514, "127.0.0.1", "tcp"),
    ]
    assert service["environment"] == {"SYSLOG_RETENTION_DAYS": "7"}
    assert 'maxMessageSize="8192"' in (site / CONFIG_FILE).read_text()
    folder = site / "logs" / "syslog"
    assert folder.is_dir() and folder.stat().st_mode & 0o777 == 0o755
    correlator = yaml.safe_load((site / "config" / "correlator" / "correlator.yaml").read_text())
    assert correlator["inputs"]["syslog"]["dir"] == "/logs/syslog"


def test_a_site_without_the_input_has_no_receiver(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "reference")
    render_site(site, profile, secrets=fixed_secret)
    assert "syslog" not in yaml.safe_load((site / "compose.yaml").read_text())["services"]
    assert not (site / CONFIG_FILE).exists() and not (site / "pki" / "syslog.crt").exists()


def test_exposing_plain_syslog_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile_file = tmp_path / "minisoc.yaml"  # `profile check` takes the site folder
    text = apply_assignments(template_text("reference"), [ON, "ports.syslog_udp={port: 514, expose: true}"])
    profile_file.write_text(text)
    assert main(["profile", "check", str(tmp_path)]) != 0
    assert "ports.syslog_udp.expose" in capsys.readouterr().err
