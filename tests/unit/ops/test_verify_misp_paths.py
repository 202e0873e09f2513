"""verify and an external MISP: its API is health-checked with the correlator's key (an unreachable MISP fails
verify), the canary never goes to it (said in a [warn] line), the hint for "no canary path" says what to set,
and a canary that was not published is not reported removed."""

from __future__ import annotations

from pathlib import Path

import pytest

from minisoc.ops import load_site
from minisoc.ops.verify import intel_path, no_canary_path_hint, run_canary
from minisoc.profile.create import create_profile

KEY = "k" * 40


def external_site(tmp_path: Path, *assignments: str) -> Path:
    site = tmp_path / "site"
    create_profile(
        site, "ci", ["intel.misp.enabled=true", "intel.misp.url=https://misp.example.org/", *assignments]
    )
    (site / "secrets").mkdir(exist_ok=True)
    (site / "secrets" / "misp-automation-key").write_text(KEY)
    (site / "secrets" / "misp-automation-key").chmod(0o600)
    return site


def test_an_external_misp_is_health_checked_but_never_takes_the_canary(tmp_path: Path) -> None:
    path = intel_path(load_site(external_site(tmp_path)))
    assert path.misp is None and path.misp_health == ("https://misp.example.org/", KEY)
    assert path.external_misp


def test_no_canary_path_with_an_external_misp_asks_for_the_feed_folder(tmp_path: Path) -> None:
    site = load_site(external_site(tmp_path, "intel.local_feed_dir=null"))
    hint = no_canary_path_hint(site)
    assert "intel.local_feed_dir" in hint and "enable MISP" not in hint


def test_a_canary_not_published_is_not_reported_removed(tmp_path: Path) -> None:
    site = load_site(external_site(tmp_path, "intel.local_feed_dir=null"))
    checks = run_canary(site, intel_path(site), alert_timeout_s=1)
    assert [c.name for c in checks] == ["canary published"] and not checks[0].ok


@pytest.mark.parametrize("unreachable", ["https://127.0.0.1:9/"])
def test_an_unreachable_external_misp_fails_the_health_checks(tmp_path: Path, unreachable: str) -> None:
    from minisoc.ops.health import misp_check

    site = load_site(external_site(tmp_path))
    check = misp_check(site, unreachable, KEY)
    assert not check.ok and not check.warning
