"""Bad input never crashes the syslog and flow parsers: any bytes, any JSON value, any shape of object gives a
record or a MalformedLine with its reason, and a stream of garbage between good lines loses none of them."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from minisoc.correlator.flows import FlowParser
from minisoc.correlator.malformed import MalformedLine
from minisoc.correlator.syslog import SyslogParser
from minisoc.correlator.zeek import ReadStats, read_logs

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (st.lists(children, max_size=3)
                      | st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=8)
KEYS = st.sampled_from(["message", "msg", "host", "program", "pid", "@timestamp", "minisoc_input",
                        "from_ip", "ip_src", "ip_dst", "port_src", "port_dst", "ip_proto", "timestamp_start",
                        "src_addr", "dst_addr", "SrcAddr", "DstAddr", "time_flow_start_ns", "src4_addr",
                        "dst6_addr", "proto", "t_first", "bytes", "packets"])


def _parse_each(line: bytes) -> None:
    for parser in (SyslogParser(None), FlowParser(None)):
        with contextlib.suppress(MalformedLine):  # anything else fails the test
            parser.parse(line, 0)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes(line: bytes) -> None:
    _parse_each(line)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(KEYS, JSON_VALUES, max_size=8))
def test_any_object_with_the_known_keys(record: dict[str, Any]) -> None:
    _parse_each(json.dumps(record).encode())


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_message_text(message: str) -> None:
    _parse_each(json.dumps({"minisoc_input": "syslog", "program": "sshd", "message": message}).encode())
    _parse_each(f"Dec  4 21:15:53 gw1 kernel: {message}".encode("utf-8", "surrogatepass"))


def test_garbage_between_good_lines_loses_none(tmp_path: Path) -> None:
    good = [json.dumps({"minisoc_input": "syslog", "host": "gw1", "program": "sshd",
                        "message": f"Failed password for root from 203.0.113.{n} port 22 ssh2"})
            for n in range(50)]
    garbage = [b"\x00\xff\xfe", b"{", b"[1,2]", b'"text"', b"{}", b"\xef\xbb\xbf" + b"x" * 2000, b"\r"]
    lines: list[bytes] = []
    for number, line in enumerate(good):
        lines += [line.encode(), garbage[number % len(garbage)]]
    path = tmp_path / "syslog-2026-12-04.json"
    path.write_bytes(b"\n".join(lines) + b"\n")
    stats = ReadStats()
    records = list(read_logs([path], stats=stats))
    assert len(records) == len(good) and stats.malformed_total == len(good)
    assert [record.fields["source.ip"] for record in records] == [f"203.0.113.{n}" for n in range(50)]
