"""doctor probes the inputs' UDP ports with a UDP socket: a UDP collector on the port is a conflict a TCP
probe never sees (and a TCP listener is none)."""

from __future__ import annotations

import socket

from minisoc.ops import doctor
from minisoc.ops.host import port_is_free
from minisoc.profile.model import SiteProfile


def test_a_udp_listener_is_seen_by_the_udp_probe_only() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as collector:
        collector.bind(("127.0.0.1", 0))
        port = collector.getsockname()[1]
        assert not port_is_free("127.0.0.1", port, "udp")
        assert port_is_free("127.0.0.1", port, "tcp")
    assert port_is_free("127.0.0.1", port, "udp")


def test_the_netflow_ports_are_checked_as_udp() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        port = squatter.getsockname()[1]
        profile = SiteProfile.model_validate({
            "site": {"name": "t", "admin_email": "t@example.org"},
            "inputs": {"netflow": {"enabled": True}},
            "ports": {"netflow": {"port": port}, "ipfix": None},
        })
        checks = {check.name: check for check in doctor.port_checks(profile, set())}
        taken = checks["port netflow"]
        assert not taken.ok and taken.detail == f"127.0.0.1:{port}/udp is already in use"
        assert taken.fix is not None and "ss -lunp" in taken.fix
        ours = {check.name: check for check in doctor.port_checks(profile, {"netflow"})}
        assert ours["port netflow"].ok  # held by this site's own running collector
