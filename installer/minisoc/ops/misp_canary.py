"""The canary through a MISP server: publish an event, wait for the correlator's sighting, delete the event.

Exercised only where a MISP server runs (none can on the build machines; see docs/operations.md).
"""

from __future__ import annotations

import time

from minisoc.ops.access import Site
from minisoc.ops.canary import Canary
from minisoc.ops.checks import Check
from minisoc.ops.misp_provision import misp_client


def publish_misp_canary(site: Site, misp: tuple[str, str], canary: Canary) -> None:
    from pymisp import MISPEvent

    client = misp_client(misp[0], misp[1], site.profile.intel.misp.verify_tls)
    event = MISPEvent()
    event.uuid = canary.event_uuid
    event.info = f"minisoc verify canary {canary.token}"
    event.distribution = 0  # this organisation only
    event.add_attribute("domain", canary.domain, to_ids=True, comment="minisoc verify canary: safe to ignore")
    client.add_event(event)
    client.publish(canary.event_uuid)


def await_sighting(site: Site, misp: tuple[str, str], canary: Canary, timeout_s: float) -> Check:
    client = misp_client(misp[0], misp[1], site.profile.intel.misp.verify_tls)
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        sightings = client.search_sightings(context="event", context_id=canary.event_uuid)
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
    client = misp_client(misp[0], misp[1], site.profile.intel.misp.verify_tls)
    client.delete_event(canary.event_uuid)
