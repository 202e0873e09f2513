"""The distributed-ci site end to end on one engine, as three hosts, through four faults.

storage1 (three OpenSearch nodes), hub1 (two Kafka brokers, the topics job, two correlators in one consumer
group, the feed server) and sensor1 (the rsyslog shipper) are each their own compose project, brought up with
`minisoc up --host`; they meet only on the link network (checked first). Indicators are published to the
hub's local MISP feed; real Zeek JSON lines from ../shared/data are appended to the sensor's log folder in
five slices, the first before the faults, one more during each:

1. a correlator is SIGKILLed mid-stream: the other one takes all its partitions;
2. a Kafka broker is SIGKILLed, lines are shipped meanwhile, it starts again;
3. one OpenSearch node of three is stopped and lines are shipped: the cluster stays yellow and stores every
   one of them meanwhile (the correlators fail over to the other nodes); the node starts again;
4. the whole hub goes down and comes up again (`minisoc down/up --host hub1`; the shipper holds the lines,
   the topics job runs again and changes nothing).

After each phase every line shipped so far is in the log indices exactly once; at the end every alert that
`minisoc hunt` raises on the sensor's files with the same feed is in OpenSearch exactly once (same ids, each
record once), and the cluster is green again. On an engine that caps open files below 65535 (a CI sandbox)
storage1 comes up through tests/e2e/sandboxed_storage.py (the nodes in one network namespace, see there).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed_support import (
    CORRELATORS,
    append_slice,
    compose,
    count,
    distinct_records,
    file_hunt,
    healthz,
    lines_by_type,
    partitions,
    records_of,
    running,
    shipped_types,
    stored_alerts,
)
from e2e_support import free_ports, publish_attributes, wait_for
from opensearch_cluster_support import free_port_run
from sandboxed_storage import bring_up_storage

from minisoc.kafka.job import TopicsJob, load_topics_job
from minisoc.ops import load_site
from minisoc.ops.hosts import bring_down_host, bring_up_host, site_hosts_status
from minisoc.profile.create import create_profile
from minisoc.render.links import link_network

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.timeout(1500)]

HOSTS = ("storage1", "hub1", "sensor1")
PARTS = 5
LOGS = "zeek-*"
INDICATORS = [  # hit zat, the sshguess capture and the WRCCDC 2018 DNS log
    ("ip-dst", "192.168.56.1"), ("ip-dst", "10.18.20.97"),
    ("domain", "videosearch.ubuntu.com"), ("domain", "snozberry.oompa.loompa"),
]


@pytest.fixture
def site(tmp_path: Path, docker_engine: None) -> Iterator[Path]:
    correlator, feeds = free_ports(2)
    opensearch = free_port_run(3)  # nodes 2 and 3 publish the next two ports
    site_dir = tmp_path / "site"
    _, profile = create_profile(site_dir, "distributed-ci", [
        "site.name=dfaults", "opensearch.nodes=3", f"ports.opensearch.port={opensearch}",
        f"ports.correlator.port={correlator}", f"ports.feedserver.port={feeds}",
    ])
    try:
        yield site_dir
    finally:
        for host in HOSTS:
            bring_down_host(site_dir, host, volumes=True)
        subprocess.run(["docker", "network", "rm", link_network(profile)], capture_output=True, check=False)


def _logs(site_dir: Path) -> str:
    tails = [compose(site_dir, host, "logs", "--tail", "40").stdout for host in ("hub1", "sensor1")]
    return "\n".join(tail[-4000:] for tail in tails)


def test_every_line_and_alert_once_through_four_faults(site: Path, shared_data: Path) -> None:
    started = time.monotonic()
    for host in HOSTS:
        if host == "storage1":
            report = bring_up_storage(site, host, wait_timeout_s=420)
        else:
            report = bring_up_host(site, host, progress=lambda _: None, wait_timeout_s=420)
        assert report.ok, report.text_lines()
        if host == "hub1":  # the one-shot kafka-topics created every topic before the correlators started
            topics = next(check for check in report.checks if check.name == "kafka topics")
            assert topics.detail == f"{len(topics_job(site).topics)} created", report.text_lines()
    up_s = time.monotonic() - started
    hub_sees_only_the_link(site)
    feed_dir = site / "hosts" / "hub1" / "feeds" / "local"
    publish_attributes(feed_dir, INDICATORS, "distributed e2e")
    wait_for("both correlators hold the feed's indicators",
             lambda: all(healthz(site, c).get("components", {}).get("intel", {}).get("indicators", 0)
                         >= len(INDICATORS) for c in CORRELATORS), 120,
             on_fail=lambda: "\n".join(str(healthz(site, c)) for c in CORRELATORS))

    small = sorted(p for folder in ("zeek/json/zat", "zeek/json/zeek8-pcaps")
                   for p in (shared_data / folder).rglob("*.log"))
    files = [*small, shared_data / "zeek/json/wrccdc-zeek6.2/dns.json.gz"]
    lines = lines_by_type(files, shipped_types(site))
    log_dir = site / "hosts" / "sensor1" / "logs" / "zeek"
    figures: dict[str, float] = {"up": up_s}

    def drained(phase: int) -> None:
        expected = distinct_records(lines, PARTS, phase + 1)
        figures[f"phase {phase}"] = wait_for(
            f"phase {phase}: {expected} log documents", lambda: count(site, LOGS) >= expected, 300,
            on_fail=lambda: f"have {count(site, LOGS)}\n{_logs(site)}")
        time.sleep(3)
        assert count(site, LOGS) == expected  # nothing lost, nothing doubled

    # 1. a correlator dies mid-stream; the other takes its partitions
    shares = [partitions(healthz(site, c)) for c in CORRELATORS]
    assert min(shares) > 0, shares  # the group shares the partitions
    append_slice(log_dir, lines, 0, PARTS)
    wait_for("the first documents", lambda: count(site, LOGS) > 0, 120, on_fail=lambda: _logs(site))
    assert compose(site, "hub1", "kill", "correlator-1").returncode == 0  # SIGKILL: no restart policy
    append_slice(log_dir, lines, 1, PARTS)
    wait_for("correlator-2 owns every partition",
             lambda: partitions(healthz(site, "correlator-2")) == sum(shares), 90,
             on_fail=lambda: str(healthz(site, "correlator-2")))
    assert "correlator-1" not in running(site, "hub1")
    drained(1)
    assert compose(site, "hub1", "start", "correlator-1").returncode == 0

    # 2. a broker is killed while lines are shipped, and comes back
    assert compose(site, "hub1", "kill", "kafka-2").returncode == 0
    append_slice(log_dir, lines, 2, PARTS)
    time.sleep(10)
    assert compose(site, "hub1", "start", "kafka-2").returncode == 0
    drained(2)

    # 3. one OpenSearch node of three stops while lines are shipped: yellow, and every line is stored while
    # it is away (the correlators' requests to it fail over to the other nodes); then it returns
    assert compose(site, "storage1", "stop", "opensearch-3").returncode == 0
    append_slice(log_dir, lines, 3, PARTS)
    drained(3)
    assert cluster_health(site)[:2] == ("yellow", 2)  # replicas unassigned, nothing red
    assert compose(site, "storage1", "start", "opensearch-3").returncode == 0

    # 4. the whole hub restarts; the shipper holds the lines meanwhile
    assert bring_down_host(site, "hub1").ok
    append_slice(log_dir, lines, 4, PARTS)
    again = bring_up_host(site, "hub1", progress=lambda _: None, wait_timeout_s=420)
    assert again.ok, again.text_lines()
    topics = next(check for check in again.checks if check.name == "kafka topics")
    assert topics.detail == f"{len(topics_job(site).topics)} unchanged", again.text_lines()  # ran again
    drained(4)

    expected = file_hunt(log_dir, feed_dir)
    wait_for(f"{len(expected)} alerts", lambda: len(stored_alerts(site)) >= len(expected), 120,
             on_fail=lambda: _logs(site))
    time.sleep(5)
    stored = stored_alerts(site)
    by_id = {doc["_id"]: doc for doc in stored}
    assert len(stored) == len(by_id)
    assert set(by_id) == set(expected), (len(by_id), len(expected))
    assert len(expected) > 50
    for alert_id, doc in expected.items():
        records = records_of(by_id[alert_id])
        assert len(records) == len(set(records)), f"{alert_id}: a record listed twice"
        assert records == records_of(doc), alert_id
    wait_for("the cluster green again", lambda: cluster_health(site)[:2] == ("green", 3), 180,
             on_fail=lambda: str(cluster_health(site)))
    shown = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in figures.items())
    print(f"distributed faults: {len(expected)} alerts, {count(site, LOGS)} log documents; {shown}; "
          f"total {time.monotonic() - started:.0f}s")



def cluster_health(site_dir: Path) -> tuple[str, int, int]:
    """(status, nodes, unassigned shards) of the cluster, as the installer's client sees it."""
    _, body = load_site(site_dir).opensearch(timeout_s=30).request("GET", "/_cluster/health")
    return str(body["status"]), int(body["number_of_nodes"]), int(body["unassigned_shards"])


