"""`minisoc plan`: an in-memory render diffed against disk; touches nothing; secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from render_support import fixed_secret, site_from_template

from minisoc.cli.main import main
from minisoc.profile.load import load_profile
from minisoc.render import render_site
from minisoc.render.plan import MASK, plan_site


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
