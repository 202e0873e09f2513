"""The flow collector (stacks/netflow: pmacct's nfacctd) alone, for real: its image built, a rendered site's
`netflow` service up on free UDP ports, pcaps replayed by softflowd as NetFlow v9 and IPFIX, and bad input.

Count in = count stored: softflowd says how many flow records it exported; the collector's files hold exactly
as many, and the address pairs of the same capture's Zeek conn.log. A few minutes (the image build is cached).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from netflow_support import Collector, build_image, collector_site, softflowd

from minisoc.ops.canary import new_canary
from minisoc.ops.flow_canary import canary_flow, canary_flow_address, canary_source_port
from minisoc.ops.flow_packets import Flow, ipfix_message, netflow_v9_packet

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
REPO = Path(__file__).resolve().parents[2]
SSHGUESS_CONN = REPO / "templates" / "samples" / "zeek" / "sshguess.conn.log"


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    image = build_image()
    yield from collector_site(tmp_path_factory.mktemp("netflow"), image)


def exported_records(softflowd_output: str) -> int:
    found = re.search(r"Flows exported: \d+ \((\d+) records\)", softflowd_output)
    assert found, softflowd_output
    return int(found.group(1))


def conn_pairs() -> set[tuple[str, int, str, int]]:
    pairs = set()
    for line in SSHGUESS_CONN.read_text(encoding="utf-8").splitlines():
        conn = json.loads(line)
        pairs.add((conn["id.orig_h"], conn["id.orig_p"], conn["id.resp_h"], conn["id.resp_p"]))
        pairs.add((conn["id.resp_h"], conn["id.resp_p"], conn["id.orig_h"], conn["id.orig_p"]))
    return pairs


def flow_pairs(records: list[dict[str, object]]) -> set[tuple[object, object, object, object]]:
    return {(r["ip_src"], r["port_src"], r["ip_dst"], r["port_dst"]) for r in records}


def test_softflowd_v9_and_ipfix_replays_are_stored_flow_by_flow(collector: Collector,
                                                                 shared_data: Path) -> None:
    pcap = shared_data / "pcaps" / "sshguess.pcap"
    before = len(collector.records())
    sent_v9 = exported_records(softflowd(pcap, collector.netflow_port, 9))
    v9 = collector.wait_records(before + sent_v9)[before:]
    assert len(v9) == sent_v9 == 22  # 11 TCP connections, one record per direction
    assert flow_pairs(v9) == conn_pairs()  # the same capture's Zeek conn.log, both directions
    known = next(r for r in v9 if r["ip_src"] == "192.168.56.1" and r["port_src"] == 55470)
    assert (known["ip_dst"], known["port_dst"], known["ip_proto"]) == ("192.168.56.103", 22, "tcp")
    assert (known["packets"], known["bytes"]) == (26, 4249)  # conn.log: orig_pkts 26, orig_ip_bytes 4249

    sent_ipfix = exported_records(softflowd(pcap, collector.ipfix_port, 10))
    ipfix = collector.wait_records(before + sent_v9 + sent_ipfix)[before + sent_v9:]
    assert len(ipfix) == sent_ipfix == 22
    assert flow_pairs(ipfix) == conn_pairs()
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    assert (collector.flow_dir / f"flows-{day}.json").is_file()  # the UTC day, as docs/inputs.md says


def _flows(count: int, marker: int, now: datetime) -> tuple[Flow, ...]:
    start = now - timedelta(seconds=5)
    return tuple(Flow(f"198.51.100.{marker}", f"203.0.113.{1 + n % 250}", 10000 + n, 443, packets=n + 1,
                      octets=100 + n, start=start, end=now) for n in range(count))


def test_bad_input_never_crashes_and_loses_no_wellformed_flow(collector: Collector) -> None:
    now = datetime.now(UTC)
    boot = now - timedelta(hours=2)
    before = len(collector.records())
    restarts = collector.inspect("{{.RestartCount}}")
    good = netflow_v9_packet(_flows(3, 1, now), export_time=now, boot=boot, source_id=41)
    collector.send([
        b"",  # empty
        b"\x00\x09",  # a version, nothing else
        b"\xff" * 1400,  # garbage
        bytes(range(256)) * 5,
        good[:30],  # a v9 header and a cut template
        netflow_v9_packet(_flows(2, 2, now), export_time=now, boot=boot, source_id=42, template=False),
        ipfix_message(_flows(2, 3, now), export_time=now, domain_id=43, template=False)[:-7],
        b"\x00\x0a\x00\x10" + b"\x00" * 12,  # an IPFIX header alone
    ], collector.netflow_port)
    collector.send([good], collector.netflow_port)
    records = collector.wait_records(before + 3)[before:]
    # data before its template is dropped by nfacctd (no template to decode it with): only the good packet
    assert sorted(r["ip_src"] for r in records) == ["198.51.100.1"] * 3
    # once the template came, the same exporter's data decodes (templates out of order recover)
    later = datetime.now(UTC)
    collector.send([netflow_v9_packet(_flows(2, 4, later), export_time=later, boot=boot, source_id=41,
                                      template=False)], collector.netflow_port)
    assert [r["ip_src"] for r in collector.wait_records(before + 5)[before + 3:]] == ["198.51.100.4"] * 2
    assert collector.inspect("{{.State.Status}}") == "running"
    assert collector.inspect("{{.RestartCount}}") == restarts


def test_templates_survive_a_restart(collector: Collector) -> None:
    now = datetime.now(UTC)
    collector.send([ipfix_message(_flows(1, 5, now), export_time=now, domain_id=51)])
    before = len(collector.wait_records(len(collector.records()) + 1))
    collector.compose("restart", "netflow")
    collector.wait_healthy()
    later = datetime.now(UTC)
    collector.send([ipfix_message(_flows(2, 6, later), export_time=later, sequence=1, domain_id=51,
                                  template=False)])
    assert [r["ip_src"] for r in collector.wait_records(before + 2)[before:]] == ["198.51.100.6"] * 2
    # the templates live in their own volume: the correlator's folder holds flow files only
    assert all(p.name.startswith("flows-") for p in collector.flow_dir.iterdir())


def test_a_bounded_flood_is_stored_in_full(collector: Collector, capsys: pytest.CaptureFixture[str]) -> None:
    """20,000 flows in 1,000 IPFIX datagrams in bursts of 50 (~0.2 s of sending, ~100k flows/s) to the
    collector's address on its Docker network: every one stored, the kernel counted no drop on the
    collector's socket (nfacctd_pipe_size). Prints the flows/s from the first datagram to the last record on
    disk."""
    now = datetime.now(UTC)
    per_datagram, datagrams = 20, 1000
    before = len(collector.records())
    start = now - timedelta(seconds=10)
    packets = []
    for n in range(datagrams):
        flows = tuple(Flow(f"100.64.{n // 250}.{1 + n % 250}", "203.0.113.250", 20000 + k, 80,
                           start=start, end=now) for k in range(per_datagram))
        packets.append(ipfix_message(flows, export_time=now, sequence=n * per_datagram, domain_id=61))
    address = collector.direct_address()  # as a router's datagrams arrive: Docker's proxy is not in the path
    began = time.monotonic()
    for chunk in range(0, datagrams, 50):  # 50 datagrams a burst: the socket buffer's share, not a DoS
        collector.send_to(address, packets[chunk:chunk + 50])
        time.sleep(0.005)
    sent_s = time.monotonic() - began
    total = per_datagram * datagrams
    try:
        records = collector.wait_records(before + total, timeout_s=30)[before:]
    except AssertionError:
        stored = len(collector.records()) - before
        pytest.fail(f"{stored} of {total} flows stored, {collector.socket_drops()} datagrams dropped by the "
                    f"kernel; collector log: {collector.compose('logs', '--tail', '20', 'netflow').stdout}")
    stored_s = time.monotonic() - began - 3  # wait_records waits one refresh more
    with capsys.disabled():
        print(f"\nnetflow flood: {total} flows sent in {sent_s:.2f}s, stored in {stored_s:.1f}s "
              f"({total / stored_s:.0f} flows/s end to end, 2 s print refresh)")
    assert len(records) == total
    assert collector.inspect("{{.State.Status}}") == "running"
    assert collector.socket_drops() == 0


def test_the_verify_canary_flow_is_stored_as_sent(collector: Collector) -> None:
    """The collector's half of `minisoc verify`'s flow canary (the alert half needs the whole stack)."""
    canary = new_canary()
    now = datetime.now(UTC)
    before = len(collector.records())
    collector.send([ipfix_message((canary_flow(canary, now),), export_time=now,
                                  domain_id=int(canary.token[:8], 16))])
    record = collector.wait_records(before + 1)[before]
    assert (record["ip_src"], record["ip_dst"], record["port_src"], record["port_dst"]) == (
        "198.51.100.200", canary_flow_address(canary), canary_source_port(canary), 443)
