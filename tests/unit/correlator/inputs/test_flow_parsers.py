"""The flow parser on the JSON each collector writes: pmacct (nfacctd print/kafka plugins), goflow2 (its JSON
formatter's snake_case keys, and the CamelCase of goflow and goflow2 v1) and `nfdump -o json`; a flow that
names no address, or JSON that is no flow, is refused with its reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from minisoc.correlator.flows import FlowParser
from minisoc.correlator.flows.record import REASON_NOT_A_FLOW
from minisoc.correlator.malformed import MalformedLine

START = datetime(2026, 12, 4, 21, 15, 50, tzinfo=UTC).timestamp()

PMACCT = {"event_type": "purge", "peer_ip_src": "192.0.2.1", "iface_in": 2, "iface_out": 3,
          "ip_src": "192.0.2.10", "ip_dst": "203.0.113.9", "port_src": 51234, "port_dst": 443,
          "tcp_flags": "24",
          "ip_proto": "tcp", "tos": 0, "timestamp_start": "2026-12-04 21:15:50.000000",
          "timestamp_end": "2026-12-04 21:15:58.000000", "timestamp_arrival": "2026-12-04 21:16:00.000000",
          "stamp_inserted": "2026-12-04 21:15:00", "stamp_updated": "2026-12-04 21:16:01", "packets": 10,
          "bytes": 1234, "writer_id": "default_print/1234"}
GOFLOW2 = {"type": "IPFIX", "time_received_ns": 1796418953123456789, "sequence_num": 12, "sampling_rate": 0,
           "sampler_address": "192.0.2.1", "time_flow_start_ns": int(START * 1e9), "time_flow_end_ns":
           int((START + 3) * 1e9), "bytes": 1500, "packets": 3, "src_addr": "2001:db8::10",
           "dst_addr": "2001:DB8:bad::9", "etype": "IPv6", "proto": "UDP", "src_port": 5353, "dst_port": 53,
           "in_if": 1, "out_if": 2, "src_mac": "52:54:00:12:34:56", "dst_mac": "52:54:00:65:43:21",
           "forwarding_status": 0, "ip_ttl": 64, "tcp_flags": 0, "icmp_type": 0, "icmp_code": 0, "src_as": 0,
           "dst_as": 0, "next_hop": "", "next_hop_as": 0, "src_net": "0.0.0.0/0", "dst_net": "0.0.0.0/0"}
GOFLOW_V1 = {"Type": "NETFLOW_V5", "TimeReceived": int(START) + 5, "SequenceNum": 1, "SamplingRate": 0,
             "SamplerAddress": "192.0.2.1", "TimeFlowStart": int(START), "TimeFlowEnd": int(START) + 3,
             "Bytes": 840, "Packets": 10, "SrcAddr": "192.0.2.10", "DstAddr": "203.0.113.9", "Etype": 2048,
             "Proto": 6, "SrcPort": 51234, "DstPort": 443, "InIf": 1, "OutIf": 2}
NFDUMP = {"type": "FLOW", "sampled": 0, "export_sysid": 1, "t_first": "2026-12-04T21:15:50.000",
          "t_last": "2026-12-04T21:15:53.456", "proto": 6, "src4_addr": "192.0.2.10",
          "dst4_addr": "203.0.113.9",
          "src_port": 51234, "dst_port": 443, "fwd_status": 0, "tcp_flags": "...AP.S.", "src_tos": 0,
          "in_packets": 10, "in_bytes": 1234, "ip4_router": "192.0.2.1", "label": "<none>"}


def parse(record: dict[str, Any], *, spaced: bool = False) -> dict[str, Any]:
    line = json.dumps(record, separators=(", ", " : ") if spaced else (",", ":")).encode()
    parsed = FlowParser("/logs/netflow/flows-2026-12-04.json").parse(line, 0)
    assert parsed.log_type == "netflow" and parsed.ts == pytest.approx(START)
    return parsed.fields


def test_pmacct() -> None:
    fields = parse(PMACCT)
    assert fields["netflow.collector"] == "pmacct"
    assert (fields["source.ip"], fields["source.port"]) == ("192.0.2.10", 51234)
    assert (fields["destination.ip"], fields["destination.port"]) == ("203.0.113.9", 443)
    assert (fields["network.transport"], fields["network.iana_number"]) == ("tcp", "6")
    assert (fields["network.bytes"], fields["network.packets"]) == (1234, 10)
    assert fields["observer.ip"] == "192.0.2.1"
    assert fields["event.start"] == "2026-12-04T21:15:50.000000+00:00"
    epoch = dict(PMACCT, timestamp_start=f"{START:.6f}")  # timestamps_since_epoch: true
    assert parse(epoch)["event.start"] == fields["event.start"]


def test_goflow2_snake_case_nanoseconds_and_ipv6() -> None:
    fields = parse(GOFLOW2)
    assert fields["netflow.collector"] == "goflow2" and fields["netflow.type"] == "IPFIX"
    assert (fields["source.ip"], fields["destination.ip"]) == ("2001:db8::10", "2001:db8:bad::9")  # canonical
    assert (fields["network.transport"], fields["network.iana_number"], fields["destination.port"]) == (
        "udp", "17", 53)
    assert fields["event.end"] == "2026-12-04T21:15:53.000000+00:00" and fields["observer.ip"] == "192.0.2.1"


def test_goflow_camel_case_seconds_and_protocol_numbers() -> None:
    fields = parse(GOFLOW_V1)
    assert fields["netflow.collector"] == "goflow" and fields["netflow.type"] == "NETFLOW_V5"
    assert (fields["destination.ip"], fields["destination.port"], fields["network.transport"]) == (
        "203.0.113.9", 443, "tcp")


def test_nfdump_json_spaced_as_it_prints_it() -> None:
    fields = parse(NFDUMP, spaced=True)
    assert fields["netflow.collector"] == "nfdump" and fields["network.transport"] == "tcp"
    assert (fields["source.ip"], fields["destination.ip"], fields["network.bytes"]) == (
        "192.0.2.10", "203.0.113.9", 1234)
    v6 = {key: value for key, value in NFDUMP.items() if key not in ("src4_addr", "dst4_addr")}
    v6 = dict(v6, src6_addr="2001:db8::1", dst6_addr="2001:db8::2")
    assert parse(v6)["destination.ip"] == "2001:db8::2"


@pytest.mark.parametrize("line", [
    b'{"ip_src": "not an address", "ip_dst": "also not"}',
    b'{"some": "object", "of": "another tool"}',
])
def test_json_that_is_no_flow_is_refused(line: bytes) -> None:
    with pytest.raises(MalformedLine) as refused:
        FlowParser(None).parse(line, 0)
    assert refused.value.reason == REASON_NOT_A_FLOW


def test_bad_values_are_left_out_not_fatal() -> None:
    fields = parse(dict(PMACCT, port_src=70000, port_dst="https", bytes=-5, ip_proto=""))
    assert "source.port" not in fields and "destination.port" not in fields and "network.bytes" not in fields
    assert "network.transport" not in fields and fields["destination.ip"] == "203.0.113.9"
