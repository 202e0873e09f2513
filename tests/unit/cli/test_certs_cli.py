"""`minisoc certs show|renew`: exit codes, JSON output, and that no key material reaches the output."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from minisoc.cli.main import main
from minisoc.security import ensure_site_pki
from minisoc.security.certs import default_service_certs


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    ensure_site_pki(
        tmp_path / "pki", services=default_service_certs(), validity_days=90, now=datetime.now(UTC)
    )
    return tmp_path


def test_show_json_lists_every_certificate_and_no_key(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["certs", "show", str(site), "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    names = [row["name"] for row in data["certificates"]]
    assert names == ["ca", "opensearch-node", "opensearch-admin", "dashboards", "feedserver"]
    assert all(88 <= row["days_left"] <= 90 for row in data["certificates"][1:])
    assert "PRIVATE KEY" not in out
    for key in site.glob("pki/*.key"):
        body = key.read_text().splitlines()[1]
        assert body not in out


def test_renew_issues_new_certificates_and_reports_them(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (site / "pki" / "opensearch-node.crt").read_bytes()
    assert main(["certs", "renew", str(site), "--days", "30", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    node = next(row for row in data["certificates"] if row["name"] == "opensearch-node")
    assert node["issued_now"] is True and 28 <= node["days_left"] <= 30
    assert (site / "pki" / "opensearch-node.crt").read_bytes() != before
    ca = next(row for row in data["certificates"] if row["name"] == "ca")
    assert ca["issued_now"] is False


def test_renew_without_pki_exits_2_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["certs", "renew", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no site PKI" in err and "hint: run `minisoc render" in err and "Traceback" not in err


def test_renew_ca_is_all_or_nothing(
    site: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new CA next to the old key (or the reverse) would lock every service out: a failure at the n-th file
    of the swap leaves the whole pki/ as it was, whatever n."""
    pki = site / "pki"
    before = {p.name: p.read_bytes() for p in pki.iterdir()}
    real_replace = Path.replace
    count = 0

    def failing(self: Path, target: str | os.PathLike[str]) -> Path:
        nonlocal count
        if ".minisoc-staging" in self.parts and ".minisoc-staging" not in Path(target).parts:
            count += 1
            if count == 2:
                raise OSError(28, "No space left on device", str(target))
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", failing)
    capsys.readouterr()
    assert main(["certs", "renew", str(site), "--ca"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "certs renew failed (No space left on device" in err[0]
    assert {p.name: p.read_bytes() for p in pki.iterdir()} == before
    monkeypatch.setattr(Path, "replace", real_replace)
    assert main(["certs", "renew", str(site), "--ca", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["pki_dir"] == str(pki.resolve()) and all(row["issued_now"] for row in data["certificates"])
    assert all(row["certificate"].startswith(str(pki.resolve())) for row in data["certificates"])
