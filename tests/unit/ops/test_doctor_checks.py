"""doctor's decisions (pure functions over facts) and the host fact parsers."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from minisoc.ops import Check, Report, doctor
from minisoc.ops.host import interface_exists, parse_meminfo, parse_version, port_is_free
from minisoc.profile import parse_profile
from minisoc.profile.create import create_profile


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20.10.24+dfsg1", (20, 10, 24)),
        ("v2.40.3", (2, 40, 3)),
        ("Docker Compose version v2.27.0", (2, 27, 0)),
        ("2.5", (2, 5, 0)),
        ("none", None),
    ],
)
def test_parse_version(text: str, expected: tuple[int, int, int] | None) -> None:
    assert parse_version(text) == expected


def test_engine_missing_too_old_and_fine() -> None:
    missing = doctor.check_engine(None)
    assert not missing.ok and missing.fix and "docker" in missing.fix
    assert not doctor.check_engine("19.03.1").ok
    assert doctor.check_engine("24.0.7").ok


def test_compose_v1_is_refused_with_a_fix() -> None:
    old = doctor.check_compose("1.29.2")
    assert not old.ok and old.fix
    assert not doctor.check_compose(None).ok
    assert doctor.check_compose("2.40.3").ok


def test_max_map_count_threshold() -> None:
    assert not doctor.check_max_map_count(65530).ok
    assert "sysctl" in (doctor.check_max_map_count(65530).fix or "")
    assert doctor.check_max_map_count(262144).ok
    unknown = doctor.check_max_map_count(None)
    assert not unknown.ok and unknown.warning  # unreadable: warned, not failed


def test_memory_budget_and_host_memory() -> None:
    over_budget, host = doctor.check_memory(
        needed_mb=9000, budget_mb=8192, total_mb=16000, available_mb=12000
    )
    assert not over_budget.ok and over_budget.fix
    assert host.ok
    _, small_host = doctor.check_memory(needed_mb=4000, budget_mb=8192, total_mb=4096, available_mb=3000)
    assert not small_host.ok


def test_zeek_intel_estimate_scales_with_intel_size() -> None:
    assert doctor.check_zeek_intel_memory(10 * 2**20, zeek_limit_mb=1024).ok  # ~70 MiB
    big = doctor.check_zeek_intel_memory(100 * 2**20, zeek_limit_mb=1024)  # ~700 MiB > half the limit
    assert not big.ok and "700" in big.detail


def test_port_in_use_by_someone_else_fails_but_ours_passes() -> None:
    assert not doctor.check_port("opensearch", "127.0.0.1", 9200, free=False, ours=False).ok
    assert doctor.check_port("opensearch", "127.0.0.1", 9200, free=False, ours=True).ok


def test_port_is_free_sees_a_real_listener() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
    assert port_is_free("127.0.0.1", port)


def test_parse_meminfo_reads_kibibytes() -> None:
    info = parse_meminfo(
        "MemTotal:       16384000 kB\nMemAvailable:    8000000 kB\nHugePages_Total:       0\n"
    )
    assert info == {"MemTotal": 16384000, "MemAvailable": 8000000, "HugePages_Total": 0}


def test_interface_exists_refuses_paths(tmp_path: Path) -> None:
    (tmp_path / "eth0").mkdir()
    assert interface_exists("eth0", tmp_path)
    assert not interface_exists("eth9", tmp_path)
    assert not interface_exists("../eth0", tmp_path)


def test_report_exit_code_ignores_failed_warnings_only() -> None:
    warned = Report("x", [Check("a", True, ""), Check("b", False, "", warning=True)])
    assert warned.ok and warned.exit_code == 0
    failed = Report("x", [Check("a", False, "broken", fix="do this")])
    assert failed.exit_code == 1
    assert any("fix: do this" in line for line in failed.text_lines())
    assert failed.as_dict()["ok"] is False


def test_doctor_checks_every_published_port_misp_included(tmp_path: Path) -> None:
    """ports.misp publishes the service misp-core: doctor checks it (a real listener holds the port here)."""
    site = tmp_path / "site"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        create_profile(site, "small-site", [f"ports.misp.port={port}", "ports.feedserver={port: 18089}"])
        checks = {check.name: check for check in doctor.site_checks(site)}
    ports = {name for name in checks if name.startswith("port ")}
    assert ports == {"port misp", "port opensearch", "port dashboards", "port correlator", "port feedserver"}
    misp = checks["port misp"]
    assert not misp.ok and misp.detail == f"127.0.0.1:{port} is already in use"
    assert misp.fix is not None and "change ports.misp.port" in misp.fix


def test_zeek_intel_budget_estimate_is_items_times_kilobytes_times_processes() -> None:
    fits = doctor.check_zeek_intel_budget(200_000, processes=1, zeek_limit_mb=1024, total_mb=16384)
    assert fits.ok and "up to ~239 MiB" in fits.detail and "1 Zeek process)" in fits.detail
    # a million items: ~1.2 GB per process, over half of a 1 GiB limit: a warning with the way out
    big = doctor.check_zeek_intel_budget(1_000_000, processes=1, zeek_limit_mb=1024, total_mb=65536)
    assert not big.ok and big.warning and "sensor.zeek_intel.max_items" in (big.fix or "")
    # four workers each load it: within their limits, but together over a quarter of an 8 GiB host
    workers = doctor.check_zeek_intel_budget(500_000, processes=4, zeek_limit_mb=2048, total_mb=8192)
    assert not workers.ok and "~2388 MiB" in workers.detail and "4 Zeek processes" in workers.detail
    assert doctor.check_zeek_intel_budget(0, processes=1, zeek_limit_mb=1024, total_mb=0).ok
    # a cluster's manager and workers share the one container's limit: 5 x ~239 MiB is over half of 2 GiB
    shared = doctor.check_zeek_intel_budget(200_000, processes=5, zeek_limit_mb=2048, total_mb=65536)
    assert not shared.ok and "5 Zeek processes" in shared.detail


def test_zeeks_intel_memory_is_counted_on_the_manager_and_each_worker() -> None:
    """In a cluster the manager reads the intel file and sends every item to each worker (intel/input.zeek,
    tests/data/zeek8-cluster.json); the logger and the proxy hold none."""
    def processes(sensor: str) -> int:
        text = (f"site:\n  name: lab\n  id: g01d3n\n  admin_email: soc@example.org\nsensor:\n{sensor}"
                "resources:\n  ram_budget_mb: 32768\n")
        return doctor.zeek_processes(parse_profile(text, source="minisoc.yaml"))

    assert processes("  mode: live\n  interface: eth1\n  workers: 4\n") == 5
    assert processes("  mode: live\n  interface: eth1\n") == 1
    assert processes("  mode: external\n") == 1


def test_a_udp_port_is_probed_over_udp() -> None:
    """The syslog and flow inputs listen on UDP: a TCP probe would call a held UDP port free."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as held:
        held.bind(("127.0.0.1", 0))
        port = held.getsockname()[1]
        assert not port_is_free("127.0.0.1", port, "udp")
        assert port_is_free("127.0.0.1", port, "tcp")
    assert port_is_free("127.0.0.1", port, "udp")
    check = doctor.check_port("syslog_udp", "127.0.0.1", port, free=False, ours=False, protocol="udp")
    assert not check.ok and f"127.0.0.1:{port}/udp" in check.detail and "ss -lunp" in str(check.fix)
