"""The NetFlow v9 / IPFIX builder against an independent decoder written from RFC 3954 and RFC 7011.

The decoder is first held to softflowd's own export of sshguess.pcap (two datagrams captured from softflowd
1.1.0, tests/data/netflow): it must find the capture's 22 flow records there, so it is not just the builder's
mirror. Then the builder's packets must decode to the flows that went in. (pmacct's decoding of the same
packets: tests/integration/test_flow_packets_nfacctd.py and the e2e collector tests.)
"""

from __future__ import annotations

import ipaddress
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from minisoc.ops.flow_packets import Flow, ipfix_message, netflow_v9_packet

DATA = Path(__file__).resolve().parents[2] / "data" / "netflow"
NOW = datetime(2026, 12, 5, 7, 30, 0, 123000, tzinfo=UTC)


def decode(packet: bytes) -> tuple[dict[str, int], list[dict[int, Any]]]:
    """(header, data records as {element id: value}) of one v9 or IPFIX packet; templates from the packet
    only; options templates and their data are skipped."""
    version = struct.unpack("!H", packet[:2])[0]
    if version == 9:
        _, count, uptime, secs, seq, source = struct.unpack("!HHIIII", packet[:20])
        header = {"version": 9, "count": count, "uptime": uptime, "secs": secs, "sequence": seq, "id": source}
        offset, template_set, options_set = 20, 0, 1
    else:
        assert version == 10
        _, length, secs, seq, domain = struct.unpack("!HHIII", packet[:16])
        assert length == len(packet)
        header = {"version": 10, "secs": secs, "sequence": seq, "id": domain, "sets": 0}
        offset, template_set, options_set = 16, 2, 3
    templates: dict[int, list[tuple[int, int]]] = {}
    records: list[dict[int, Any]] = []
    sets = 0
    while offset + 4 <= len(packet):
        set_id, set_length = struct.unpack("!HH", packet[offset:offset + 4])
        body = packet[offset + 4:offset + set_length]
        sets += 1
        if set_id == template_set:
            cursor = 0
            while cursor + 4 <= len(body):
                template_id, field_count = struct.unpack("!HH", body[cursor:cursor + 4])
                if template_id == 0:
                    break  # padding
                fields = [struct.unpack("!HH", body[cursor + 4 + 4 * n:cursor + 8 + 4 * n])
                          for n in range(field_count)]
                templates[template_id] = fields
                cursor += 4 + 4 * field_count
        elif set_id >= 256 and set_id in templates:
            fields = templates[set_id]
            size = sum(length for _, length in fields)
            for start in range(0, len(body) - size + 1, size):
                record, cursor = {}, start
                for element, length in fields:
                    raw = body[cursor:cursor + length]
                    record[element] = (str(ipaddress.IPv4Address(raw)) if element in (8, 12)
                                       else int.from_bytes(raw, "big"))
                    cursor += length
                records.append(record)
        elif set_id != options_set and set_id < 256:
            raise AssertionError(f"unknown set id {set_id}")
        offset += set_length
    header["sets"] = sets
    return header, records


def test_the_decoder_reads_softflowds_export_of_sshguess() -> None:
    for name in ("softflowd-sshguess.v9.bin", "softflowd-sshguess.ipfix.bin"):
        _, records = decode((DATA / name).read_bytes())
        flows = [r for r in records if 8 in r]
        assert len(flows) == 22, name  # 11 SSH connections, both directions (softflowd: "22 records")
        first = next(r for r in flows if r[8] == "192.168.56.1" and r[7] == 55470)
        assert (first[12], first[11], first[4], first[2], first[1]) == ("192.168.56.103", 22, 6, 26, 4249)


def _flows() -> tuple[Flow, ...]:
    return (
        Flow("192.0.2.10", "203.0.113.7", 40001, 443, packets=5, octets=900,
             start=NOW - timedelta(seconds=3), end=NOW, tcp_flags=0x1B, tos=0x20),
        Flow("198.51.100.1", "192.0.2.99", 53, 5353, protocol=17, packets=1, octets=76, start=NOW, end=NOW),
    )


def test_an_ipfix_message_decodes_to_its_flows() -> None:
    header, records = decode(ipfix_message(_flows(), export_time=NOW, sequence=7, domain_id=3))
    assert (header["secs"], header["sequence"], header["id"]) == (int(NOW.timestamp()), 7, 3)
    assert header["sets"] == 2
    first, second = records
    assert (first[8], first[12], first[7], first[11]) == ("192.0.2.10", "203.0.113.7", 40001, 443)
    assert first[4] == 6
    assert (first[2], first[1], first[6], first[5]) == (5, 900, 0x1B, 0x20)
    assert (first[152], first[153]) == (int((NOW - timedelta(seconds=3)).timestamp() * 1000),
                                        int(NOW.timestamp() * 1000))
    assert (second[4], second[7], second[11]) == (17, 53, 5353)


def test_a_v9_packet_decodes_to_its_flows_with_uptime_relative_times() -> None:
    boot = NOW - timedelta(hours=5)
    header, records = decode(netflow_v9_packet(_flows(), export_time=NOW, boot=boot, sequence=4, source_id=9))
    assert header["uptime"] == 5 * 3600 * 1000
    assert header["count"] == 3  # RFC 3954: every record, the template included (softflowd counts data only)
    first = records[0]
    assert (first[22], first[21]) == (header["uptime"] - 3000, header["uptime"])
    assert (first[8], first[12], first[2], first[1]) == ("192.0.2.10", "203.0.113.7", 5, 900)


def test_template_and_data_can_be_sent_apart() -> None:
    alone = ipfix_message(_flows(), export_time=NOW, template=False)
    header, records = decode(alone)
    assert header["sets"] == 1 and records == []  # no template in this message: nothing decodable alone
    template_only = netflow_v9_packet((), export_time=NOW, boot=NOW, data=False)
    assert decode(template_only)[0]["count"] == 1
