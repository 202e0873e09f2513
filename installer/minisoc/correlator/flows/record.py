"""Flow records (NetFlow v5/v9, IPFIX, sFlow) as the collectors write them in JSON, to LogRecords of log type
`netflow` with flat ECS fields, whichever collector wrote them:

- pmacct (`nfacctd`/`sfacctd` print or kafka plugin, `print_output: json`): `ip_src`, `ip_dst`, `port_src`,
  `port_dst`, `ip_proto` (a name, or a number), `timestamp_start`/`timestamp_end` (text, or epoch text with
  `timestamps_since_epoch`), `packets`, `bytes`, `peer_ip_src` (the exporter);
- goflow2 (JSON formatter): `src_addr`, `dst_addr`, `src_port`, `dst_port`, `proto` (a name or a number),
  `time_flow_start_ns`, `time_flow_end_ns`, `bytes`, `packets`, `sampler_address`, `type`; and the
  CamelCase keys of goflow and goflow2 v1 (`SrcAddr`, `DstAddr`, `SrcPort`, `DstPort`, `Proto`,
  `TimeFlowStart` in seconds, `SamplerAddress`, `Bytes`, `Packets`, `Type`);
- `nfdump -o json` (one object per line: `-o json-log`, or the objects of `-o json` one per line):
  `src4_addr`/`src6_addr`, `dst4_addr`/`dst6_addr`, `src_port`, `dst_port`, `proto`, `t_first`, `t_last`,
  `in_packets`, `in_bytes`, `ip4_router`/`ip6_router`.

Fields: `source.ip`, `source.port`, `destination.ip`, `destination.port`, `network.transport`,
`network.iana_number`, `network.bytes`, `network.packets`, `event.start`, `event.end`, `observer.ip` (the
exporter), `netflow.type`, `netflow.collector`. The matcher reads the addresses with their ports, as it reads
a Zeek connection's: an `ip-dst|port` indicator matches a flow to that address and port.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from minisoc.correlator.malformed import MalformedLine, decode_json_object
from minisoc.correlator.model import LogRecord
from minisoc.correlator.timestamps import dated_epoch, epoch_seconds
from minisoc.correlator.values.canonical import canonical_ip

NETFLOW_LOG_TYPE = "netflow"
REASON_NOT_A_FLOW = "not_a_flow"  # a JSON object no known collector writes (no source/destination address)

# collector -> (source address keys, destination address keys, source port, destination port, protocol,
# start time, end time, bytes, packets, exporter, flow type); the first key present wins
_Keys = tuple[tuple[str, ...], ...]
_COLLECTORS: dict[str, _Keys] = {
    "pmacct": (("ip_src",), ("ip_dst",), ("port_src",), ("port_dst",), ("ip_proto",),
               ("timestamp_start", "stamp_inserted"), ("timestamp_end", "stamp_updated"), ("bytes",),
               ("packets",), ("peer_ip_src",), ("event_type",)),
    "goflow2": (("src_addr",), ("dst_addr",), ("src_port",), ("dst_port",), ("proto",),
                ("time_flow_start_ns", "time_received_ns"), ("time_flow_end_ns",), ("bytes",), ("packets",),
                ("sampler_address",), ("type",)),
    "goflow": (("SrcAddr",), ("DstAddr",), ("SrcPort",), ("DstPort",), ("Proto",),
               ("TimeFlowStart", "TimeReceived"), ("TimeFlowEnd",), ("Bytes",), ("Packets",),
               ("SamplerAddress",), ("Type",)),
    "nfdump": (("src4_addr", "src6_addr"), ("dst4_addr", "dst6_addr"), ("src_port",), ("dst_port",),
               ("proto",), ("t_first", "first"), ("t_last", "last"), ("in_bytes", "bytes"),
               ("in_packets", "packets"), ("ip4_router", "ip6_router", "ip4_exporter"), ("type",)),
}
_MARKS = (("ip_src", "pmacct"), ("src_addr", "goflow2"), ("SrcAddr", "goflow"), ("src4_addr", "nfdump"),
          ("src6_addr", "nfdump"))
_TRANSPORTS = {1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 41: "ipv6", 47: "gre", 50: "esp", 51: "ah",
               58: "ipv6-icmp", 89: "ospf", 103: "pim", 112: "vrrp", 132: "sctp"}
_NUMBERS = {name: number for number, name in _TRANSPORTS.items()} | {"icmp6": 58, "icmpv6": 58}
_NANOSECONDS_ABOVE = 10**15  # goflow2's *_ns times (and milliseconds below it: epoch_seconds' rule)


def collector_of(fields: dict[str, Any]) -> str | None:
    """Which collector wrote this JSON object (by its keys), None for none of them."""
    for key, collector in _MARKS:
        if key in fields:
            return collector
    return None


def _first(raw: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = raw.get(key)
        if value is not None and value != "":
            return value
    return None


def _address(value: Any) -> str | None:
    return canonical_ip(value) if isinstance(value, str) else None


def _port(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 <= value <= 65535:
        return value
    if isinstance(value, str) and value.isdecimal() and int(value) <= 65535:
        return int(value)
    return None


def _count(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return int(value) if isinstance(value, str) and value.isdecimal() else None


def _epoch(value: Any) -> float | None:
    """A flow time in any collector's form: text (ISO, `2026-12-04 21:15:53.123`, epoch text), seconds,
    milliseconds or nanoseconds; None when it names no date."""
    if value is None or isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if isinstance(value, int) and abs(value) > _NANOSECONDS_ABOVE:
        return dated_epoch(value / 1e9)
    try:
        return dated_epoch(epoch_seconds(value))
    except (ValueError, OverflowError):
        return None


def _iso(epoch: float) -> str:
    """RFC 3339 UTC with microseconds (`2026-12-04T21:15:50.000000+00:00`); dated_epoch keeps years 1-9999."""
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="microseconds")


def _protocol(value: Any, fields: dict[str, Any]) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        fields["network.iana_number"] = str(value)
        fields["network.transport"] = _TRANSPORTS.get(value, str(value))
    elif isinstance(value, str) and value:
        name = value.lower()
        if name.isdecimal():
            _protocol(int(name), fields)
            return
        number = _NUMBERS.get(name)
        fields["network.transport"] = _TRANSPORTS.get(number, name) if number is not None else name
        if number is not None:
            fields["network.iana_number"] = str(number)


def flow_fields(raw: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
    """The flow's ECS fields and its start time (epoch); MalformedLine for an object that is not a flow."""
    collector = collector_of(raw)
    if collector is None:
        raise MalformedLine(REASON_NOT_A_FLOW,
                            "no flow keys (ip_src, src_addr, SrcAddr, src4_addr, src6_addr)")
    src, dst, sport, dport, proto, start, end, size, packets, exporter, kind = _COLLECTORS[collector]
    source, destination = _address(_first(raw, src)), _address(_first(raw, dst))
    if source is None and destination is None:
        raise MalformedLine(REASON_NOT_A_FLOW,
                            f"{collector} record without a valid source or destination address")
    fields: dict[str, Any] = {"netflow.collector": collector}
    for side, address, port_keys in (("source", source, sport), ("destination", destination, dport)):
        if address is not None:
            fields[f"{side}.ip"] = address
        port = _port(_first(raw, port_keys))
        if port is not None:
            fields[f"{side}.port"] = port
    _protocol(_first(raw, proto), fields)
    for name, keys in (("network.bytes", size), ("network.packets", packets)):
        number = _count(_first(raw, keys))
        if number is not None:
            fields[name] = number
    started = _epoch(_first(raw, start))
    ended = _epoch(_first(raw, end))
    if started is not None:
        fields["event.start"] = fields["@timestamp"] = _iso(started)
    if ended is not None:
        fields["event.end"] = _iso(ended)
    router = _address(_first(raw, exporter))
    if router is not None:
        fields["observer.ip"] = router
    flow_type = _first(raw, kind)
    if isinstance(flow_type, str):
        fields["netflow.type"] = flow_type
    return fields, started if started is not None else ended


class FlowParser:
    """`parse(line, offset)` for one stream of flow JSON lines: a LogRecord of type `netflow`, or
    MalformedLine."""

    def __init__(self, source: str | None) -> None:
        self.source = source

    def parse(self, line: bytes, offset: int) -> LogRecord:
        fields, ts = flow_fields(decode_json_object(line))
        return LogRecord(NETFLOW_LOG_TYPE, fields, line, self.source, offset, ts)

    def prime_headers(self, start: bytes) -> None:
        """Nothing to prime: every flow line stands alone (the tailer's interface)."""
