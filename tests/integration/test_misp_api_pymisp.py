"""The MISP API source through real PyMISP against FakeMispServer (a named fake: MISP cannot run here),
serving PyMISP's own test events: first sync, paging, incremental changes by timestamp, removals of deleted,
no-longer-IDS, decayed and expired attributes, restart from the persisted state, and a sighting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.misp_server import FakeMispServer
from minisoc.correlator.config import MispApiConfig
from minisoc.correlator.intel.misp_api import MispApiSource, connect_pymisp
from minisoc.errors import ServiceError

pytestmark = pytest.mark.integration
KEY = "fake-automation-key-0123456789abcdef0123"
EVENTS = "misp/events/pymisp"


@pytest.fixture
def misp(shared_data: Path) -> Iterator[FakeMispServer]:
    with FakeMispServer(sorted((shared_data / EVENTS).glob("*.json")), KEY) as server:
        yield server


def _source(misp: FakeMispServer, state: Path, **options: Any) -> MispApiSource:
    """The source as the service builds it: from `intel.misp` config, key in a 0600 file, PyMISP inside."""
    key_file = state / "misp.key"
    if not key_file.exists():
        state.mkdir(parents=True, exist_ok=True)
        key_file.write_text(KEY + "\n")
        key_file.chmod(0o600)
    return MispApiSource(MispApiConfig(url=misp.url, key_file=key_file), state / "state", **options)


def _expected_uuids(misp: FakeMispServer) -> set[str]:
    """to_ids, live attributes of published events, of types we match (computed from the raw events)."""
    from minisoc.correlator.intel.misp_types import MISP_TYPE_PARTS

    return {
        a["uuid"]
        for event, a in misp.attributes()
        if event.get("published") in (True, 1, "1")
        and a.get("to_ids") in (True, 1, "1")
        and not a.get("deleted")
        and a["type"] in MISP_TYPE_PARTS
    }


def _published_cursor(misp: FakeMispServer) -> int:
    """The newest attribute timestamp a published-only search has seen."""
    return max(int(a["timestamp"]) for e, a in misp.attributes() if e.get("published") in (True, 1, "1"))


def _searches(misp: FakeMispServer) -> list[Any]:
    return [body for method, path, body in misp.requests if path == "attributes/restSearch"]


def test_first_sync_pages_through_every_ids_attribute(misp: FakeMispServer, tmp_path: Path) -> None:
    source = _source(misp, tmp_path, page_size=50)
    update = source.sync()
    assert update.complete and {i.attribute_uuid for i in update.added} == _expected_uuids(misp)
    searches = _searches(misp)
    assert len(searches) == source.pages_fetched > 1 and [s["page"] for s in searches] == list(
        range(1, len(searches) + 1)
    )
    assert all(s["limit"] == 50 and s["published"] is True for s in searches)
    indicator = update.added[0]
    assert indicator.reference == f"{misp.url}/events/view/{indicator.event_uuid}"
    assert indicator.event_info and indicator.threat_level is not None and indicator.tags


def test_incremental_changes_and_removals(misp: FakeMispServer, tmp_path: Path) -> None:
    source = _source(misp, tmp_path, page_size=1000)
    first = source.sync()
    cursor = _published_cursor(misp)
    live = sorted(first.added, key=lambda i: str(i.attribute_uuid))
    changed, deleted, not_ids, decayed = (str(i.attribute_uuid) for i in live[:4])
    misp.update_attribute(changed, cursor + 10, value="203.0.113.9", type="ip-dst")
    misp.update_attribute(deleted, cursor + 10, deleted=True)
    misp.update_attribute(not_ids, cursor + 10, to_ids=False)
    misp.update_attribute(decayed, cursor + 10, decayed=True)
    update = source.sync()
    assert _searches(misp)[-1]["timestamp"] == cursor
    assert not update.complete
    assert [(i.attribute_uuid, i.value) for i in update.added] == [(changed, "203.0.113.9")]
    removed_uuids = {key[2] for key in update.removed}
    assert {deleted, not_ids, decayed} <= removed_uuids
    assert removed_uuids <= {deleted, not_ids, decayed, changed}

    quiet = source.sync()
    assert (quiet.added, quiet.removed) == ([], [])


def test_restart_gives_the_complete_current_set_from_the_cursor(misp: FakeMispServer, tmp_path: Path) -> None:
    first = _source(misp, tmp_path).sync()
    cursor = _published_cursor(misp)
    gone = str(first.added[0].attribute_uuid)
    misp.update_attribute(gone, cursor + 5, deleted=True)
    restarted = _source(misp, tmp_path)
    update = restarted.sync()
    assert _searches(misp)[-1]["timestamp"] == cursor  # not a full refetch
    assert update.complete
    assert {i.attribute_uuid for i in update.added} == {i.attribute_uuid for i in first.added} - {gone}


def test_indicators_past_max_age_expire(misp: FakeMispServer, tmp_path: Path) -> None:
    stamps = sorted(int(a["timestamp"]) for _, a in misp.attributes())
    now = stamps[len(stamps) // 2] + 1000
    source = _source(misp, tmp_path, max_age_s=1000, clock=lambda: now)
    update = source.sync()
    assert update.added and all((i.timestamp or 0) >= now - 1000 for i in update.added)
    assert len(update.added) < len(_expected_uuids(misp))


def test_a_wrong_key_fails_the_sync_with_a_service_error_that_hides_the_key(
    misp: FakeMispServer, tmp_path: Path
) -> None:
    wrong = "wrong-key-wrong-key-wrong-key-wrong-key0"
    (tmp_path / "bad.key").write_text(wrong)
    source = MispApiSource(MispApiConfig(url=misp.url, key_file=tmp_path / "bad.key"), tmp_path / "state")
    with pytest.raises(ServiceError) as raised:
        source.sync()
    assert wrong not in raised.value.message and raised.value.hint
    assert not (tmp_path / "state").exists() or not list((tmp_path / "state").rglob("state.json"))


def test_pymisp_sighting_reaches_the_fake(misp: FakeMispServer) -> None:
    client = connect_pymisp(misp.url, KEY)
    uuid = next(a["uuid"] for _, a in misp.attributes() if a.get("to_ids"))
    reply = client.add_sighting({"value": "203.0.113.9", "source": "site-a", "type": "0"}, attribute=uuid)
    assert "errors" not in reply and misp.sightings[-1]["attribute_id"] == uuid
    assert json.loads(json.dumps(misp.sightings[-1]))["source"] == "site-a"
