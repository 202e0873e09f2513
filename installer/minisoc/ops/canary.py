"""The verify canary: a unique synthetic indicator and a Zeek log line that must match it (pure builders)."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymisp import MISPEvent, MISPOrganisation

CANARY_DOMAIN_SUFFIX = "verify.minisoc.invalid"  # .invalid: can never resolve or collide with real traffic
CANARY_ORG_UUID = "6f1d3c9e-5c52-4d0e-9d4a-6d696e69736f"  # stable: the site's canary "organisation"


@dataclass(frozen=True)
class Canary:
    token: str
    domain: str
    uid: str  # the Zeek uid of the canary log line: how verify finds its alert
    event_uuid: str

    @property
    def log_file_name(self) -> str:
        return f"minisoc-verify-{self.token}.dns.log"


def new_canary() -> Canary:
    token = secrets.token_hex(8)
    return Canary(
        token=token,
        domain=f"c{token}.{CANARY_DOMAIN_SUFFIX}",
        uid=f"Cverify{token}",
        event_uuid=str(uuid.uuid4()),
    )


def canary_feed_event(
    canary: Canary, site: str, now: datetime, flow_address: str | None = None
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(event, manifest entry, hashes) for a MISP feed, built by PyMISP's own feed export; `flow_address`:
    an `ip-dst` too, for the canary flow through the flow collector (ops/flow_canary.py)."""
    event = MISPEvent()
    event.uuid = canary.event_uuid
    event.info = f"minisoc verify canary {canary.token} ({site})"
    organisation = MISPOrganisation()
    organisation.name = f"minisoc-{site}"
    organisation.uuid = CANARY_ORG_UUID
    event.Orgc = organisation
    event.published = True
    event.threat_level_id = 4
    event.analysis = 2
    event.set_date(now.date())
    event.timestamp = now
    event.add_attribute("domain", canary.domain, to_ids=True, comment="minisoc verify canary: safe to ignore")
    if flow_address is not None:
        event.add_attribute("ip-dst", flow_address, to_ids=True,
                            comment="minisoc verify canary: safe to ignore")
    exported: dict[str, Any] = event.to_feed(with_meta=True)["Event"]
    manifest = exported.pop("_manifest")[canary.event_uuid]
    hashes = list(exported.pop("_hashes"))
    return exported, manifest, hashes


def canary_log_line(canary: Canary, now: datetime) -> str:
    """One Zeek dns.log JSON record that queries the canary domain (documentation addresses, RFC 5737)."""
    record = {
        "ts": now.astimezone(UTC).timestamp(),
        "uid": canary.uid,
        "id.orig_h": "192.0.2.10",
        "id.orig_p": 53535,
        "id.resp_h": "198.51.100.53",
        "id.resp_p": 53,
        "proto": "udp",
        "trans_id": 4242,
        "query": canary.domain,
        "qclass": 1,
        "qclass_name": "C_INTERNET",
        "qtype": 1,
        "qtype_name": "A",
        "rcode": 3,
        "rcode_name": "NXDOMAIN",
        "AA": False,
        "TC": False,
        "RD": True,
        "RA": False,
        "Z": 0,
        "rejected": False,
    }
    return json.dumps(record, separators=(",", ":")) + "\n"
