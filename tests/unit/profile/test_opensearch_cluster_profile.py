"""opensearch.nodes / shards / replicas: the profile rules of a cluster, through the CLI edge and the
model."""

from __future__ import annotations

from pathlib import Path

import pytest

from minisoc.cli.main import main
from minisoc.profile.model import SiteProfile
from minisoc.profile.opensearch_cluster import compose_services, manager_nodes, node_names, replicas
from minisoc.profile.ports import published_ports
from minisoc.profile.resources import total_memory_mb

BASE = "site: {name: lab, admin_email: soc@example.org}\nsensor: {mode: external, interface: null}\n"


def check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    (tmp_path / "minisoc.yaml").write_text(BASE + text, encoding="utf-8")
    code = main(["profile", "check", str(tmp_path)])
    return code, capsys.readouterr().err.splitlines()


def profile(**opensearch: object) -> SiteProfile:
    return SiteProfile.model_validate({
        "site": {"name": "lab", "admin_email": "soc@example.org"},
        "sensor": {"mode": "external", "interface": None},
        "opensearch": opensearch,
        "resources": {"ram_budget_mb": 16384},
    })  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "opensearch: {nodes: 3, replicas: 0}\nresources: {ram_budget_mb: 16384}\n",
            "error: opensearch.replicas: 0 replicas on a 3-node cluster: every node that stops takes its "
            "shards with it (the cluster goes red, writes to those shards fail); hint: set "
            "opensearch.replicas: 1 (or leave it unset), or opensearch.nodes: 1",
            id="cluster-without-replicas",
        ),
        pytest.param(
            "opensearch: {nodes: 2, replicas: 2}\nresources: {ram_budget_mb: 16384}\n",
            "error: opensearch.replicas: 2 replica(s) need 3 nodes, the profile has 2: the extra copies stay "
            "unassigned and the cluster yellow; hint: set opensearch.replicas to at most 1, or raise "
            "opensearch.nodes",
            id="more-replicas-than-nodes-allow",
        ),
        pytest.param(
            "opensearch: {replicas: 1}\n",
            "error: opensearch.replicas: 1 replica(s) need 2 nodes, the profile has 1: the extra copies stay "
            "unassigned and the cluster yellow; hint: set opensearch.replicas to at most 0, or raise "
            "opensearch.nodes",
            id="replica-on-a-single-node",
        ),
        pytest.param(
            "opensearch: {nodes: 3, heap_mb: 2048}\nresources: {ram_budget_mb: 8192}\n",
            "error: opensearch.heap_mb: 6144 MB (3 nodes x 2048 MB) is more than half the RAM budget "
            "(8192 MB); hint: lower opensearch.heap_mb to at most 1365, or raise resources.ram_budget_mb",
            id="heap-of-every-node-counts",
        ),
        pytest.param(
            "opensearch: {nodes: 3}\nports: {opensearch: {port: 65535}}\nresources: {ram_budget_mb: 16384}\n",
            "error: ports.opensearch.port: node 3 would be published on port 65537; hint: choose a lower "
            "ports.opensearch.port: node N is published on port + N - 1",
            id="node-ports-past-65535",
        ),
    ],
)
def test_cluster_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str) -> None:
    code, lines = check(tmp_path, text, capsys)
    assert code == 2
    assert expected in lines


def test_a_node_port_clashing_with_another_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = ("opensearch: {nodes: 2}\nports: {opensearch: {port: 9200}, dashboards: {port: 9201}}\n"
            "resources: {ram_budget_mb: 16384}\n")
    code, lines = check(tmp_path, text, capsys)
    assert code == 2
    clash = "error: ports.dashboards.port: host port 9201 is already used"
    assert any(line.startswith(clash) for line in lines)


def test_a_three_node_cluster_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "opensearch: {nodes: 3, heap_mb: 512}\nresources: {ram_budget_mb: 8192}\n"
    (tmp_path / "minisoc.yaml").write_text(BASE + text, encoding="utf-8")
    assert main(["profile", "check", str(tmp_path)]) == 0
    assert "opensearch, opensearch-2, opensearch-3, dashboards" in capsys.readouterr().out


def test_names_managers_and_default_replicas() -> None:
    assert node_names(1) == ("opensearch",)
    assert node_names(3) == ("opensearch", "opensearch-2", "opensearch-3")
    assert manager_nodes(node_names(2)) == ("opensearch", "opensearch-2")
    assert manager_nodes(node_names(5)) == ("opensearch", "opensearch-2", "opensearch-3")
    assert replicas(profile().opensearch) == 0
    assert replicas(profile(nodes=3).opensearch) == 1
    assert replicas(profile(nodes=3, replicas=2).opensearch) == 2
    with pytest.raises(ValueError, match="at least one node"):
        node_names(0)


def test_services_ports_and_memory_of_a_cluster() -> None:
    cluster = profile(nodes=3, heap_mb=512)
    services = compose_services(cluster)
    start = services.index("opensearch")
    assert services[start:start + 4] == ("opensearch", "opensearch-2", "opensearch-3", "dashboards")
    assert [p.binding.port for p in published_ports(cluster) if p.key == "opensearch"] == [9200, 9201, 9202]
    single = profile(heap_mb=512)
    assert total_memory_mb(cluster) == total_memory_mb(single) + 2 * 1024  # 2 more nodes, 2 x heap each
    assert "opensearch" not in compose_services(profile(enabled=False, dashboards={"enabled": False}))


def test_a_jvm_gets_twice_its_heap_and_never_less_than_heap_plus_its_own_memory() -> None:
    from minisoc.profile.resources import JVM_OVERHEAD_MB, jvm_memory_mb

    assert jvm_memory_mb(256) == 256 + JVM_OVERHEAD_MB == 768  # 512 and 640 were OOM-killed while indexing
    assert jvm_memory_mb(384) == 896
    assert jvm_memory_mb(512) == 1024
    assert jvm_memory_mb(1024) == 2048
    assert total_memory_mb(profile(nodes=3, heap_mb=256)) == total_memory_mb(profile(heap_mb=256)) + 2 * 768
