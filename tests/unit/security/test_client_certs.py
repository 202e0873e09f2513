"""`minisoc certs client`: a clientAuth certificate of the site CA for a syslog sender, its key private."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from minisoc.cli.main import main
from minisoc.render import render_site
from render_support import fixed_secret, site_from_template


def test_a_client_certificate_is_signed_by_the_site_ca_for_client_auth_only(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "reference", "inputs.syslog.enabled=true")
    render_site(site, profile, secrets=fixed_secret)
    out = tmp_path / "gw1"
    assert main(["certs", "client", "gw1.example.org", "--out", str(out), "--site", str(site)]) == 0
    cert = x509.load_pem_x509_certificate((out / "gw1.example.org.crt").read_bytes())
    ca = x509.load_pem_x509_certificate((site / "pki" / "ca.crt").read_bytes())
    cert.verify_directly_issued_by(ca)
    assert (out / "ca.crt").read_bytes() == (site / "pki" / "ca.crt").read_bytes()
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert cert.subject.rfc4514_string() == "CN=gw1.example.org,OU=clients,O=minisoc"
    assert (out / "gw1.example.org.key").stat().st_mode & 0o777 == 0o600
    assert cert.not_valid_after_utc <= ca.not_valid_after_utc


def test_a_bad_name_or_no_pki_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["certs", "client", "Bad_Name", "--out", str(tmp_path / "o"), "--site", str(tmp_path)]) != 0
    assert "NAME: 'Bad_Name' is not a client name" in capsys.readouterr().err
    assert main(["certs", "client", "gw1", "--out", str(tmp_path / "o"), "--site", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert "no site PKI here" in err and "Traceback" not in err
