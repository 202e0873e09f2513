"""The MISP API source through real PyMISP against FakeMispServer (a named fake, held to a real MISP's
answers by tests/unit/ops/test_misp_fake_contract.py), serving PyMISP's own test events.

Checked: first sync and paging; what the sync used to miss with an attribute-timestamp cursor (an event
published with old attributes, an attribute added before another event was published); the republish
policy (a deletion or a to_ids flip waits for the republish, or not with include_unpublished_edits); an event
deleted in MISP goes at the full pass; restart from the persisted state; threat_level from the event;
a wrong key; a sighting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes.misp_server import FakeMispServer
from minisoc.correlator.clients import connect_misp
from minisoc.correlator.config import MispApiConfig
from minisoc.correlator.intel import MispApiSource
from minisoc.errors import ServiceError

pytestmark = pytest.mark.integration
KEY = "fake-automation-key-0123456789abcdef0123"
EVENTS = "misp/events/pymisp"
NOW = 1_800_000_000.0
DAY = 86400


class Clock:
    """One clock for the fake MISP and the source (MISP's timestamps are MISP's clock)."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def misp(shared_data: Path, clock: Clock) -> Iterator[FakeMispServer]:
    with FakeMispServer(sorted((shared_data / EVENTS).glob("*.json")), KEY, clock=clock) as server:
        yield server


def _source(misp: FakeMispServer, state: Path, clock: Clock, **options: Any) -> MispApiSource:
    """The source as the service builds it: from `intel.misp` config, key in a 0600 file, PyMISP inside."""
    key_file = state / "misp.key"
    if not key_file.exists():
        state.mkdir(parents=True, exist_ok=True)
        key_file.write_text(KEY + "\n")
        key_file.chmod(0o600)
    config = {
        k: options.pop(k) for k in ("include_unpublished_edits", "full_sync_interval_s") if k in options
    }
    return MispApiSource(
        MispApiConfig(url=misp.url, key_file=key_file, **config), state / "state", clock=clock, **options
    )


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


def _searches(misp: FakeMispServer) -> list[Any]:
    return [body for method, path, body in misp.requests if path == "attributes/restSearch"]


def _new_event(misp: FakeMispServer, value: str, stamp: float, **fields: Any) -> dict[str, Any]:
    """An event as a feed fetch, a sync pull or an import brings it: attribute timestamps of its origin."""
    event = {
        "info": f"imported {value}",
        "threat_level_id": "1",
        "timestamp": str(int(stamp)),
        "Attribute": [{"type": "ip-dst", "value": value, "to_ids": True, "timestamp": str(int(stamp))}],
        **fields,
    }
    return misp.add_event(event, published=False)


def test_first_sync_pages_through_every_ids_attribute(
    misp: FakeMispServer, tmp_path: Path, clock: Clock
) -> None:
    source = _source(misp, tmp_path, clock, page_size=50)
    update = source.sync()
    assert update.complete and {i.attribute_uuid for i in update.added} == _expected_uuids(misp)
    searches = _searches(misp)
    assert len(searches) > 1 and [s["page"] for s in searches] == list(range(1, len(searches) + 1))
    assert all(s["limit"] == 50 and s["published"] is True for s in searches)
    indicator = update.added[0]
    assert indicator.reference == f"{misp.url}/events/view/{indicator.event_uuid}"
    assert indicator.event_info and indicator.tags


def test_an_event_published_with_old_attributes_is_loaded(
    misp: FakeMispServer, tmp_path: Path, clock: Clock
) -> None:
    """The worst bug: a cursor on attribute timestamps never fetched an attribute older than the cursor."""
    source = _source(misp, tmp_path, clock)
    source.sync()
    event = _new_event(misp, "203.0.113.77", NOW - 3 * DAY)  # a feed fetch: 3-day-old attributes
    clock.now += 60
    misp.republish(event["uuid"])
    update = source.sync()
    assert [(i.value, i.threat_level) for i in update.added] == [("203.0.113.77", 1)]
    assert "publish_timestamp" in _searches(misp)[-1] and "timestamp" not in _searches(misp)[-1]


def test_an_attribute_added_before_another_publish_is_loaded_at_its_republish(
    misp: FakeMispServer, tmp_path: Path, clock: Clock
) -> None:
    source = _source(misp, tmp_path, clock)
    early = _new_event(misp, "198.51.100.1", NOW)
    clock.now += 10
    misp.state.add_attribute(early, {"type": "ip-dst", "value": "198.51.100.2", "to_ids": True})
    clock.now += 10
    late = _new_event(misp, "198.51.100.3", clock.now)
    misp.republish(late["uuid"])
    assert {i.value for i in source.sync().added} >= {"198.51.100.3"}
    clock.now += 10
    misp.republish(early["uuid"])  # published after the cursor moved past its attributes' timestamps
    assert {i.value for i in source.sync().added} == {"198.51.100.1", "198.51.100.2"}


