"""Per-host bundles of a distributed site: each holds its own services, and no secret or key of another
host (checked by searching every file of the bundle for every other secret value)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from minisoc.render import render_site
from render_support import fixed_secret, refuse_new_secret, site_from_template

HOST_SECRETS = {  # (template, host): the secrets its bundle holds, and no other
    ("distributed", "sensor1"): {"secrets-generation"},
    ("distributed", "hub1"): {
        "secrets-generation", "opensearch-correlator-password", "misp-admin-key", "misp-admin-password",
        "misp-automation-key", "misp-cache-password", "misp-db-password", "misp-db-root-password",
        "misp-encryption-key", "misp-gpg-passphrase", "misp-org-uuid",
        "kafka-scram-minisoc-admin", "kafka-scram-correlator", "kafka-scram-users",
    },
    ("distributed", "storage1"): {
        "secrets-generation", "opensearch-admin-password", "opensearch-kibanaserver-password",
    },
    ("distributed", "storage2"): {"secrets-generation"},
    ("distributed-ci", "sensor1"): {"secrets-generation"},
    ("distributed-ci", "hub1"): {
        "secrets-generation", "opensearch-correlator-password",
        "kafka-scram-minisoc-admin", "kafka-scram-correlator", "kafka-scram-users",
    },
    ("distributed-ci", "storage1"): {"secrets-generation", "opensearch-admin-password"},
}


def _bundle_bytes(site: Path, host: str) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in sorted((site / "hosts" / host).rglob("*")) if p.is_file()]


@pytest.mark.parametrize(("template", "host"), sorted(HOST_SECRETS))
def test_a_bundle_holds_only_its_hosts_secrets(tmp_path: Path, template: str, host: str) -> None:
    site, profile = site_from_template(tmp_path, template)
    render_site(site, profile, secrets=fixed_secret)
    held = {p.name for p in (site / "hosts" / host / "secrets").iterdir()}
    assert held == HOST_SECRETS[(template, host)]
    # the brokers' SCRAM users file (hub) names every Kafka user's password, the shipper's too
    known = held | ({"kafka-scram-shipper"} if "kafka-scram-users" in held else set())
    foreign = {
        p.name: p.read_bytes() for p in (site / "secrets").iterdir() if p.name not in known
    }
    assert foreign  # the check below can fail: other hosts' secrets exist
    for path, data in _bundle_bytes(site, host):
        for name, value in foreign.items():
            assert value not in data, f"{path} holds {name}"
    ca_key = (site / "pki" / "ca.key").read_bytes()
    assert all((data != ca_key and b"PRIVATE KEY" not in data) or path.suffix == ".key"
               for path, data in _bundle_bytes(site, host))
    assert not (site / "hosts" / host / "pki" / "ca.key").exists()
    if host == "sensor1":  # the shipper's client certificate (mutual TLS to Kafka) and the CA, no password
        assert {"ca.crt", "kafka-shipper.crt", "kafka-shipper.key"} <= {
            p.name for p in (site / "hosts" / host / "pki").iterdir()}


def test_bundles_run_their_roles_services_in_their_own_projects(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "distributed-ci")
    render_site(site, profile, secrets=fixed_secret)

    def compose(host: str) -> dict:  # type: ignore[type-arg]
        document = yaml.safe_load((site / "hosts" / host / "compose.yaml").read_text())
        assert isinstance(document, dict)
        return document

    storage, hub, sensor = compose("storage1"), compose("hub1"), compose("sensor1")
    assert storage["name"] == "minisoc-dci-g01d3n-storage1"
    assert sorted(storage["services"]) == ["opensearch", "opensearch-2", "opensearch-3"]
    assert sorted(hub["services"]) == ["correlator-1", "correlator-2", "feedserver", "kafka-1", "kafka-2",
                                      "kafka-topics"]
    assert sorted(sensor["services"]) == ["shipper"]
    assert not any("x-minisoc-pending" in document for document in (storage, hub, sensor))
    # replica 1 leads the intel sync, replica 2 follows; both SASL_SSL as `correlator` to both brokers
    configs = site / "hosts" / "hub1" / "config" / "correlator"
    kafka = [yaml.safe_load((configs / name).read_text())["kafka"]
             for name in ("correlator.yaml", "correlator-2.yaml")]
    assert [k["intel_role"] for k in kafka] == ["leader", "follower"]
    assert all(k["bootstrap_servers"] == ["kafka-1.hub1:9093", "kafka-2.hub1:9093"]
               and k["security_protocol"] == "SASL_SSL" and k["username"] == "correlator" for k in kafka)
    assert hub["services"]["correlator-2"]["command"][-1] == "/config/correlator-2.yaml"
    rsyslog = (site / "hosts" / "sensor1" / "config" / "shipper" / "rsyslog.conf").read_text()
    assert "kafka-1.hub1:9092" in rsyslog and "kafka-2.hub1:9092" in rsyslog
    link = {"external": True, "name": "minisoc-dci-g01d3n-link"}
    assert storage["networks"]["minisoc-link"] == link == hub["networks"]["minisoc-link"]
    aliases = {"aliases": ["opensearch.storage1"]}
    assert storage["services"]["opensearch"]["networks"]["minisoc-link"] == aliases
    assert storage["services"]["opensearch"]["networks"]["default"] == aliases  # same name on its own host
    assert "networks" not in hub["services"]["feedserver"]  # not reached from another host
    replica = hub["services"]["correlator-2"]
    assert "depends_on" not in hub["services"]["correlator-1"] or "opensearch" not in (
        hub["services"]["correlator-1"]["depends_on"])
    assert {"source": "correlator-data-2", "target": "/data", "type": "volume"} in replica["volumes"]
    assert "ports" not in replica and hub["services"]["correlator-1"]["ports"][0]["published"] == 8088
    config = (site / "hosts" / "hub1" / "config" / "correlator" / "correlator.yaml").read_text()
    assert "url: https://opensearch.storage1:9200" in config
    assert not (site / "compose.yaml").exists()  # no single-host project beside the bundles


def test_real_hosts_publish_linked_services_and_certificates_name_the_address(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "distributed")
    render_site(site, profile, secrets=fixed_secret)
    storage = yaml.safe_load((site / "hosts" / "storage1" / "compose.yaml").read_text())
    ports = storage["services"]["opensearch"]["ports"]
    assert ports == [{"host_ip": "0.0.0.0", "protocol": "tcp", "published": 9200, "target": 9200}]
    assert storage["services"]["dashboards"]["ports"][0]["host_ip"] == "127.0.0.1"  # not linked
    config = (site / "hosts" / "hub1" / "config" / "correlator" / "correlator.yaml").read_text()
    assert "url: https://storage1.soc.example.org:9200" in config
    from cryptography import x509

    pem = (site / "hosts" / "storage1" / "pki" / "opensearch-node.crt").read_bytes()
    cert = x509.load_pem_x509_certificate(pem)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "storage1.soc.example.org" in names.get_values_for_type(x509.DNSName)


def test_a_second_render_writes_nothing_and_a_removed_host_bundle_goes(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "distributed")
    render_site(site, profile, secrets=fixed_secret)
    again = render_site(site, profile, secrets=refuse_new_secret)
    assert again.written == ()
    text = (site / "minisoc.yaml").read_text().replace("name: storage3\n", "name: storage3x\n")
    (site / "minisoc.yaml").write_text(text)
    from minisoc.profile.load import load_profile

    result = render_site(site, load_profile(site), secrets=refuse_new_secret)
    assert any(str(p).startswith("hosts/storage3/") for p in result.removed)
    assert (site / "hosts" / "storage3x" / "compose.yaml").is_file()
    assert not [p for p in (site / "hosts" / "storage3").rglob("*") if p.is_file()]  # pki/ included


@pytest.mark.parametrize("step", ["_copy_security", "_stale_bundle_files", "check_targets"])
def test_a_failed_distributed_render_leaves_the_site_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    import minisoc.render.distributed as distributed
    from minisoc.profile.load import load_profile

    site, profile = site_from_template(tmp_path, "distributed")
    render_site(site, profile, secrets=fixed_secret)
    text = (site / "minisoc.yaml").read_text().replace("name: storage3\n", "name: storage9\n")
    (site / "minisoc.yaml").write_text(text)
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file() and p.name != "minisoc.yaml"}

    def fail(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(distributed, step, fail)
    with pytest.raises(Exception, match="render failed"):
        render_site(site, load_profile(site), secrets=refuse_new_secret)
    after = {p: p.read_bytes() for p in site.rglob("*") if p.is_file() and p.name != "minisoc.yaml"}
    assert after == before


@pytest.mark.parametrize(("template", "assignments"), [
    ("distributed-ci", ()),
    ("distributed-ci", ("opensearch.nodes=3", "kafka.heap_mb=1024")),
    ("distributed", ()),
])
def test_each_hosts_share_is_the_sum_of_its_rendered_memory_limits(
    tmp_path: Path, template: str, assignments: tuple[str, ...]
) -> None:
    """What `plan` and `doctor` count per host is what its compose.yaml limits: the brokers by their heap
    (at least heap + 512 MB: 256 MB-heap JVMs were OOM-killed at 512 and 640), the shipper as rendered (it
    was a stale 128 MB estimate), the one-shot topics job not at all."""
    from minisoc.render.host_shares import host_shares

    site, profile = site_from_template(tmp_path, template, *assignments)
    render_site(site, profile, secrets=fixed_secret)
    for share in host_shares(profile):
        services = yaml.safe_load((site / "hosts" / share.host.name / "compose.yaml").read_text())["services"]
        limits = [int(spec["mem_limit"].removesuffix("m")) for spec in services.values()
                  if spec["restart"] != "no"]
        assert share.memory_mb == sum(limits), share.host.name
