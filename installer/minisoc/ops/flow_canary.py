"""verify's canary through the flow collector: the canary indicator gets an `ip-dst` (an RFC 5737
documentation address drawn from the run's token, never routed), one IPFIX flow to it is sent to the
collector's published UDP port, and the alert it raises (`event.dataset: netflow`) must become searchable.

The flow record itself stays in logs/netflow/flows-*.json (the collector's file is append-only; the address
says what it was) and in the netflow log index; only the alert is removed with the canary.
"""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta
from typing import Any

from minisoc.compose.runner import wait_until
from minisoc.errors import MinisocError, ReadinessTimeout
from minisoc.ops.access import Site
from minisoc.ops.canary import Canary
from minisoc.ops.checks import Check
from minisoc.ops.flow_packets import Flow, ipfix_message
from minisoc.ops.health import timed
from minisoc.profile.model import Ports
from minisoc.site.layout import ALERTS_INDEX

CANARY_NET = "203.0.113."  # TEST-NET-3 (RFC 5737); the Zeek canary line uses TEST-NET-1 and -2
CANARY_SOURCE = "198.51.100.200"
CANARY_DST_PORT = 443


def canary_flow_address(canary: Canary) -> str:
    """203.0.113.1-254, from the run's token (with the source port, what tells this run's flow apart)."""
    return f"{CANARY_NET}{1 + int(canary.token[:4], 16) % 254}"


def canary_source_port(canary: Canary) -> int:
    return 1024 + int(canary.token[4:8], 16) % 64000


def canary_flow(canary: Canary, now: datetime) -> Flow:
    return Flow(CANARY_SOURCE, canary_flow_address(canary), canary_source_port(canary), CANARY_DST_PORT,
                packets=3, octets=180, start=now - timedelta(seconds=1), end=now, tcp_flags=0x02)


def collector_target(ports: Ports) -> tuple[str, int] | None:
    """Where verify sends the flow: the IPFIX port, else the NetFlow one (one socket takes both)."""
    for binding in (ports.ipfix, ports.netflow):
        if binding is not None:
            address = binding.host_address
            return ("127.0.0.1" if address in {"0.0.0.0", "::"} else address), binding.port  # noqa: S104
    return None


def send_flow_canary(site: Site, canary: Canary, now: datetime) -> Check:
    started = time.monotonic()
    target = collector_target(site.profile.ports)
    if target is None:
        return timed("canary flow", started, False, "ports.netflow and ports.ipfix are both unset",
                     "publish ports.ipfix (or ports.netflow) so verify can reach the collector")
    message = ipfix_message((canary_flow(canary, now),), export_time=now,
                            domain_id=int(canary.token[:8], 16))
    family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sender:
            sender.sendto(message, target)
    except OSError as error:
        return timed("canary flow", started, False, f"sending to {target[0]}:{target[1]}/udp: {error}",
                     "check `minisoc status` (netflow) and `minisoc logs netflow`")
    return timed("canary flow", started, True, f"IPFIX flow {CANARY_SOURCE} -> "
                 f"{canary_flow_address(canary)}:{CANARY_DST_PORT} sent to {target[0]}:{target[1]}/udp")


def flow_alert_query(canary: Canary) -> dict[str, Any]:
    return {"size": 10, "query": {"bool": {"filter": [
        {"term": {"event.dataset": "netflow"}},
        {"term": {"destination.ip": canary_flow_address(canary)}},
        {"term": {"source.port": canary_source_port(canary)}},
    ]}}}


def find_flow_alerts(site: Site, canary: Canary) -> list[dict[str, Any]]:
    status, body = site.opensearch(timeout_s=5).request("POST", f"/{ALERTS_INDEX}*/_search",
                                                         flow_alert_query(canary))
    if status != 200 or not isinstance(body, dict):
        return []
    hits: list[dict[str, Any]] = body.get("hits", {}).get("hits", [])
    return hits


def await_flow_alert(site: Site, canary: Canary, sent_at: float, timeout_s: float) -> tuple[Check, list[str]]:
    found: list[dict[str, Any]] = []

    def alert_found() -> bool:
        try:
            found[:] = find_flow_alerts(site, canary)
        except MinisocError:
            return False
        return bool(found)

    try:
        wait_until(alert_found, what="canary flow alert", timeout_s=timeout_s, interval_s=1.0)
    except ReadinessTimeout:
        return Check("canary flow alert", False,
                     f"no netflow alert for {canary_flow_address(canary)} after {timeout_s:.0f}s",
                     "check `minisoc status` (netflow collector, input netflow) and `minisoc logs netflow`",
                     seconds=round(time.monotonic() - sent_at, 3)), []
    ids = [f"{hit['_index']}/{hit['_id']}" for hit in found]
    return Check("canary flow alert", True, f"{len(found)} netflow alert(s) searchable in OpenSearch",
                 seconds=round(time.monotonic() - sent_at, 3)), ids

