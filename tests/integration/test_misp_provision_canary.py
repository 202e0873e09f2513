"""Provisioning and the MISP canary through real PyMISP against FakeMispServer, which answers as a real
MISP 2.5.1 did (tests/unit/ops/test_misp_fake_contract.py): advanced authkeys ignore a chosen key, sightings
are searched by numeric event id (a uuid is a 400), the canary's event is visible to the correlator's user.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.misp_server import FakeMispServer
from minisoc.correlator.clients import MispRefused, connect_misp
from minisoc.ops.canary import new_canary
from minisoc.ops.misp_canary import canary_sightings
from minisoc.ops.misp_provision import CORRELATOR_ROLE_ID, correlator_email, provision_misp
from minisoc.profile import SiteProfile
from minisoc.profile.create import create_profile

pytestmark = pytest.mark.integration
ADMIN_KEY = "admin0key0admin0key0admin0key0admin0key0"
CHOSEN_KEY = "chosen0key0chosen0key0chosen0key0chosen0"


@pytest.fixture
def misp() -> Iterator[FakeMispServer]:
    with FakeMispServer([], ADMIN_KEY, admin_org="LAB") as server:
        yield server


@pytest.fixture
def profile(tmp_path: Path) -> SiteProfile:
    _, made = create_profile(tmp_path / "site", "small-site", [])
    return made


def provision(misp: FakeMispServer, profile: SiteProfile, key: str) -> tuple[list[str], list[str]]:
    stored: list[str] = []
    checks = provision_misp(profile, misp.url, ADMIN_KEY, key, store_key=stored.append)
    assert all(check.ok for check in checks)
    return stored, [check.detail for check in checks]


def test_the_correlator_gets_the_key_misp_made_in_the_admins_org(
    misp: FakeMispServer, profile: SiteProfile
) -> None:
    stored, _ = provision(misp, profile, CHOSEN_KEY)
    assert len(stored) == 1 and stored[0] != CHOSEN_KEY  # MISP ignores a chosen key: we keep MISP's
    user = next(u for u in misp.state.users.values() if u["email"] == correlator_email(profile))
    assert user["org_id"] == "1" and user["role_id"] == str(CORRELATOR_ROLE_ID)
    assert misp.state.user_of(stored[0]) == user and misp.state.user_of(CHOSEN_KEY) is None

    again, details = provision(misp, profile, stored[0])  # second `up`: the stored key works, kept
    assert again == [] and "secrets/misp-automation-key accepted" in details
    assert sum(u["email"] == correlator_email(profile) for u in misp.state.users.values()) == 1


def test_the_canary_sighting_is_found_by_event_id_and_only_when_there(
    misp: FakeMispServer, profile: SiteProfile
) -> None:
    stored, _ = provision(misp, profile, CHOSEN_KEY)
    admin = connect_misp(misp.url, ADMIN_KEY)
    canary = new_canary()
    event = admin.add_event({"uuid": canary.event_uuid, "info": "canary", "distribution": 0,
                             "Attribute": [{"type": "domain", "value": canary.domain, "to_ids": True}]})
    event_id = str(event["Event"]["id"])
    assert canary_sightings(admin, event_id) == []  # no sighting yet: not a success
    with pytest.raises(MispRefused, match="Invalid ID"):
        canary_sightings(admin, canary.event_uuid)  # what verify used to send: now an error, not a pass

    correlator = connect_misp(misp.url, stored[0])
    admin.publish(canary.event_uuid)
    found = correlator.search(controller="attributes", value=canary.domain, pythonify=False)
    assert [a["value"] for a in found["Attribute"]] == [canary.domain]  # distribution 0, same org: visible
    correlator.add_sighting({"source": "lab", "type": "0"}, attribute=found["Attribute"][0]["uuid"])
    assert len(canary_sightings(admin, event_id)) == 1
