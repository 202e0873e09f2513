"""The topology part of the profile: each bad `site.topology`/`hosts:` gives its exact dotted-path line
through the CLI edge (exit 2), and `placement` spreads the replicated services over their role's hosts."""

from __future__ import annotations

from pathlib import Path

import pytest

from minisoc.cli.main import main
from minisoc.profile.load import parse_profile
from minisoc.profile.model import SiteProfile
from minisoc.profile.placement import ScaleCounts, placement, scale_counts

SITE = "site: {name: lab, admin_email: soc@example.org, topology: distributed}\n"
HOSTS = """\
hosts:
  - {name: s1, address: 10.0.0.11, roles: [sensor]}
  - {name: h1, address: 10.0.0.21, roles: [hub]}
  - {name: h2, address: 10.0.0.22, roles: [hub]}
  - {name: st1, address: 10.0.0.31, roles: [storage]}
"""


def check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    (tmp_path / "minisoc.yaml").write_text(text, encoding="utf-8")
    code = main(["profile", "check", str(tmp_path)])
    return code, capsys.readouterr().err.splitlines()


def test_a_valid_distributed_profile_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, errors = check(tmp_path, SITE + HOSTS, capsys)
    assert (code, errors) == (0, [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "site: {name: lab, admin_email: soc@example.org}\n" + HOSTS,
            "error: hosts: 4 host(s) listed, but site.topology is single (everything on this host); "
            "hint: set site.topology: distributed to render one bundle per host, or remove hosts:",
            id="hosts-in-single",
        ),
        pytest.param(
            "site: {name: lab, admin_email: soc@example.org}\ncorrelator: {replicas: 2}\n",
            "error: correlator.replicas: 2 replicas share their work through Kafka, which only a distributed "
            "site runs; hint: set correlator.replicas: 1, or site.topology: distributed with a hub host",
            id="replicas-in-single",
        ),
        pytest.param(
            SITE,
            "error: hosts: site.topology: distributed needs the list of hosts; hint: add hosts: with a name, "
            "an address and roles for each (see templates/distributed.yaml)",
            id="no-hosts",
        ),
        pytest.param(
            SITE + "hosts:\n  - {name: a, address: 10.0.0.1, roles: [sensor, hub]}\n",
            "error: hosts: no host has the storage role (it runs OpenSearch); "
            "hint: add storage to the roles of a host",
            id="missing-role",
        ),
        pytest.param(
            SITE + HOSTS + "  - {name: h1, address: 10.0.0.99, roles: [hub]}\n",
            "error: hosts.4.name: host name 'h1' is used twice; hint: name each host once",
            id="duplicate-name",
        ),
        pytest.param(
            SITE + HOSTS + "  - {name: x1, address: 10.0.0.11, roles: [hub]}\n",
            "error: hosts.4.address: address '10.0.0.11' is given to two hosts; hint: give each host its own "
            "address, or list the machine once with several roles",
            id="duplicate-address",
        ),
        pytest.param(
            SITE + "hosts:\n  - {name: a, address: 10.0.0.1, roles: [sensor, hub, storage, brain]}\n",
            "error: hosts.0.roles.3: input should be 'sensor', 'hub' or 'storage' (got 'brain'); "
            "hint: use sensor, hub or storage",
            id="unknown-role",
        ),
        pytest.param(
            SITE + "hosts:\n  - {name: a, address: 10.0.0.1, roles: [sensor, hub, storage, hub]}\n",
            "error: hosts.0.roles: hub is listed 2 times; hint: list each role once",
            id="role-twice",
        ),
        pytest.param(
            SITE + "hosts:\n  - {name: a, address: 'not an address', roles: [sensor, hub, storage]}\n",
            "hint: write the DNS name or IP address the other hosts reach it at, e.g. 10.0.0.11",
            id="bad-address",
        ),
        pytest.param(
            SITE + HOSTS + "opensearch: {enabled: false}\ncorrelator: {index_logs: false}\n",
            "error: opensearch.enabled: a distributed site stores its alerts and logs in OpenSearch on the "
            "storage hosts; hint: set opensearch.enabled: true",
            id="no-opensearch",
        ),
        pytest.param(
            SITE + HOSTS + "security: {tls: {enabled: false}}\n",
            "error: security.tls.enabled: the hosts reach OpenSearch and Kafka across the network: without "
            "TLS that is in clear, without a login; hint: set security.tls.enabled: true (or "
            "site.host_links: docker-network on one machine)",
            id="ports-links-need-tls",
        ),
        pytest.param(
            "site: {name: lab, admin_email: soc@example.org, host_links: docker-network}\n",
            "error: site.host_links: links between hosts are for site.topology: distributed; "
            "hint: remove site.host_links, or set site.topology: distributed",
            id="links-in-single",
        ),
    ],
)
def test_topology_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    code, errors = check(tmp_path, text, capsys)
    assert code == 2
    assert any(expected in line for line in errors), errors


def _profile(text: str) -> SiteProfile:
    return parse_profile(text, "minisoc.yaml")


def test_placement_spreads_replicas_over_hubs_and_puts_misp_on_the_first() -> None:
    profile = _profile(SITE + HOSTS + "correlator: {replicas: 2}\ninputs: {syslog: {enabled: true}}\n")
    assert placement(profile) == {
        "s1": ["zeek", "syslog", "shipper"],
        "h1": ["kafka-1", "correlator-1", "misp-core", "misp-modules", "misp-db", "misp-cache", "feedserver"],
        "h2": ["correlator-2"],
        "st1": ["opensearch", "dashboards"],
    }


def test_a_host_with_every_role_runs_the_union() -> None:
    profile = _profile(
        "site: {name: lab, admin_email: soc@example.org, topology: distributed, "
        "host_links: docker-network}\nhosts:\n  - {name: all, address: 10.0.0.1, "
        "roles: [storage, sensor, hub]}\ncorrelator: {replicas: 2}\n"
    )
    assert placement(profile) == {
        "all": ["zeek", "shipper", "kafka-1", "correlator-1", "correlator-2", "misp-core", "misp-modules",
                "misp-db", "misp-cache", "feedserver", "opensearch", "dashboards"],
    }


def test_single_has_no_placement_and_counts_default_to_one() -> None:
    profile = _profile("site: {name: lab, admin_email: soc@example.org}\n")
    assert placement(profile) == {}
    counts = scale_counts(profile)
    assert (counts.kafka_brokers, counts.opensearch_nodes, counts.correlator_replicas) == (1, 1, 1)


def test_two_nodes_on_one_host_with_published_ports_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until `opensearch.nodes` lands, the count comes through `scale_counts` alone: stub it to 2 nodes."""
    import minisoc.profile.placement as placement_module
    from minisoc.profile.checks import run_checks

    profile = _profile(SITE + HOSTS)
    monkeypatch.setattr(placement_module, "scale_counts", lambda p: ScaleCounts(1, 2, 3))
    problems = run_checks(profile)
    assert [(p.path, p.message) for p in problems] == [
        ("hosts.3", "st1 would run 2 opensearch instances, which publish the same ports")
    ]  # three correlator replicas on two hubs are fine: only the first publishes its port