def topics_job(site_dir: Path) -> TopicsJob:
    return load_topics_job(site_dir / "hosts" / "hub1" / "config" / "correlator" / "kafka-topics.json")


def hub_sees_only_the_link(site_dir: Path) -> None:
    """The hosts' projects meet only on the link network (docs/topology.md).

    The correlators reach OpenSearch on storage1 by its link alias (TLS checked against the site CA, their
    own login); the hub's feed server, which no other host reaches, is not on the link and cannot resolve it;
    the storage project does not see the hub's own services."""
    status = site_hosts_status(site_dir)["hosts"]
    assert status["storage1"]["services"]["opensearch"]["ready"]
    assert {"correlator-1", "correlator-2", "feedserver", "kafka-topics"} <= set(status["hub1"]["services"])
    assert all(s["ready"] for s in status["hub1"]["services"].values()), status["hub1"]
    assert status["sensor1"]["services"]["shipper"]["ready"]
    answer = compose(
        site_dir, "hub1", "exec", "-T", "correlator-2", "sh", "-c",
        "curl -sS -o /dev/null -w '%{http_code}' --cacert /certs/ca.crt "
        "-u correlator:$(cat /run/secrets/opensearch-correlator-password) "
        "https://opensearch.storage1:9200/minisoc-alerts*/_count",
    )
    assert answer.returncode == 0, answer.stderr  # TLS verified: the certificate names the link alias
    assert answer.stdout.strip() in {"200", "404"}, answer.stdout  # logged in: never 401
    cut_off = compose(site_dir, "hub1", "exec", "-T", "feedserver", "curl", "-sS", "-k",
                      "https://opensearch.storage1:9200/")
    assert cut_off.returncode == 6, (cut_off.returncode, cut_off.stderr)  # cannot resolve: not on the link
    other_side = compose(site_dir, "storage1", "exec", "-T", "opensearch", "getent", "hosts", "feedserver")
    assert other_side.returncode != 0
