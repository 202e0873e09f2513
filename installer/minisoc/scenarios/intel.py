"""A scenario's MISP events into a copy, and out again.

Where they go, as `minisoc verify` sends its canary: the copy's local MISP (its API at `ports.misp`, with the
admin key: the correlator's own key may not publish) when the copy runs one; otherwise the copy's
`intel.local_feed_dir`, the MISP feed its feed server serves (an external MISP, a community's, is never
written to). Each event is stamped with the time of the run (its `timestamp` and `publish_timestamp`), so
the correlator fetches it again after a reset.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from minisoc.correlator.clients.misp import checked
from minisoc.errors import UsageError
from minisoc.ops.access import Site
from minisoc.ops.feed_dir import publish_event, remove_event
from minisoc.ops.misp_provision import misp_client
from minisoc.render.secrets import MISP_ADMIN_KEY
from minisoc.scenarios.library import IntelEvent

HTTP_NOT_FOUND = 404
SIGHTING_FALSE_POSITIVE = "1"  # MISP's sighting types: 0 seen, 1 false positive, 2 expiration


@dataclass(frozen=True)
class IntelTarget:
    """The local feed folder (`feed_dir`), or a MISP (`misp_url`, read with the admin key in `site`)."""

    site: Site
    feed_dir: Path | None = None
    misp_url: str | None = None

    @property
    def description(self) -> str:
        return f"MISP at {self.misp_url}" if self.misp_url else f"MISP feed {self.feed_dir}"


# Where a copy's intel goes (`intel_target`); tests give a MISP fake's URL in place of the published port
IntelFor = Callable[[Site], IntelTarget]


def intel_target(site: Site) -> IntelTarget:
    profile = site.profile
    if profile.runs_local_misp and profile.ports.misp is not None:
        return IntelTarget(site, misp_url=f"https://127.0.0.1:{profile.ports.misp.port}")
    if site.paths.local_feed_dir is not None:
        return IntelTarget(site, feed_dir=site.paths.local_feed_dir)
    raise UsageError(
        f"{site.site_dir}: nowhere to load the scenario's intel (no local MISP published, no "
        "intel.local_feed_dir)",
        "set intel.local_feed_dir (a MISP feed folder the feed server serves) or ports.misp in minisoc.yaml",
    )


def stamped(event: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A copy of the event published at `now` (pure)."""
    fresh = copy.deepcopy(event)
    moment = str(int(now.timestamp()))
    fresh["timestamp"] = moment
    fresh["publish_timestamp"] = moment
    fresh["published"] = True
    fresh["date"] = now.date().isoformat()
    return fresh


def feed_files(event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(event, manifest entry, hashes.csv rows) by PyMISP's own feed export."""
    from pymisp import MISPEvent

    loaded = MISPEvent()
    loaded.from_dict(**event)
    exported: dict[str, Any] = loaded.to_feed(with_meta=True)["Event"]
    manifest = exported.pop("_manifest")[str(event["uuid"])]
    hashes = list(exported.pop("_hashes"))
    return exported, manifest, hashes


def load_intel(target: IntelTarget, events: Sequence[IntelEvent], now: datetime) -> None:
    if target.feed_dir is not None:
        for intel in events:
            exported, manifest, hashes = feed_files(stamped(intel.event, now))
            publish_event(target.feed_dir, intel.uuid, exported, manifest, hashes)
        return
    client = _misp(target)
    for intel in events:
        if _event_id(client, intel.uuid) is not None:
            checked(client.delete_event(intel.uuid), f"replacing event {intel.uuid}")
        event = stamped(intel.event, now)
        event["distribution"] = 0  # this organisation only: the correlator's user is in it
        checked(client.add_event({"Event": event}, pythonify=False), f"adding event {intel.uuid}",
                "the admin key must be able to add events")
        checked(client.publish(intel.uuid), f"publishing event {intel.uuid}", "the key needs publish rights")


def remove_intel(target: IntelTarget, events: Sequence[IntelEvent]) -> int:
    """Take the scenario's events out; how many were there."""
    removed = 0
    if target.feed_dir is not None:
        for intel in events:
            removed += (target.feed_dir / f"{intel.uuid}.json").is_file()
            remove_event(target.feed_dir, intel.uuid)
        return removed
    client = _misp(target)
    for intel in events:
        if _event_id(client, intel.uuid) is not None:
            checked(client.delete_event(intel.uuid), f"deleting event {intel.uuid}")
            removed += 1
    return removed


def false_positive_values(target: IntelTarget, events: Sequence[IntelEvent]) -> set[str] | None:
    """The indicator values (lower case) that hold a false-positive sighting (type 1) in the copy's MISP, on
    the scenario's events: what `minisoc alerts ack ID --false-positive` sent. None when the copy has no MISP
    (its intel is a feed, which takes no sightings): grading then reads the correlator's own record, the
    alert's `false_positive` mark. A deleted event (a reset) takes its sightings with it."""
    if target.misp_url is None:
        return None
    client = _misp(target)
    values: set[str] = set()
    for intel in events:
        event_id = _event_id(client, intel.uuid)
        if event_id is None:
            continue
        query = {"returnFormat": "json", "id": event_id}  # sightings/restSearch takes the numeric id only
        reply = checked(client.direct_call("sightings/restSearch/event", query),
                        f"reading the sightings of event {intel.uuid}")
        rows = reply.get("response") if isinstance(reply, dict) else reply  # PyMISP unwraps `response`
        for row in rows if isinstance(rows, list) else []:
            sighting = row.get("Sighting") or {}
            if str(sighting.get("type")) == SIGHTING_FALSE_POSITIVE:
                values.add(str(sighting.get("value", "")).lower())
    return values


def _event_id(client: Any, uuid: str) -> int | None:
    """MISP's numeric id of the event, None when MISP has no such event (events/view answers 404). Not
    PyMISP's event_exists: its HEAD request is not among the calls recorded from a real MISP."""
    reply = client.get_event(uuid, pythonify=False)
    errors = reply.get("errors") if isinstance(reply, dict) else None
    if isinstance(errors, tuple | list) and errors and errors[0] == HTTP_NOT_FOUND:
        return None
    event = checked(reply, f"reading event {uuid}")
    return int(event["Event"]["id"])


def _misp(target: IntelTarget) -> Any:
    assert target.misp_url is not None
    site = target.site
    key = site.read_secret(MISP_ADMIN_KEY.name)
    return misp_client(target.misp_url, key, site.profile, site.misp_ca_file())
