"""Values the Zeek sensor's templates need beyond the profile's own: intel expiry and the AF_PACKET group."""

from __future__ import annotations

import hashlib
from typing import Any

from minisoc.correlator.export import ZEEK_ITEM_EXPIRATION_S
from minisoc.profile.model import SiteProfile

ZEEK_BINARY = "/usr/local/zeek/bin/zeek"  # the zeek/zeek image: no entrypoint, runs as root, zeek in here
# PACKET_FANOUT takes `fanout_id & 0xffff`; ids below 1024 stay free for hand-run sensors (Zeek's default: 23)
FANOUT_ID_MIN, FANOUT_ID_MAX = 1024, 0xFFFF


def fanout_id(project_name: str) -> int:
    """This site's AF_PACKET fanout group, stable for its compose project name.

    Sockets on one host that share a fanout id split the traffic between them: two sites' sensors on the same
    interface with Zeek's default id would each see part of it. A hash of the project (site name plus id)
    gives every site its own group."""
    digest = hashlib.sha256(project_name.encode("utf-8")).digest()
    return FANOUT_ID_MIN + int.from_bytes(digest[:4], "big") % (FANOUT_ID_MAX - FANOUT_ID_MIN + 1)


def zeek_context(profile: SiteProfile) -> dict[str, Any]:
    return {
        "binary": ZEEK_BINARY,
        "fanout_id": fanout_id(profile.project_name),
        # the correlator rewrites its export more than twice within this (see correlator/export.py)
        "intel_item_expiration_s": ZEEK_ITEM_EXPIRATION_S,
    }
