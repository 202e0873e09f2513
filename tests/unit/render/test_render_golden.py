"""Golden rendered files for every profile template (MINISOC_UPDATE_GOLDEN=1 rewrites them), and determinism.

Secrets come from a fixed source, so .env and secrets/ are part of the golden set. The PKI and the OpenSearch
security plugin folder hold fresh keys and salted hashes: they are checked for stability instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from minisoc.profile.create import template_names
from minisoc.render import render_site
from render_support import fixed_secret, refuse_new_secret, site_from_template

GOLDEN = Path(__file__).resolve().parents[2] / "golden"
TEMPLATES = [
    "small-site", "training-lab", "reference", "ci", "first-contact", "distributed", "distributed-ci"
]
UPDATE = os.environ.get("MINISOC_UPDATE_GOLDEN") == "1"


def test_every_shipped_template_has_golden_files() -> None:
    assert sorted(template_names()) == sorted(TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES)
def test_rendered_files_match_golden(tmp_path: Path, template: str) -> None:
    site, profile = site_from_template(tmp_path, template)
    result = render_site(site, profile, secrets=fixed_secret)
    rendered = {str(path): (site / path).read_bytes() for path in result.files}
    rendered["minisoc.yaml"] = (site / "minisoc.yaml").read_bytes()
    golden_dir = GOLDEN / template
    if UPDATE:
        shutil.rmtree(golden_dir, ignore_errors=True)
        for name, data in rendered.items():
            (golden_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (golden_dir / name).write_bytes(data)
    golden = {str(p.relative_to(golden_dir)): p.read_bytes() for p in golden_dir.rglob("*") if p.is_file()}
    assert sorted(rendered) == sorted(golden), (
        "set MINISOC_UPDATE_GOLDEN=1 to regenerate after a deliberate change"
    )
    for name, data in rendered.items():
        assert data == golden[name], (
            f"{template}/{name} differs from tests/golden (MINISOC_UPDATE_GOLDEN=1 to update)"
        )


@pytest.mark.parametrize("template", ["small-site", "ci"])
def test_second_render_writes_nothing_and_keeps_every_byte(tmp_path: Path, template: str) -> None:
    site, profile = site_from_template(tmp_path, template)
    render_site(site, profile, secrets=fixed_secret)
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    again = render_site(site, profile, secrets=refuse_new_secret)
    after = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert again.written == ()
    assert after == before  # includes pki/ keys and bcrypt hashes of the security plugin files
    assert again.security_files  # TLS is on: the security step ran and kept its files


def test_two_sites_from_one_profile_render_identical_bytes(tmp_path: Path) -> None:
    first, profile = site_from_template(tmp_path / "a", "reference")
    second, _ = site_from_template(tmp_path / "b", "reference")
    files_a = render_site(first, profile, secrets=fixed_secret).files
    render_site(second, profile, secrets=fixed_secret)
    for path in files_a:
        assert (first / path).read_bytes() == (second / path).read_bytes(), path
