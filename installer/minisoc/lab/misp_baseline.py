"""A copy's MISP at the lab's start, and `lab reset` back to it.

`minisoc lab up` records, once per copy, the highest MISP event id there is when the copy first comes up
healthy (after provisioning: the correlator's user and key, the profile's feeds), in the copy's ops state
(`.minisoc-state/ops.json`, key `lab_misp_baseline`). `lab reset` then deletes every event with a higher id:
what students made, and what a scenario loaded since (`minisoc scenario run` loads it again). MISP numbers
events in the order it creates them, and deleting an event deletes its attributes and their sightings (MISP's
Event and Attribute models hold them as dependent rows), so the false positives students reported on those
events go with them.

Not reset: sightings, tags or edits students made on events that were there at the start (the recorded MISP
answers hold no sighting deletion to build that on), and users, organisations and feeds (provisioning's).
Everything goes through the one MISP client (`minisoc.ops.misp_provision.misp_client`) and `checked`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from minisoc.correlator.clients.misp import checked
from minisoc.errors import MinisocError, UsageError
from minisoc.ops.access import Site
from minisoc.ops.checks import Check, Report
from minisoc.ops.misp_provision import misp_client

BASELINE_STATE_KEY = "lab_misp_baseline"
MISP_ADMIN_KEY = "misp-admin-key"
ClientFor = Callable[[Site], Any]  # a PyMISP client for the copy's MISP (tests give one for the fake MISP)


def local_misp_client(site: Site) -> Any:
    """The admin's client for the copy's own MISP (as `minisoc verify` reaches it: 127.0.0.1, its port)."""
    misp = site.profile.ports.misp
    if misp is None:
        raise UsageError(f"{site.site_dir}: ports.misp is not set", "publish MISP's port in minisoc.yaml")
    url = f"https://127.0.0.1:{misp.port}"
    return misp_client(url, site.read_secret(MISP_ADMIN_KEY), site.profile, site.misp_ca_file())


def event_ids(client: Any) -> list[int]:
    """The ids of every event the admin sees (events/restSearch, metadata only)."""
    reply = checked(
        client.direct_call("events/restSearch", {"returnFormat": "json", "metadata": True}), "listing events"
    )
    rows = reply.get("response", []) if isinstance(reply, dict) else reply
    return sorted(int(row["Event"]["id"]) for row in rows or [] if isinstance(row, dict) and "Event" in row)


def events_after(ids: Sequence[int], baseline_max_id: int) -> list[int]:
    """The events created after the baseline (pure)."""
    return sorted(event_id for event_id in ids if event_id > baseline_max_id)


def take_baseline(client: Any, now: datetime) -> dict[str, Any]:
    ids = event_ids(client)
    return {"max_event_id": max(ids, default=0), "events": len(ids), "taken": now.isoformat()}


def read_baseline(site: Site) -> dict[str, Any] | None:
    found = site.paths.read_state().get(BASELINE_STATE_KEY)
    return found if isinstance(found, dict) and isinstance(found.get("max_event_id"), int) else None


def record_baseline(site: Site, now: datetime, client_for: ClientFor = local_misp_client) -> Check:
    """Record the copy's MISP start once (a later `lab up` keeps the first one)."""
    known = read_baseline(site)
    if known is not None:
        return Check("misp baseline", True, f"kept the one of {known['taken']} (event ids up to "
                     f"{known['max_event_id']} are the lab's start)")  # fmt: skip
    try:
        baseline = take_baseline(client_for(site), now)
    except MinisocError as error:
        fix = f"run `minisoc lab up` again once MISP answers; {error.hint or ''}".rstrip("; ")
        return Check("misp baseline", False, f"MISP's start was not recorded: {error.message}", fix)
    site.paths.update_state(**{BASELINE_STATE_KEY: baseline})
    return Check("misp baseline", True, f"{baseline['events']} event(s) at the lab's start (ids up to "
                 f"{baseline['max_event_id']}): `minisoc lab reset` deletes the ones made after")  # fmt: skip


def reset_to_baseline(site: Site, client_for: ClientFor = local_misp_client) -> list[Check]:
    """Delete the copy's MISP events created after its recorded start (a `MispReset` for `reset_copy`)."""
    baseline = read_baseline(site)
    if baseline is None:
        return [Check(
            "misp", False, "no MISP start recorded for this copy, so nothing in MISP was deleted",
            "bring the copy up with `minisoc lab up LAB_DIR --only K` (it records MISP's start), then reset",
        )]  # fmt: skip
    client = client_for(site)
    doomed = events_after(event_ids(client), int(baseline["max_event_id"]))
    for event_id in doomed:
        checked(client.delete_event(event_id), f"deleting event {event_id}",
                "the admin key (secrets/misp-admin-key) must be a site admin's")  # fmt: skip
    return [Check("misp", True, f"{len(doomed)} event(s) made after the lab's start deleted, with their "
                  f"attributes and sightings; the {baseline['events']} of the start kept")]  # fmt: skip


def with_baseline(report: Report, site: Site, now: datetime,
                  client_for: ClientFor = local_misp_client) -> Report:
    """`lab up`'s report of a copy, plus its MISP baseline when the copy runs MISP and came up healthy."""
    if not report.ok or not site.profile.runs_local_misp:
        return report
    return Report(report.title, [*report.checks, record_baseline(site, now, client_for)])
