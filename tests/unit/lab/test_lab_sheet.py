"""The class's credentials sheet: one page per student with that copy's own URLs and passwords and its CA,
mode 0600, and never printed: `lab create` and `lab sheet` print its path only."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from lab_support import make_lab

import minisoc.cli.lab as cli_lab
from minisoc.cli.main import main
from minisoc.lab import copies
from minisoc.lab.sheet import SHEET_MODE, ca_fingerprint
from minisoc.ops import load_site
from minisoc.ops.checks import Check, Report
from minisoc.security.opensearch import ADMIN_USER, ANALYST_USER, PASSWORD_SECRETS


def secrets_of(lab_dir: Path) -> list[set[str]]:
    found = []
    for site_dir in copies(lab_dir):
        site = load_site(site_dir)
        found.append({site.read_secret(PASSWORD_SECRETS[user]) for user in (ANALYST_USER, ADMIN_USER)})
    return found


def test_one_page_per_student_with_their_own_credentials(tmp_path: Path) -> None:
    created = make_lab(tmp_path / "class", 3)
    html = created.sheet.read_text(encoding="utf-8")
    assert stat.S_IMODE(created.sheet.stat().st_mode) == SHEET_MODE == 0o600
    pages = re.findall(r"<section>.*?</section>", html, flags=re.S)
    assert len(pages) == 3 and "break-after: page" in html
    for number, (page, passwords) in enumerate(zip(pages, secrets_of(tmp_path / "class"), strict=True), 1):
        assert f"student {number}" in page and all(password in page for password in passwords)
        others = set().union(*secrets_of(tmp_path / "class")) - passwords
        assert not any(password in page for password in others)
        site = load_site(tmp_path / "class" / f"copy-{number:02d}")
        port = site.profile.ports.opensearch.port if site.profile.ports.opensearch else None
        assert f"https://127.0.0.1:{port}" in page
        assert ca_fingerprint(site.paths.ca_file.read_bytes()) in page and "BEGIN CERTIFICATE" in page


def test_sheet_prints_its_path_only_and_takes_the_host_students_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_lab(tmp_path / "class", 2)
    out = tmp_path / "handout.html"
    capsys.readouterr()
    assert main(["lab", "sheet", str(tmp_path / "class"), "--out", str(out), "--host", "trainer.lan"]) == 0
    printed = capsys.readouterr()
    assert printed.out.strip() == f"credentials sheet (0600, one page per student): {out}"
    assert not any(p in printed.out + printed.err for p in set().union(*secrets_of(tmp_path / "class")))
    html = out.read_text(encoding="utf-8")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "https://trainer.lan:" in html and "127.0.0.1" not in html


def test_create_prints_no_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the doctor asks Docker about the host: here it passes, the rest of `lab create` is real
    passed = Report("lab doctor", [Check("host", True, "ok")])
    monkeypatch.setattr(cli_lab, "lab_doctor", lambda *_args: passed)
    sets = ["--set", "intel.misp.enabled=false", "--set", "opensearch.dashboards.enabled=false"]
    code = main(["lab", "create", str(tmp_path / "class"), "--count", "2", *sets])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "credentials sheet (0600, one page per student)" in printed.out
    assert not any(p in printed.out + printed.err for p in set().union(*secrets_of(tmp_path / "class")))
