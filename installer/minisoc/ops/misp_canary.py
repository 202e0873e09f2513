"""The canary through a MISP server: publish an event, wait for the correlator's sighting, delete the event.

Every answer goes through `checked` (a refusal is an error, not a success). Sightings are searched by the
event's numeric id: MISP answers 400 to a uuid there, which PyMISP returns as `{"errors": ...}`, a non-empty
dict that once passed for "sightings found". The event has distribution 0 (this organisation only): the
correlator's user is in the same organisation (ops/misp_provision.py), so it sees it.
"""

from __future__ import annotations

import time
from typing import Any

from minisoc.correlator.clients.misp import checked
from minisoc.ops.access import Site
from minisoc.ops.canary import Canary
from minisoc.ops.checks import Check
from minisoc.ops.misp_provision import misp_client


def publish_misp_canary(site: Site, misp: tuple[str, str], canary: Canary) -> None:
    from pymisp import MISPEvent

    client = misp_client(misp[0], misp[1], site.profile, site.misp_ca_file())
    event = MISPEvent()
    event.uuid = canary.event_uuid
    event.info = f"minisoc verify canary {canary.token}"
    event.distribution = 0  # this organisation only
    event.add_attribute("domain", canary.domain, to_ids=True, comment="minisoc verify canary: safe to ignore")
    if "netflow" in site.services:  # the canary flow through the collector (ops/flow_canary.py)
        from minisoc.ops.flow_canary import canary_flow_address

        event.add_attribute("ip-dst", canary_flow_address(canary), to_ids=True,
                            comment="minisoc verify canary: safe to ignore")
    checked(client.add_event(event, pythonify=False), "the canary event", "the admin key must be able to add")
    checked(client.publish(canary.event_uuid), "publishing the canary event", "the key needs publish rights")


def canary_sightings(client: Any, event_id: str) -> list[Any]:
    """The sightings MISP holds for the canary event (by numeric id); MispRefused when MISP says no."""
    found = checked(client.search_sightings(context="event", context_id=event_id), "the sightings search")
    return found if isinstance(found, list) else []


def await_sighting(site: Site, misp: tuple[str, str], canary: Canary, timeout_s: float) -> Check:
    client = misp_client(misp[0], misp[1], site.profile, site.misp_ca_file())
    started = time.monotonic()
    event = checked(client.direct_call(f"events/view/{canary.event_uuid}"), "reading the canary event")
    event_id = str(event["Event"]["id"])
    while time.monotonic() - started < timeout_s:
        sightings = canary_sightings(client, event_id)
        if sightings:
            return Check(
                "canary sighting",
                True,
                f"{len(sightings)} sighting(s) in MISP",
                seconds=round(time.monotonic() - started, 3),
            )
        time.sleep(2)
    return Check(
        "canary sighting",
        False,
        f"no sighting after {timeout_s:.0f}s",
        "check sightings.enabled and the correlator's MISP key rights",
        seconds=round(timeout_s, 3),
    )


def remove_misp_canary(site: Site, misp: tuple[str, str], canary: Canary) -> None:
    client = misp_client(misp[0], misp[1], site.profile, site.misp_ca_file())
    checked(client.delete_event(canary.event_uuid), "deleting the canary event")
