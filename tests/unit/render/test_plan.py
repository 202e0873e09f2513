"""`minisoc plan`: an in-memory render diffed against disk; touches nothing; secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minisoc.cli.main import main
from minisoc.profile import load_profile
from minisoc.render import render_site
from minisoc.render.plan import MASK, plan_site
from minisoc.render.staging import Stage
from render_support import fixed_secret, site_from_template


def snapshot(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_plan_of_a_new_site_adds_everything_and_writes_nothing(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "ci")
    before = snapshot(site)
    plan = plan_site(site, profile, secrets=fixed_secret)
    assert snapshot(site) == before
    assert {c.action for c in plan.changes} == {"add"}
    assert {"compose.yaml", ".env", "minisoc.lock"} <= {str(c.path) for c in plan.changes}
    env = next(c for c in plan.changes if str(c.path) == ".env")
    assert f"+OPENSEARCH_ADMIN_PASSWORD={MASK}" in env.diff
    assert "Gold-" not in "".join(c.diff for c in plan.changes)
    assert plan.notes  # the PKI would be created


def test_plan_after_render_is_empty_then_shows_a_profile_change(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "ci")
    render_site(site, profile, secrets=fixed_secret)
    assert not plan_site(site, profile, secrets=fixed_secret).has_changes
    (site / "minisoc.yaml").write_text(
        (site / "minisoc.yaml").read_text().replace("heap_mb: 512", "heap_mb: 768")
    )
    before = snapshot(site)
    plan = plan_site(site, load_profile(site), secrets=fixed_secret)
    assert snapshot(site) == before
    changed = {str(c.path): c for c in plan.changes}
    assert set(changed) == {"compose.yaml", "config/opensearch/jvm.options.d/heap.options"}
    assert "\n--Xmx512m\n" in changed["config/opensearch/jvm.options.d/heap.options"].diff
    assert "\n+-Xmx768m\n" in changed["config/opensearch/jvm.options.d/heap.options"].diff
    assert "\n+    mem_limit: 1536m\n" in changed["compose.yaml"].diff


def test_plan_cli_json_masks_secret_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site, _ = site_from_template(tmp_path, "ci")
    assert main(["plan", str(site), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    secret_files = [c for c in plan["changes"] if c["path"].startswith("secrets/")]
    assert secret_files and all(c["secret"] and c["diff"] == "" for c in secret_files)
    assert not (site / "compose.yaml").exists()
    assert main(["plan", str(site)]) == 0
    out = capsys.readouterr().out
    assert "add     secrets/opensearch-admin-password (secret: content not shown)" in out


def test_a_corrupt_ca_is_an_error_for_plan_and_render_never_a_new_ca(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, profile = site_from_template(tmp_path, "ci")
    render_site(site, profile, secrets=fixed_secret)
    (site / "pki" / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n")
    before = snapshot(site)
    for command in ("plan", "render"):
        capsys.readouterr()
        assert main([command, str(site)]) == 2, command
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and "pki/ca.crt: the site CA certificate is unreadable" in err[0], err
        assert "hint: restore pki/ca.crt and pki/ca.key from a backup" in err[0]
        assert "minisoc certs renew SITE_DIR --ca" in err[0]
        assert snapshot(site) == before  # no new CA, no new service key
    assert main(["certs", "renew", str(site), "--ca"]) == 0
    assert main(["plan", str(site)]) == 0


def test_plan_lists_certificate_changes_with_their_reason_and_the_services_to_restart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    (site / "pki" / "dashboards.crt").write_text("damaged")
    (site / "secrets" / "opensearch-analyst-password").write_text("Rotated-by-hand-Value1_")
    before = snapshot(site)
    plan = plan_site(site, profile, secrets=fixed_secret)
    assert snapshot(site) == before
    changes = {str(c.path): c for c in plan.changes}
    assert set(changes) == {
        ".env",
        "pki/dashboards.crt",
        "pki/dashboards.key",
        "config/opensearch/security/internal_users.yml",
    }
    assert changes["pki/dashboards.crt"].reason == "unreadable" and changes["pki/dashboards.key"].secret
    assert changes["config/opensearch/security/internal_users.yml"].secret
    assert changes["config/opensearch/security/internal_users.yml"].diff == ""  # hashes are not shown
    assert plan.restarts == {
        "dashboards": ("pki/dashboards.crt", "pki/dashboards.key"),
        "opensearch": ("config/opensearch/security/internal_users.yml",),
    }
    assert any("securityadmin" in note for note in plan.notes)
    assert main(["plan", str(site)]) == 0
    out = capsys.readouterr().out
    assert "change  pki/dashboards.crt (unreadable)" in out
    assert "restart dashboards: pki/dashboards.crt, pki/dashboards.key" in out
    assert "no changes" not in out


def test_a_new_certificate_name_reissues_every_server_certificate(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    (site / "minisoc.yaml").write_text(
        (site / "minisoc.yaml").read_text().replace(
            "    cert_validity_days: 397", "    cert_validity_days: 397\n    extra_names: [soc.example.org]"
        )
    )
    plan = plan_site(site, load_profile(site), secrets=fixed_secret)
    reasons = {str(c.path): c.reason for c in plan.changes if str(c.path).startswith("pki/")}
    assert reasons == {
        f"pki/{name}.{ext}": "subject or alternative names changed"
        for name in ("opensearch-node", "dashboards", "feedserver", "misp")
        for ext in ("crt", "key")
    } | {"pki/pki.json": ""}
    # feedserver does not mount its pair; misp-core's nginx does
    assert set(plan.restarts) == {"opensearch", "dashboards", "misp-core"}


def test_plan_without_the_right_to_read_the_pki_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user other than the one who rendered (root) cannot read pki/*.key: one line, not a traceback."""
    site, profile = site_from_template(tmp_path, "ci")
    render_site(site, profile, secrets=fixed_secret)

    def refused(self: Stage, folder: object) -> None:
        raise PermissionError(13, "Permission denied", str(site / "pki" / "ca.key"))

    monkeypatch.setattr(Stage, "seed", refused)
    capsys.readouterr()
    assert main(["plan", str(site)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "plan failed (Permission denied: " in err[0] and "nothing was changed" in err[0]
