"""`doctor` with an external MISP (FakeMispServer, held to a real MISP's answers): reachable, the key's role
(sightings yes; publish/admin flagged), the clock skew; an unreachable MISP and a refused key fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.misp_server import FakeMispServer
from minisoc.ops.misp_doctor import external_misp_checks, skew_check
from minisoc.profile.create import create_profile

pytestmark = pytest.mark.integration
ADMIN_KEY = "admin0key0admin0key0admin0key0admin0key0"


@pytest.fixture
def misp() -> Iterator[FakeMispServer]:
    with FakeMispServer([], ADMIN_KEY) as server:
        yield server


def doctor(tmp_path: Path, url: str, key: str) -> dict[str, tuple[bool, bool, str]]:
    site = tmp_path / "site"
    _, profile = create_profile(site, "ci", ["intel.misp.enabled=true", f"intel.misp.url={url}"])
    (site / "secrets").mkdir(exist_ok=True)
    (site / "secrets" / "misp-automation-key").write_text(key)
    return {c.name: (c.ok, c.warning, c.detail) for c in external_misp_checks(profile, site)}


def test_a_sighting_only_key_passes(misp: FakeMispServer, tmp_path: Path) -> None:
    user = misp.state.add_user("correlator@lab", org_id="1", role_id="3")
    found = doctor(tmp_path, misp.url + "/", user["authkey"])
    assert found["misp reachable"][0] and found["misp clock"][0] and found["misp key role"][0]
    assert "misp key rights" not in found


def test_an_admin_key_is_flagged_and_a_wrong_key_fails(misp: FakeMispServer, tmp_path: Path) -> None:
    found = doctor(tmp_path / "a", misp.url + "/", ADMIN_KEY)
    assert found["misp key rights"][:2] == (False, True) and "perm_publish" in found["misp key rights"][2]
    wrong = doctor(tmp_path / "b", misp.url + "/", "w" * 40)
    assert wrong["misp key"][0] is False


def test_an_unreachable_misp_fails(tmp_path: Path) -> None:
    found = doctor(tmp_path, "https://127.0.0.1:9/", "k" * 40)
    assert found == {"misp reachable": (False, False, found["misp reachable"][2])}


def test_clock_skew_beyond_two_minutes_is_a_warning() -> None:
    check = skew_check("Fri, 04 Dec 2026 12:00:00 GMT", 1796385600.0 + 600)
    assert not check.ok and check.warning and "+600s" in check.detail
