"""NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) export packets for IPv4 flows: a small pure builder.

`minisoc verify` sends one to the flow collector (its canary flow); the tests send them to the real collector,
also in the wrong order (data before its template) and cut short. One template, the fields every collector
decodes (the same information elements softflowd exports): addresses, ports, protocol, TOS, TCP flags, the
counters and the flow's start and end.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

IPFIX_VERSION = 10
NETFLOW_V9_VERSION = 9
TEMPLATE_ID = 256  # the first data template id allowed (RFC 7011 3.4.1, RFC 3954 5.2)
IPFIX_TEMPLATE_SET_ID = 2
V9_TEMPLATE_FLOWSET_ID = 0

# (information element id, length in IPFIX, length in NetFlow v9) in record order
_IPV4_SRC, _IPV4_DST, _SRC_PORT, _DST_PORT, _PROTOCOL, _TOS, _TCP_FLAGS = 8, 12, 7, 11, 4, 5, 6
_OCTETS, _PACKETS = 1, 2
_FIRST_SWITCHED, _LAST_SWITCHED = 22, 21  # v9: sysUptime milliseconds
_FLOW_START_MS, _FLOW_END_MS = 152, 153  # IPFIX: flowStart/EndMilliseconds, absolute
IPFIX_FIELDS: tuple[tuple[int, int], ...] = (
    (_IPV4_SRC, 4), (_IPV4_DST, 4), (_SRC_PORT, 2), (_DST_PORT, 2), (_PROTOCOL, 1), (_TOS, 1),
    (_TCP_FLAGS, 1), (_OCTETS, 8), (_PACKETS, 8), (_FLOW_START_MS, 8), (_FLOW_END_MS, 8),
)
V9_FIELDS: tuple[tuple[int, int], ...] = (
    (_IPV4_SRC, 4), (_IPV4_DST, 4), (_SRC_PORT, 2), (_DST_PORT, 2), (_PROTOCOL, 1), (_TOS, 1),
    (_TCP_FLAGS, 1), (_OCTETS, 4), (_PACKETS, 4), (_FIRST_SWITCHED, 4), (_LAST_SWITCHED, 4),
)
PROTOCOLS = {"icmp": 1, "tcp": 6, "udp": 17}


@dataclass(frozen=True)
class Flow:
    """One unidirectional IPv4 flow as a router exports it."""

    src: str
    dst: str
    src_port: int
    dst_port: int
    protocol: int = PROTOCOLS["tcp"]
    packets: int = 1
    octets: int = 60
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    end: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    tos: int = 0
    tcp_flags: int = 0x02  # SYN


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _template_record(fields: tuple[tuple[int, int], ...]) -> bytes:
    body = struct.pack("!HH", TEMPLATE_ID, len(fields))
    return body + b"".join(struct.pack("!HH", element, length) for element, length in fields)


def _set(set_id: int, body: bytes, align: int) -> bytes:
    padding = (-(4 + len(body))) % align
    return struct.pack("!HH", set_id, 4 + len(body) + padding) + body + b"\0" * padding


def _flow_prefix(flow: Flow) -> bytes:
    return (
        ipaddress.IPv4Address(flow.src).packed
        + ipaddress.IPv4Address(flow.dst).packed
        + struct.pack("!HHBBB", flow.src_port, flow.dst_port, flow.protocol, flow.tos, flow.tcp_flags)
    )


def ipfix_record(flow: Flow) -> bytes:
    counters = struct.pack("!QQQQ", flow.octets, flow.packets, _ms(flow.start), _ms(flow.end))
    return _flow_prefix(flow) + counters


def v9_record(flow: Flow, boot: datetime) -> bytes:
    """`boot`: the exporter's boot time; v9 carries flow times as milliseconds of uptime (32 bits)."""
    first, last = ((_ms(moment) - _ms(boot)) & 0xFFFFFFFF for moment in (flow.start, flow.end))
    return _flow_prefix(flow) + struct.pack("!IIII", flow.octets, flow.packets, first, last)


def ipfix_message(
    flows: tuple[Flow, ...],
    *,
    export_time: datetime,
    sequence: int = 0,
    domain_id: int = 0,
    template: bool = True,
    data: bool = True,
) -> bytes:
    """One IPFIX message: the template set, then one data set with `flows` (either may be left out).
    `sequence` counts the data records sent before this message (RFC 7011 3.1)."""
    sets = b""
    if template:
        sets += _set(IPFIX_TEMPLATE_SET_ID, _template_record(IPFIX_FIELDS), 4)
    if data and flows:
        sets += _set(TEMPLATE_ID, b"".join(ipfix_record(flow) for flow in flows), 4)
    header = struct.pack(
        "!HHIII", IPFIX_VERSION, 16 + len(sets), int(export_time.timestamp()), sequence, domain_id
    )
    return header + sets


def netflow_v9_packet(
    flows: tuple[Flow, ...],
    *,
    export_time: datetime,
    boot: datetime,
    sequence: int = 0,
    source_id: int = 0,
    template: bool = True,
    data: bool = True,
) -> bytes:
    """One NetFlow v9 export packet: the template flowset, then a data flowset with `flows`. Its count is
    every record in it, templates included (RFC 3954 5.1). `sequence` counts the packets sent before."""
    sets = b""
    count = 0
    if template:
        sets += _set(V9_TEMPLATE_FLOWSET_ID, _template_record(V9_FIELDS), 4)
        count += 1
    if data and flows:
        sets += _set(TEMPLATE_ID, b"".join(v9_record(flow, boot) for flow in flows), 4)
        count += len(flows)
    uptime = (_ms(export_time) - _ms(boot)) & 0xFFFFFFFF
    header = struct.pack(
        "!HHIIII", NETFLOW_V9_VERSION, count, uptime, int(export_time.timestamp()), sequence, source_id
    )
    return header + sets
