"""opensearch.nodes: 3 rendered: one compose service, data volume, opensearch.yml and certificate per node,
every node in nodes_dn, replicas in the index templates, every node's URL for the correlator and Dashboards;
and the pure per-node function the topology reuses for nodes spread over hosts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from minisoc.correlator.clients.opensearch import connect_opensearch
from minisoc.render import render_site
from minisoc.render.context import template_context
from minisoc.render.images import resolve_images
from minisoc.render.opensearch_nodes import NodeSpec, local_nodes, node_context, node_settings, node_urls
from minisoc.render.templating import render_template, stack_environment
from render_support import fixed_secret, site_from_template

NODES = ["opensearch", "opensearch-2", "opensearch-3"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site_dir, profile = site_from_template(
        tmp_path_factory.mktemp("cluster"), "small-site", "opensearch.nodes=3", "opensearch.heap_mb=512",
        "opensearch.shards=2", "resources.ram_budget_mb=16384",
    )
    render_site(site_dir, profile, secrets=fixed_secret)
    return site_dir


def test_one_service_volume_config_and_port_per_node(site: Path) -> None:
    compose = yaml.safe_load((site / "compose.yaml").read_text())
    services = compose["services"]
    for number, node in enumerate(NODES):
        spec = services[node]
        sources = {mount["source"]: mount["target"] for mount in spec["volumes"]}
        assert sources[f"{node}-data"] == "/usr/share/opensearch/data"
        assert sources[f"./config/opensearch/{node}.yml"] == "/usr/share/opensearch/config/opensearch.yml"
        own = "opensearch-node" + node.removeprefix("opensearch")
        assert sources[f"./pki/{own}.key"] == "/usr/share/opensearch/config/certs/opensearch-node.key"
        assert spec["ports"][0]["published"] == 9200 + number and spec["mem_limit"] == "1024m"
    assert {f"{node}-data" for node in NODES} <= set(compose["volumes"])
    hosts = services["dashboards"]["environment"]["OPENSEARCH_HOSTS"]
    assert json.loads(hosts) == [f"https://{node}:9200" for node in NODES] and " " not in hosts


def test_each_node_discovers_the_others_over_tls(site: Path) -> None:
    dns = [f"CN={node},OU=nodes,O=minisoc" for node in NODES]
    for node in NODES:
        settings = yaml.safe_load((site / "config" / "opensearch" / f"{node}.yml").read_text())
        assert settings["node.name"] == node and "discovery.type" not in settings
        assert settings["discovery.seed_hosts"] == [f"{name}:9300" for name in NODES]
        assert settings["cluster.initial_cluster_manager_nodes"] == NODES
        assert settings["node.roles"] == ["cluster_manager", "data", "ingest"]
        assert settings["plugins.security.nodes_dn"] == dns
        certificate = x509.load_pem_x509_certificate(
            (site / "pki" / ("opensearch-node" + node.removeprefix("opensearch") + ".crt")).read_bytes())
        assert certificate.subject.rfc4514_string() == dns[NODES.index(node)]
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert node in names.get_values_for_type(x509.DNSName)  # Dashboards and the correlator check it
    nodes_dn = yaml.safe_load((site / "config" / "opensearch" / "security" / "nodes_dn.yml").read_text())
    assert nodes_dn["minisoc"]["nodes_dn"] == dns


def test_templates_and_correlator_follow_the_cluster(site: Path) -> None:
    for name in ("minisoc-alerts", "zeek-logs", "zeek-syslog-logs", "zeek-netflow-logs"):
        body = json.loads((site / "config" / "opensearch" / "index-templates" / f"{name}.json").read_text())
        settings = body["template"]["settings"]
        assert (settings["number_of_shards"], settings["number_of_replicas"]) == (2, 1)
        assert "auto_expand_replicas" not in settings
    correlator = yaml.safe_load((site / "config" / "correlator" / "correlator.yaml").read_text())
    sink = correlator["sink"]["opensearch"]
    assert [sink["url"], *sink["other_urls"]] == [f"https://{node}:9200" for node in NODES]


def test_node_settings_for_nodes_on_other_hosts() -> None:
    nodes = (
        NodeSpec("opensearch", publish_host="10.0.0.5"),
        NodeSpec("opensearch-2", publish_host="10.0.0.6", transport_port=9301, http_port=9201),
        NodeSpec("opensearch-3", publish_host="10.0.0.7"),
        NodeSpec("opensearch-4", manager=False, publish_host="10.0.0.7", transport_port=9302),
    )
    second = node_settings(nodes[1], nodes)
    assert second["discovery.seed_hosts"] == ["10.0.0.5:9300", "10.0.0.6:9301", "10.0.0.7:9300"]
    assert second["cluster.initial_cluster_manager_nodes"] == ["opensearch", "opensearch-2", "opensearch-3"]
    assert (second["network.publish_host"], second["transport.publish_port"], second["http.publish_port"]) \
        == ("10.0.0.6", 9301, 9201)
    assert node_settings(nodes[3], nodes)["node.roles"] == ["data", "ingest"]
    assert node_urls(nodes[:2], "https") == ["https://10.0.0.5:9200", "https://10.0.0.6:9201"]
    assert node_settings(NodeSpec("opensearch"), (NodeSpec("opensearch"),)) == {
        "node.name": "opensearch", "discovery.type": "single-node"}
    assert [node.manager for node in local_nodes([f"n{i}" for i in range(5)])] == [True] * 3 + [False] * 2
    with pytest.raises(ValueError, match="cluster-manager-eligible"):
        followers = (NodeSpec("a", manager=False), NodeSpec("b", manager=False))
        node_settings(followers[0], followers)


def test_client_fails_over_between_nodes_only_with_several() -> None:
    single = connect_opensearch("https://opensearch:9200")
    assert single.transport.max_retries == 0  # one node: the callers' backoff, never a silent retry
    several = connect_opensearch("https://opensearch:9200", other_urls=["https://opensearch-2:9200"])
    assert several.transport.max_retries == 1
    assert [host["host"] for host in several.transport.hosts] == ["opensearch", "opensearch-2"]


def test_a_node_on_another_host_publishes_its_transport(tmp_path: Path) -> None:
    """What the topology renders on a storage host: that host's node, HTTP and transport published."""
    _, profile = site_from_template(tmp_path, "ci", "opensearch.nodes=3", "resources.ram_budget_mb=8192")
    context = template_context(profile, resolve_images(profile, None))
    nodes = tuple(NodeSpec(name, publish_host=f"10.0.0.{5 + i}") for i, name in enumerate(NODES))
    context["opensearch_nodes"] = [node_context(nodes[1], nodes, host_port=9200, host_ip="10.0.0.6",
                                                cert_mounts=[], transport_host_port=9300)]
    fragment = yaml.safe_load(render_template(stack_environment(), "opensearch/compose.yaml.j2", context))
    assert list(fragment) == ["opensearch-2"]
    assert [(p["target"], p["published"], p["host_ip"]) for p in fragment["opensearch-2"]["ports"]] == [
        (9200, 9200, "10.0.0.6"), (9300, 9300, "10.0.0.6")]
    settings = yaml.safe_load(render_template(stack_environment(), "opensearch/opensearch.yml.j2",
                                              {**context, "node": context["opensearch_nodes"][0]}))
    assert settings["network.publish_host"] == "10.0.0.6"
    assert settings["discovery.seed_hosts"] == ["10.0.0.5:9300", "10.0.0.6:9300", "10.0.0.7:9300"]
