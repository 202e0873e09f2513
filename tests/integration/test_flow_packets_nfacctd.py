"""pmacct's nfacctd (Debian's, the collector the netflow image runs) decodes what ops/flow_packets builds,
with the nfacctd.conf minisoc renders (only its paths and port moved to a temporary folder): the JSON record
has the flow's addresses, ports, protocol, counters and times. A few seconds, no Docker."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from minisoc.ops.flow_packets import Flow, ipfix_message, netflow_v9_packet
from minisoc.profile.model import SiteProfile
from minisoc.render.netflow_config import netflow_context, nfacctd_conf
from minisoc.render.templating import stack_environment

pytestmark = [pytest.mark.integration]


@dataclass
class Nfacctd:
    port: int
    flow_dir: Path

    def records(self) -> list[dict[str, object]]:
        return [json.loads(line) for path in sorted(self.flow_dir.glob("flows-*.json"))
                for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def wait(self, count: int, timeout_s: float = 20) -> list[dict[str, object]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(self.records()) < count:
            time.sleep(0.3)
        return self.records()

    def send(self, datagram: bytes) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(datagram, ("127.0.0.1", self.port))


@pytest.fixture()
def nfacctd(tmp_path: Path) -> Iterator[Nfacctd]:
    binary = shutil.which("nfacctd")
    if binary is None:
        pytest.fail("nfacctd not found: install Debian's pmacct (.ci/test does)")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    flow_dir = tmp_path / "netflow"
    flow_dir.mkdir()
    profile = SiteProfile.model_validate({"site": {"name": "t", "admin_email": "t@example.org"}})
    context = netflow_context(profile)
    context.update(container_port=port, flow_dir=str(flow_dir), pidfile=str(tmp_path / "nfacctd.pid"),
                   templates_file=str(tmp_path / "templates.json"))
    config = tmp_path / "nfacctd.conf"
    config.write_text(nfacctd_conf(stack_environment(), {"netflow": context}), encoding="utf-8")
    log = (tmp_path / "nfacctd.log").open("wb")
    process = subprocess.Popen([binary, "-f", str(config)], stdout=log, stderr=subprocess.STDOUT,
                               env={"TZ": "UTC", "PATH": "/usr/sbin:/usr/bin:/bin"})
    try:
        deadline = time.monotonic() + 10
        while b"JSON: setting object handlers" not in (tmp_path / "nfacctd.log").read_bytes():
            log_text = (tmp_path / "nfacctd.log").read_text()
            assert process.poll() is None and time.monotonic() < deadline, log_text
            time.sleep(0.1)
        yield Nfacctd(port, flow_dir)
    finally:
        process.send_signal(2)  # SIGINT: nfacctd's plugins flush and stop
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_nfacctd_decodes_the_builders_ipfix_and_v9(nfacctd: Nfacctd) -> None:
    now = datetime.now(UTC).replace(microsecond=250000)
    ipfix_flow = Flow("192.0.2.10", "203.0.113.7", 40001, 443, packets=5, octets=900,
                      start=now - timedelta(seconds=3), end=now, tcp_flags=0x12, tos=0x20)
    v9_flow = Flow("198.51.100.1", "192.0.2.99", 53, 5353, protocol=17, packets=2, octets=152,
                   start=now - timedelta(seconds=1), end=now)
    nfacctd.send(ipfix_message((ipfix_flow,), export_time=now, domain_id=1))
    nfacctd.send(netflow_v9_packet((v9_flow,), export_time=now, boot=now - timedelta(days=3), source_id=2))
    records = {r["ip_src"]: r for r in nfacctd.wait(2)}
    assert len(records) == 2
    ipfix = records["192.0.2.10"]
    assert (ipfix["ip_dst"], ipfix["port_src"], ipfix["port_dst"], ipfix["ip_proto"]) == (
        "203.0.113.7", 40001, 443, "tcp")
    assert (ipfix["packets"], ipfix["bytes"], ipfix["tos"]) == (5, 900, 0x20)
    stamp = "%Y-%m-%d %H:%M:%S.%f"
    assert ipfix["timestamp_start"] == (now - timedelta(seconds=3)).strftime(stamp)
    assert ipfix["timestamp_end"] == now.strftime(stamp)  # IPFIX: absolute milliseconds, kept (UTC)
    v9 = records["198.51.100.1"]
    assert (v9["ip_dst"], v9["port_src"], v9["port_dst"], v9["ip_proto"], v9["packets"]) == (
        "192.0.2.99", 53, 5353, "udp", 2)
    assert str(v9["timestamp_end"]).startswith(now.strftime("%Y-%m-%d %H:%M:%S"))  # v9: header seconds
