"""MISP's nginx serves a certificate of the site PKI (not misp-docker's self-signed CN=localhost one, valid
365 days and never renewed): issued by render, mounted where misp-docker reads it, renewed with the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from minisoc.render import render_site
from minisoc.render.renew import renew_site_pki
from render_support import fixed_secret, site_from_template


def names(cert: x509.Certificate) -> set[str]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    return {*san.get_values_for_type(x509.DNSName), *ips}


def test_a_site_running_misp_gets_a_misp_certificate_mounted_over_misp_dockers_paths(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    cert = x509.load_pem_x509_certificate((site / "pki" / "misp.crt").read_bytes())
    ca = x509.load_pem_x509_certificate((site / "pki" / "ca.crt").read_bytes())
    assert {"misp-core", "localhost", "127.0.0.1"} <= names(cert)
    assert cert.issuer == ca.subject
    ca_key = ca.public_key()
    assert isinstance(ca_key, ec.EllipticCurvePublicKey)
    assert cert.signature_hash_algorithm is not None
    ca_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    assert (site / "pki" / "misp.key").stat().st_mode & 0o077 == 0
    compose = yaml.safe_load((site / "compose.yaml").read_text())
    volumes = compose["services"]["misp-core"]["volumes"]
    binds = {m["target"]: m["source"] for m in volumes if m["type"] == "bind"}
    assert binds == {
        "/etc/nginx/certs/cert.pem": "./pki/misp.crt",  # misp-docker's entrypoint_nginx.sh paths
        "/etc/nginx/certs/key.pem": "./pki/misp.key",
    }
    misp = yaml.safe_load((site / "config" / "correlator" / "correlator.yaml").read_text())["intel"]["misp"]
    assert misp["verify_tls"] is True and misp["ca_file"] == "/certs/ca.crt"  # the correlator trusts it


def test_certs_renew_reissues_the_misp_certificate(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    before = (site / "pki" / "misp.crt").read_bytes()
    renew_site_pki(site, now=datetime.now(UTC))
    assert (site / "pki" / "misp.crt").read_bytes() != before


def test_a_site_without_misp_has_no_misp_certificate(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site", "intel.misp.enabled=false")
    render_site(site, profile, secrets=fixed_secret)
    assert "misp-core" not in yaml.safe_load((site / "compose.yaml").read_text())["services"]
    assert not (site / "pki" / "misp.crt").exists()


def test_host_side_misp_clients_check_the_local_misp_with_the_site_ca(tmp_path: Path) -> None:
    from minisoc.ops.access import load_site

    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    assert load_site(site).misp_ca_file() == (site / "pki" / "ca.crt").resolve()
    (site / "pki" / "misp.crt").unlink()  # a site rendered before MISP had a certificate of the site PKI
    assert load_site(site).misp_ca_file() is None


def test_certs_renew_leaves_misp_core_due_for_the_next_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A renewed pair is read by nginx only at start: `up` (which renders nothing new then) recreates it."""
    import json

    from minisoc.cli.main import main

    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    assert main(["certs", "renew", str(site)]) == 0
    assert "restart needed: dashboards, misp-core, opensearch" in capsys.readouterr().err
    pending = json.loads((site / ".minisoc-state" / "ops.json").read_text())["restart_pending"]
    assert "pki/misp.crt" in pending["misp-core"] and "correlator" not in pending  # it mounts only ca.crt