def test_a_deletion_and_a_to_ids_flip_wait_for_the_republish(
    misp: FakeMispServer, tmp_path: Path, clock: Clock
) -> None:
    source = _source(misp, tmp_path, clock)
    first = source.sync()
    deleted, not_ids = sorted(str(i.attribute_uuid) for i in first.added)[:2]
    clock.now += 60
    misp.update_attribute(deleted, int(clock.now), deleted=True)  # MISP unpublishes the event
    misp.update_attribute(not_ids, int(clock.now), to_ids=False)
    waiting = source.sync()
    assert (waiting.added, waiting.removed) == ([], [])  # published-only policy: nothing until republished
    clock.now += 60
    for event, attribute in misp.attributes():
        if attribute["uuid"] in (deleted, not_ids):
            misp.republish(event["uuid"])
    update = source.sync()
    assert {key[2] for key in update.removed} == {deleted, not_ids} and update.added == []
    quiet = source.sync()
    assert (quiet.added, quiet.removed) == ([], [])


def test_unpublished_edits_are_taken_when_asked(misp: FakeMispServer, tmp_path: Path, clock: Clock) -> None:
    source = _source(misp, tmp_path, clock, include_unpublished_edits=True)
    first = source.sync()
    gone = str(first.added[0].attribute_uuid)
    clock.now += 60
    misp.update_attribute(gone, int(clock.now), deleted=True)
    draft = _new_event(misp, "192.0.2.250", clock.now)  # never published: stays out
    assert draft["publish_timestamp"] == "0"
    update = source.sync()
    assert {key[2] for key in update.removed} == {gone} and update.added == []


def test_an_event_deleted_in_misp_goes_at_the_full_pass(
    misp: FakeMispServer, tmp_path: Path, clock: Clock
) -> None:
    source = _source(misp, tmp_path, clock, full_sync_interval_s=3600)
    first = source.sync()
    victim = next(e for e, a in misp.attributes() if a["uuid"] == first.added[0].attribute_uuid)
    doomed = {str(i.attribute_uuid) for i in first.added if i.event_uuid == victim["uuid"]}
    del misp.state.events[victim["id"]]
    clock.now += 60
    assert source.sync().removed == []  # incremental: MISP says nothing about a deleted event
    clock.now += 3600
    assert {key[2] for key in source.sync().removed} == doomed


def test_restart_gives_the_complete_current_set_incrementally(
    misp: FakeMispServer, tmp_path: Path, clock: Clock
) -> None:
    first = _source(misp, tmp_path, clock).sync()
    cursor = max(int(e["publish_timestamp"]) for e in misp.state.events.values() if e["published"])
    restarted = _source(misp, tmp_path, clock)
    update = restarted.sync()
    assert _searches(misp)[-1]["publish_timestamp"] == cursor - 300  # the overlap, not a full refetch
    assert update.complete and {i.attribute_uuid for i in update.added} == {
        i.attribute_uuid for i in first.added
    }


def test_a_state_from_the_attribute_timestamp_cursor_is_refetched(
    misp: FakeMispServer, tmp_path: Path, clock: Clock
) -> None:
    source = _source(misp, tmp_path, clock)
    source.state_path.parent.mkdir(parents=True)
    source.state_path.write_text(json.dumps({"cursor": int(NOW), "attributes": {}}))  # what 0.x wrote
    update = source.sync()
    assert {i.attribute_uuid for i in update.added} == _expected_uuids(misp)


def test_indicators_past_max_age_expire(misp: FakeMispServer, tmp_path: Path, clock: Clock) -> None:
    stamps = sorted(int(a["timestamp"]) for _, a in misp.attributes())
    clock.now = stamps[len(stamps) // 2] + 1000
    update = _source(misp, tmp_path, clock, max_age_s=1000).sync()
    assert update.added and all((i.timestamp or 0) >= clock.now - 1000 for i in update.added)
    assert len(update.added) < len(_expected_uuids(misp))


def test_a_wrong_key_fails_the_sync_with_a_service_error_that_hides_the_key(
    misp: FakeMispServer, tmp_path: Path, clock: Clock
) -> None:
    wrong = "wrong-key-wrong-key-wrong-key-wrong-key0"
    (tmp_path / "bad.key").write_text(wrong)
    source = MispApiSource(MispApiConfig(url=misp.url, key_file=tmp_path / "bad.key"), tmp_path / "state")
    with pytest.raises(ServiceError) as raised:
        source.sync()
    assert wrong not in raised.value.message and raised.value.hint
    assert not (tmp_path / "state").exists() or not list((tmp_path / "state").rglob("state.json"))


def test_pymisp_sighting_reaches_the_fake(misp: FakeMispServer) -> None:
    client = connect_misp(misp.url, KEY)
    event, attribute = next((e, a) for e, a in misp.attributes() if a.get("to_ids"))
    reply = client.add_sighting({"source": "site-a", "type": "0"}, attribute=attribute["uuid"])
    assert "errors" not in reply and misp.sightings[-1]["attribute_id"] == attribute["id"]
    assert misp.sightings[-1]["source"] == "site-a" and misp.sightings[-1]["event_id"] == event["id"]


def test_a_key_replaced_in_its_file_is_taken_at_the_next_sync(
    misp: FakeMispServer, tmp_path: Path, clock: Clock
) -> None:
    """`minisoc up` may replace the key with the one MISP made: no restart needed to use it."""
    source = _source(misp, tmp_path, clock)
    source.sync()
    del misp.state.keys[KEY]  # revoked in MISP...
    new_key = misp.state.add_key("1")
    (tmp_path / "misp.key").write_text(new_key)  # ...and replaced in the file
    with pytest.raises(ServiceError):
        source.sync()  # the client in hand still has the old key
    clock.now += 60
    assert source.sync().removed == []
    assert misp.requests[-1][1] == "attributes/restSearch"
