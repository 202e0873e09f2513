"""A distributed-ci site on one engine as separate hosts: the storage host's and the hub's compose projects,
each on its own network, joined only by the site's link network (docs/topology.md).

The hub's correlators reach OpenSearch on the storage host through the link alias `opensearch.storage1`
(TLS checked against the site CA, the correlator's own login); the hub's feed server, which no other host
reaches, is not on the link network and cannot resolve it. Every compose.yaml of both templates' bundles is
accepted by the real `docker compose config`.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from minisoc.kafka.job import load_topics_job
from minisoc.ops.hosts import bring_down_host, bring_up_host, site_hosts_status
from minisoc.profile.create import create_profile
from minisoc.render import render_site
from minisoc.render.links import link_network

pytestmark = [pytest.mark.integration, pytest.mark.docker]


def _free_ports(count: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@pytest.mark.parametrize("template", ["distributed", "distributed-ci"])
def test_every_bundle_validates_with_docker_compose_config(
    tmp_path: Path, template: str, docker_engine: None
) -> None:
    site = tmp_path / template
    _, profile = create_profile(site, template)
    render_site(site, profile)
    for host in profile.hosts:
        bundle = site / "hosts" / host.name
        done = subprocess.run(
            ["docker", "compose", "--project-directory", str(bundle), "-f", str(bundle / "compose.yaml"),
             "--env-file", str(bundle / ".env"), "config", "--format", "json"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert done.returncode == 0, (host.name, done.stderr)
        assert json.loads(done.stdout)["name"] == f"{profile.project_name}-{host.name}"


@pytest.fixture
def ci_site(tmp_path: Path, docker_engine: None) -> Iterator[Path]:
    opensearch, correlator, feeds = _free_ports(3)
    site = tmp_path / "site"
    _, profile = create_profile(
        site,
        "distributed-ci",
        [
            "site.name=htopology",
            # one OpenSearch node: a cluster node refuses an engine that caps open files below 65535 (CI
            # sandboxes: 20000; tests/e2e/test_e2e_opensearch_cluster.py runs the cluster there)
            "opensearch.nodes=1",
            f"ports.opensearch.port={opensearch}",
            f"ports.correlator.port={correlator}",
            f"ports.feedserver.port={feeds}",
        ],
    )
    try:
        yield site
    finally:
        for host in ("hub1", "storage1"):
            bring_down_host(site, host, volumes=True)
        subprocess.run(["docker", "network", "rm", link_network(profile)], capture_output=True, check=False)


def _exec(site: Path, project: str, service: str, *command: str) -> subprocess.CompletedProcess[str]:
    bundle = site / "hosts" / project.rsplit("-", 1)[1]
    return subprocess.run(
        ["docker", "compose", "-p", project, "-f", str(bundle / "compose.yaml"), "--env-file",
         str(bundle / ".env"), "exec", "-T", service, *command],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_storage_and_hub_projects_meet_only_on_the_link_network(ci_site: Path) -> None:
    storage = bring_up_host(ci_site, "storage1", progress=lambda _: None, wait_timeout_s=420)
    assert storage.ok, storage.text_lines()
    hub = bring_up_host(ci_site, "hub1", progress=lambda _: None, wait_timeout_s=300)
    assert hub.ok, hub.text_lines()
    # the one-shot kafka-topics created every topic before the correlators started (no auto-creation)
    job = load_topics_job(ci_site / "hosts" / "hub1" / "config" / "correlator" / "kafka-topics.json")
    topics = next(check for check in hub.checks if check.name == "kafka topics")
    assert topics.detail == f"{len(job.topics)} created", hub.text_lines()

    status = site_hosts_status(ci_site)["hosts"]
    assert status["storage1"]["services"]["opensearch"]["ready"]
    assert {"correlator-1", "correlator-2", "feedserver", "kafka-topics"} <= set(status["hub1"]["services"])
    assert all(s["ready"] for s in status["hub1"]["services"].values())
    again = bring_up_host(ci_site, "hub1", progress=lambda _: None, wait_timeout_s=300)
    assert again.ok, again.text_lines()  # a second `up`: the job runs again and changes nothing
    topics = next(check for check in again.checks if check.name == "kafka topics")
    assert topics.detail == f"{len(job.topics)} unchanged", again.text_lines()
    assert status["sensor1"]["placed"] == ["shipper"]

    hub_project, storage_project = status["hub1"]["project"], status["storage1"]["project"]
    answer = _exec(
        ci_site, hub_project, "correlator-2", "sh", "-c",
        "curl -sS -o /dev/null -w '%{http_code}' --cacert /certs/ca.crt "
        "-u correlator:$(cat /run/secrets/opensearch-correlator-password) "
        "https://opensearch.storage1:9200/minisoc-alerts*/_count",
    )
    assert answer.returncode == 0, answer.stderr  # TLS verified: the certificate names the link alias
    assert answer.stdout.strip() in {"200", "404"}, answer.stdout  # logged in: never 401

    cut_off = _exec(ci_site, hub_project, "feedserver", "curl", "-sS", "-k", "https://opensearch.storage1:9200/")
    assert cut_off.returncode == 6, (cut_off.returncode, cut_off.stderr)  # cannot resolve: not on the link
    other_side = _exec(ci_site, storage_project, "opensearch", "getent", "hosts", "feedserver")
    assert other_side.returncode != 0  # the storage project does not see the hub's own services
