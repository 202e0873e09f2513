"""The flow collector alone, for the netflow e2e tests: its image built from the package's stacks/netflow, a
site rendered with `inputs.netflow` on and free UDP ports on 127.0.0.1, only the `netflow` service up under a
compose project named for the test, and the flow files it writes read back."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minisoc.profile.create import create_profile
from minisoc.render import render_site
from minisoc.render.netflow_config import CONTAINER_PORT
from minisoc.resources import stacks_dir

IMAGE = "minisoc-netflow-e2e/netflow:test"


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def build_image() -> str:
    context = Path(str(stacks_dir() / "netflow" / "image"))
    subprocess.run(["docker", "build", "-q", "--build-arg", "MINISOC_VERSION=e2e", "-t", IMAGE, str(context)],
                   check=True, capture_output=True, timeout=900)
    return IMAGE


@dataclass
class Collector:
    site: Path
    project: str
    netflow_port: int
    ipfix_port: int

    @property
    def flow_dir(self) -> Path:
        return self.site / "logs" / "netflow"

    def compose(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        argv = ["docker", "compose", "-p", self.project, "-f", str(self.site / "compose.yaml"), *args]
        return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=timeout)

    def container(self) -> str:
        return self.compose("ps", "-q", "netflow").stdout.strip()

    def inspect(self, template: str) -> str:
        done = subprocess.run(["docker", "inspect", "-f", template, self.container()], check=True,
                              capture_output=True, text=True, timeout=30)
        return done.stdout.strip()

    def wait_healthy(self, timeout_s: float = 90) -> None:
        """Healthy, and nfacctd's writer started since the container (re)started: right after a restart the
        health status is still the old run's, and datagrams that come before the writer is up are lost."""
        healthy = "{{.State.Health.Status}}"
        wait_for(lambda: self.inspect(healthy) == "healthy", timeout_s, "healthy collector")
        started = self.inspect("{{.State.StartedAt}}")

        def writer_up() -> bool:
            done = subprocess.run(["docker", "logs", "--since", started, self.container()],
                                  capture_output=True, text=True, timeout=30, check=False)
            return "JSON: setting object handlers" in done.stdout + done.stderr

        wait_for(writer_up, timeout_s, "nfacctd's print plugin")

    def socket_drops(self) -> int:
        """The kernel's count of datagrams dropped on the collector's socket (a full receive buffer): the
        `drops` column of /proc/net/udp6 and /proc/net/udp in the container, for its port 2055 (0x0807)."""
        done = subprocess.run(["docker", "exec", self.container(), "cat", "/proc/net/udp6", "/proc/net/udp"],
                              check=True, capture_output=True, text=True, timeout=30)
        rows = [line.split() for line in done.stdout.splitlines()]
        return sum(int(row[-1]) for row in rows if len(row) > 2 and row[1].endswith(":0807"))

    def records(self) -> list[dict[str, Any]]:
        """Every complete line (the collector may be writing the last one) of every flow file."""
        records = []
        for path in sorted(self.flow_dir.glob("flows-*.json")):
            complete = path.read_text(encoding="utf-8").split("\n")[:-1]
            records += [json.loads(line) for line in complete if line.strip()]
        return records

    def wait_records(self, count: int, timeout_s: float = 30) -> list[dict[str, Any]]:
        """Wait until `count` records are on disk, then one refresh more (nothing else may come)."""
        wait_for(lambda: len(self.records()) >= count, timeout_s, f"{count} flow records")
        time.sleep(3)
        return self.records()

    def send(self, datagrams: list[bytes], port: int | None = None) -> None:
        """To the published port on 127.0.0.1, as an exporter on this host would: through Docker's proxy."""
        self.send_to(("127.0.0.1", port or self.ipfix_port), datagrams)

    def direct_address(self) -> tuple[str, int]:
        """The collector's own socket on the project's Docker network: what a router's datagrams reach (Docker
        forwards them in the kernel). Sends to 127.0.0.1 pass Docker's userland proxy instead, whose own
        receive buffer drops bursts uncounted by the container (116 of 1,000 datagrams once, under load)."""
        address = self.inspect("{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")
        return address, CONTAINER_PORT

    @staticmethod
    def send_to(address: tuple[str, int], datagrams: list[bytes]) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for datagram in datagrams:
                sender.sendto(datagram, address)


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for: {what}")


def collector_site(root: Path, image: str) -> Iterator[Collector]:
    """Render a site with the flow collector on, start only it; stop and remove it afterwards."""
    site = root / "site"
    netflow_port, ipfix_port = free_udp_port(), free_udp_port()
    _, profile = create_profile(site, "ci", [
        "inputs.netflow.enabled=true",
        f"ports.netflow.port={netflow_port}",
        f"ports.ipfix.port={ipfix_port}",
        f"images.netflow={image}",
    ])  # fmt: skip
    render_site(site, profile)
    collector = Collector(site, f"minisoc-netflow-e2e-{secrets.token_hex(3)}", netflow_port, ipfix_port)
    try:
        collector.compose("up", "-d", "--no-deps", "netflow")
        collector.wait_healthy()
        yield collector
    finally:
        subprocess.run(["docker", "compose", "-p", collector.project, "-f", str(site / "compose.yaml"),
                        "down", "-v", "--timeout", "10"], capture_output=True, timeout=120, check=False)


def softflowd(pcap: Path, port: int, version: int) -> str:
    """Replay `pcap` through softflowd as NetFlow `version` (9, or 10 for IPFIX) to 127.0.0.1:`port`."""
    done = subprocess.run(["softflowd", "-r", str(pcap), "-n", f"127.0.0.1:{port}", "-v", str(version)],
                          check=True, capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr
