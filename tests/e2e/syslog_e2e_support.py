"""The syslog receiver alone, for its e2e test: a rendered site whose compose project runs only `syslog`
(minisoc/syslog built by `minisoc images build`), on free loopback ports, and senders: util-linux `logger`,
raw UDP/TCP sockets and an RFC 5425 TLS client (Python ssl)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from minisoc.images import BuildOptions, build_images
from minisoc.images.catalog import syslog_image
from minisoc.profile.create import create_profile
from minisoc.render import render_site
from render_support import fixed_secret

RECORD_KEYS = {"minisoc_input", "@timestamp", "received", "host", "from_ip", "program", "pid", "msgid",
               "facility", "severity", "sd", "message", "input", "protocol"}  # docs/inputs.md
MAX_MESSAGE = 4096


@dataclass(frozen=True)
class Receiver:
    site: Path
    project: str
    udp: int
    tcp: int
    tls: int

    @property
    def log_dir(self) -> Path:
        return self.site / "logs" / "syslog"

    def compose(self, *args: str, check: bool = True, timeout: float = 300
                ) -> subprocess.CompletedProcess[str]:
        argv = ["docker", "compose", "-p", self.project, "-f", str(self.site / "compose.yaml"), *args]
        return subprocess.run(argv, capture_output=True, text=True, check=check, timeout=timeout)

    def container(self) -> str:
        return self.compose("ps", "-q", "syslog").stdout.strip()

    def records(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for path in sorted(self.log_dir.glob("syslog-*.json")):
            rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        return rows

    def count(self, text: str) -> int:
        """Lines holding `text`, without parsing them (the flood's progress)."""
        return sum(path.read_bytes().count(text.encode()) for path in self.log_dir.glob("syslog-*.json"))

    def wait_for(self, marker: str, timeout: float = 30.0, count: int = 1) -> list[dict[str, object]]:
        """The records whose message holds `marker`, once there are `count` of them (or fail)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.records() if marker in str(r["message"])]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.2)


def free_port(kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_receiver(tmp: Path) -> Iterator[Receiver]:
    """Build the image (up to date: seconds), render a site with only the syslog input's ports of interest,
    start its `syslog` service under a compose project named for this test, and remove it all after."""
    build_images([syslog_image()], BuildOptions())
    udp = free_port(socket.SOCK_DGRAM)
    tcp, tls = free_port(socket.SOCK_STREAM), free_port(socket.SOCK_STREAM)
    site = tmp / "site"
    _, profile = create_profile(site, "reference", [
        "inputs.syslog.enabled=true", "inputs.syslog.tls_client_auth=required",
        f"inputs.syslog.max_message_bytes={MAX_MESSAGE}", "inputs.syslog.retention_days=3",
        f"ports.syslog_udp={{port: {udp}}}", f"ports.syslog_tcp={{port: {tcp}}}",
        f"ports.syslog_tls={{port: {tls}}}",
    ])
    render_site(site, profile, secrets=fixed_secret)
    receiver = Receiver(site, f"minisoc-syslog-e2e-{os.getpid()}", udp, tcp, tls)
    try:
        receiver.compose("up", "-d", "--no-deps", "syslog")
        deadline = time.monotonic() + 60
        while not receiver.wait_for("ready-probe", timeout=1):
            send_tcp(receiver.tcp, [rfc5424("ready-probe")])
            if time.monotonic() > deadline:
                logs = receiver.compose("logs").stdout
                raise AssertionError(f"the receiver stored nothing in 60 s:\n{logs}")
        yield receiver
    finally:
        receiver.compose("down", "--volumes", "--timeout", "10", check=False)


def rfc5424(message: str, *, app: str = "e2e", msgid: str = "-", sd: str = "-", host: str = "sender1"
            ) -> str:
    return f"<134>1 2026-12-05T10:00:00.000Z {host} {app} 42 {msgid} {sd} {message}"


def send_tcp(port: int, lines: list[str], *, octet_counted: bool = False) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(frames(lines, octet_counted))


def frames(lines: list[str], octet_counted: bool) -> bytes:
    data = [line.encode("utf-8") for line in lines]
    if octet_counted:
        return b"".join(str(len(item)).encode() + b" " + item for item in data)
    return b"".join(item + b"\n" for item in data)


def send_udp(port: int, payloads: list[bytes]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for payload in payloads:
            sock.sendto(payload, ("127.0.0.1", port))


def send_tls(port: int, ca: Path, lines: list[str], cert: tuple[Path, Path] | None) -> None:
    """RFC 5425: octet-counted frames over TLS, the receiver checked against the site CA by name."""
    context = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="syslog") as sock:
        sock.sendall(frames(lines, octet_counted=True))
        with contextlib.suppress(ssl.SSLError, OSError):
            sock.unwrap()  # close_notify, then the server's close (or its alert) before we go


def logger(port: int, transport: str, message: str, *extra: str) -> None:
    subprocess.run(["logger", "--server", "127.0.0.1", "--port", str(port), transport, "-t", "e2etag",
                    "--id=4242", *extra, message], check=True, timeout=30)
