"""verify's canary flow (ops/flow_canary.py): a documentation address per run, the indicator in the canary
event, one IPFIX flow to the collector's port, the alert query."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

from minisoc.ops.canary import canary_feed_event, new_canary
from minisoc.ops.flow_canary import (
    canary_flow,
    canary_flow_address,
    canary_source_port,
    collector_target,
    flow_alert_query,
)
from minisoc.profile.model import PortBinding, Ports

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def test_the_canary_address_is_a_documentation_address_and_varies_per_run() -> None:
    canaries = [new_canary() for _ in range(50)]
    addresses = {canary_flow_address(c) for c in canaries}
    assert all(ipaddress.IPv4Address(a) in ipaddress.IPv4Network("203.0.113.0/24") for a in addresses)
    assert not any(a.endswith((".0", ".255")) for a in addresses)
    assert len({(canary_flow_address(c), canary_source_port(c)) for c in canaries}) == 50
    assert all(1024 <= canary_source_port(c) < 65536 for c in canaries)


def test_the_canary_event_carries_the_flow_address_only_when_asked() -> None:
    canary = new_canary()
    plain, _, _ = canary_feed_event(canary, "ci", NOW)
    with_flow, _, _ = canary_feed_event(canary, "ci", NOW, canary_flow_address(canary))
    assert [a["type"] for a in plain["Attribute"]] == ["domain"]
    flows = [a for a in with_flow["Attribute"] if a["type"] == "ip-dst"]
    assert [a["value"] for a in flows] == [canary_flow_address(canary)] and flows[0]["to_ids"]


def test_the_canary_flow_and_its_alert_query_name_the_same_flow() -> None:
    canary = new_canary()
    flow = canary_flow(canary, NOW)
    assert (flow.dst, flow.src_port) == (canary_flow_address(canary), canary_source_port(canary))
    assert flow.end == NOW
    filters = flow_alert_query(canary)["query"]["bool"]["filter"]
    assert {"term": {"event.dataset": "netflow"}} in filters
    assert {"term": {"destination.ip": flow.dst}} in filters
    assert {"term": {"source.port": flow.src_port}} in filters


def test_the_flow_goes_to_the_ipfix_port_else_the_netflow_one() -> None:
    assert collector_target(Ports()) == ("127.0.0.1", 4739)
    assert collector_target(Ports(ipfix=None)) == ("127.0.0.1", 2055)
    exposed = Ports(ipfix=PortBinding(port=4739, expose=True))
    assert collector_target(exposed) == ("127.0.0.1", 4739)  # 0.0.0.0: reached on loopback
    assert collector_target(Ports(ipfix=None, netflow=None)) is None
