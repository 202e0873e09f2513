"""The live sensor as a Zeek cluster (`sensor.workers` > 1): the pure layout (nodes, ports, argv, health
check), the rendered supervisor script and compose service (golden), and what the profile, `doctor` and
`plan` say about its ports and CPU cores. No Zeek runs here: tests/unit/render/test_zeek_cluster_contract.py
checks the script against upstream's own definitions (tests/data/zeek8-cluster.json)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from minisoc.errors import ProfileError
from minisoc.ops import doctor
from minisoc.profile.sensor_cluster import (
    CLUSTER_PORT_MAX,
    CLUSTER_PORT_MIN,
    cluster_ports,
    default_cluster_port,
    zeek_cores,
)
from minisoc.render import render_site
from minisoc.render.plan import sensor_notes
from minisoc.render.zeek_cluster import cluster_nodes, healthcheck_script, supervisor_command
from render_support import fixed_secret, site_from_template

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "zeek-cluster"
UPDATE = os.environ.get("MINISOC_UPDATE_GOLDEN") == "1"
CLUSTER = ("sensor.workers=4", "resources.ram_budget_mb=12288")


def rendered(tmp_path: Path, *assignments: str) -> tuple[Path, dict[str, Any]]:
    site, profile = site_from_template(tmp_path, "small-site", *assignments)
    render_site(site, profile, secrets=fixed_secret)
    return site, yaml.safe_load((site / "compose.yaml").read_text())["services"]


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (MINISOC_UPDATE_GOLDEN=1 to update)"


def test_the_layout_is_manager_logger_proxy_then_workers_on_consecutive_loopback_ports() -> None:
    nodes = cluster_nodes(3, "eth1", 29000, "/logs/zeek")
    assert [(n.name, n.role, n.port) for n in nodes] == [
        ("manager", "MANAGER", 29000), ("logger", "LOGGER", 29001), ("proxy", "PROXY", 29002),
        ("worker-1", "WORKER", 29003), ("worker-2", "WORKER", 29004), ("worker-3", "WORKER", 29005),
    ]
    assert [n.interface for n in nodes] == [None, None, None] + ["af_packet::eth1"] * 3
    # the logger writes the site's one set of logs; the others work in the tmpfs, never in the log folder
    assert nodes[1].directory == "/logs/zeek"
    others = [n.directory for n in nodes if n.name != "logger"]
    assert all(d is not None and d.startswith("/tmp/") and d.count("/") == 2 for d in others)
    assert len(set(others)) == len(others)


def test_the_supervisor_runs_in_the_foreground_with_checksums_ignored() -> None:
    assert supervisor_command("/usr/local/zeek/bin/zeek", "/etc/c.zeek") == [
        "/usr/local/zeek/bin/zeek", "-C", "-j", "/etc/c.zeek"
    ]


def test_health_needs_every_node_by_its_cluster_node_variable() -> None:
    script = healthcheck_script(cluster_nodes(2, "eth0", 29000, "/logs/zeek"))
    assert "for n in manager logger proxy worker-1 worker-2; do" in script
    assert 'grep -qxz "CLUSTER_NODE=$$n" /proc/[0-9]*/environ' in script  # $$: compose's escape for `$`
    assert "exit 1" in script and "exit 0" not in script  # one missing node is unhealthy


def test_derived_port_blocks_are_stable_per_site_aligned_and_below_the_ephemeral_range() -> None:
    bases = {default_cluster_port(f"minisoc-site{n}-abc{n:03d}") for n in range(300)}
    assert default_cluster_port("minisoc-a-1") == default_cluster_port("minisoc-a-1")
    assert len(bases) > 100  # spread: two sites rarely share a block
    assert all(b >= CLUSTER_PORT_MIN and b + 67 - 1 <= CLUSTER_PORT_MAX for b in bases)
    assert all((b - CLUSTER_PORT_MIN) % 67 == 0 for b in bases)  # blocks never partly overlap


def test_one_worker_is_the_standalone_zeek_exactly_as_before(tmp_path: Path) -> None:
    site, services = rendered(tmp_path)
    zeek = services["zeek"]
    assert zeek["command"] == [
        "/usr/local/zeek/bin/zeek", "-C", "-i", "af_packet::eth0", "/etc/minisoc/zeek/local.zeek"
    ]
    assert zeek["cpus"] == 1.0 and zeek["mem_limit"] == "1024m"
    assert "comm" in zeek["healthcheck"]["test"][1]
    assert not (site / "config/zeek/cluster.zeek").exists()


def test_the_cluster_service_and_script_match_golden(tmp_path: Path) -> None:
    site, services = rendered(tmp_path, *CLUSTER)
    golden("compose.zeek.yaml", yaml.safe_dump(services["zeek"], sort_keys=True))
    golden("cluster.zeek", (site / "config/zeek/cluster.zeek").read_text(encoding="utf-8"))


def test_the_cluster_service_mounts_its_script_and_gets_cores_and_memory(tmp_path: Path) -> None:
    _, services = rendered(tmp_path, *CLUSTER)
    zeek = services["zeek"]
    mounts = {v["target"]: v for v in zeek["volumes"]}
    assert mounts["/etc/minisoc/zeek/cluster.zeek"]["source"] == "./config/zeek/cluster.zeek"
    assert mounts["/etc/minisoc/zeek/cluster.zeek"]["read_only"] is True
    assert zeek["cpus"] == 6.0  # 4 workers + 2 for manager, logger, proxy
    assert zeek["mem_limit"] == f"{1024 + 4 * 768}m"
    assert zeek["network_mode"] == "host" and "ports" not in zeek  # Broker stays on 127.0.0.1


def test_an_explicit_cluster_port_is_used_as_the_block_start(tmp_path: Path) -> None:
    site, _ = rendered(tmp_path, *CLUSTER, "sensor.cluster_port=41000")
    text = (site / "config/zeek/cluster.zeek").read_text()
    assert "$p=41000/tcp" in text and "$p=41006/tcp" in text and "$p=41007/tcp" not in text


def test_a_cluster_port_block_over_a_published_port_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        site_from_template(tmp_path, "small-site", *CLUSTER, "sensor.cluster_port=9198")  # opensearch: 9200
    problems = [p for p in caught.value.problems if p.path == "sensor.cluster_port"]
    assert problems and "ports.opensearch" in problems[0].message and problems[0].hint


def test_no_cluster_ports_without_a_cluster(tmp_path: Path) -> None:
    _, one = site_from_template(tmp_path / "one", "small-site")
    _, many = site_from_template(tmp_path / "many", "small-site", *CLUSTER)
    assert cluster_ports(one) == range(0) and zeek_cores(one) == 1
    assert len(cluster_ports(many)) == 7 and zeek_cores(many) == 6


def test_doctor_warns_when_the_host_has_fewer_cores_than_the_cluster_wants() -> None:
    short = doctor.check_cpu_cores(6, 4, 2)
    assert not short.ok and short.warning and "want 6 cores, the host has 2" in short.detail
    assert "sensor.workers" in (short.fix or "")
    assert doctor.check_cpu_cores(6, 4, 8).ok
    single = doctor.check_cpu_cores(1, 0, 1)
    assert single.ok and "one standalone Zeek" in single.detail


def test_doctor_fails_on_cluster_ports_held_by_something_else() -> None:
    ports = range(29000, 29007)
    assert doctor.check_cluster_ports(ports, [], ours=False).ok
    assert doctor.check_cluster_ports(ports, [29001], ours=True).ok  # this site's running sensor
    taken = doctor.check_cluster_ports(ports, [29001, 29004], ours=False)
    assert not taken.ok and not taken.warning and "29001, 29004" in taken.detail
    assert "sensor.cluster_port" in (taken.fix or "")


def test_plan_notes_the_layout_and_the_cores_against_the_hosts(tmp_path: Path) -> None:
    _, profile = site_from_template(tmp_path, "small-site", *CLUSTER)
    [note] = sensor_notes(profile, 2)
    ports = cluster_ports(profile)
    assert f"127.0.0.1:{ports[0]}-{ports[-1]}" in note and "4 workers" in note
    assert "wants 6 CPU cores" in note and "this host has 2" in note and "drop packets" in note
    assert "drop packets" not in sensor_notes(profile, 16)[0]
    _, single = site_from_template(tmp_path / "single", "small-site")
    assert sensor_notes(single, 2) == []


def test_render_makes_log_queue_writable_for_zeek_and_the_correlator(tmp_path: Path) -> None:
    """The logger rotates into log-queue/; made by Zeek it would be 0755 (umask) and the correlator could
    neither gzip nor prune there. Render makes it as it makes the log folder."""
    site, _ = rendered(tmp_path, *CLUSTER)
    queue = site / "logs" / "zeek" / "log-queue"
    assert queue.is_dir() and queue.stat().st_mode & 0o7777 == 0o2775
    single, _ = rendered(tmp_path / "single")
    assert not (single / "logs" / "zeek" / "log-queue").exists()


def test_only_the_logger_works_in_the_log_folder_the_supervisor_in_the_tmpfs(tmp_path: Path) -> None:
    """Anything the supervisor process might write itself (a reporter.log in TSV) must not land beside the
    logger's JSON logs of the same name."""
    site, services = rendered(tmp_path, *CLUSTER)
    assert services["zeek"]["working_dir"] == "/tmp" and "/tmp:size=64m" in services["zeek"]["tmpfs"]
    text = (site / "config/zeek/cluster.zeek").read_text()
    assert text.count('"/logs/zeek"') == 1 and '["logger"] = "/logs/zeek"' in text
