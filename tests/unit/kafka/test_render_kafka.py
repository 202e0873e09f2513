"""The Kafka compose fragment (stacks/kafka/compose.yaml.j2), certificates, SCRAM users file, jar lock."""

from __future__ import annotations

import re

import pytest

from minisoc.images.catalog import KAFKA_VERSION, kafka_image, kafka_jars
from minisoc.images.maven import parse_jar_lock
from minisoc.kafka.cluster import cluster_id_for, default_nodes
from minisoc.render.compose import harden
from minisoc.render.kafka import (
    KAFKA_SECRETS,
    Published,
    kafka_cert_specs,
    kafka_context,
    kafka_services,
    scram_users_file,
    start_script,
)
from minisoc.render.templating import stack_environment


def render(brokers: int = 3, published: dict[int, Published] | None = None) -> dict[str, dict[str, object]]:
    nodes = default_nodes(brokers, client_host="127.0.0.1" if published else None, first_client_port=29093)
    context = kafka_context(nodes, cluster_id=cluster_id_for("minisoc-lab"), image="minisoc/kafka:4.1.1",
                            heap_mb=256, partitions=6, retention_hours=72, published=published)
    return kafka_services(stack_environment(), context)


def test_one_service_per_node_with_mounts_secrets_and_escaped_dollars() -> None:
    services = render(3)
    assert sorted(services) == ["kafka-1", "kafka-2", "kafka-3"]
    node = services["kafka-2"]
    env = node["environment"]
    assert isinstance(env, dict)
    assert env["CLUSTER_ID"] == cluster_id_for("minisoc-lab")
    assert env["KAFKA_NODE_ID"] == "2"
    assert env["KAFKA_SSL_KEYSTORE_KEY"] == "$${dir:/etc/kafka/secrets:broker.key}"  # not interpolated
    assert node["command"] == ["bash", "/etc/kafka/minisoc/start.sh"]
    assert node["secrets"] == ["kafka-scram-users"]
    targets = {m["target"]: m for m in node["volumes"]}  # type: ignore[attr-defined]
    assert targets["/var/lib/kafka/data"]["source"] == "kafka-2-data"
    assert targets["/etc/kafka/secrets/broker.key"]["source"] == "./pki/kafka-2.key"
    assert targets["/etc/kafka/secrets/ca.crt"]["source"] == "./pki/ca.crt"
    assert all(m["read_only"] for t, m in targets.items() if t != "/var/lib/kafka/data")
    assert "ports" not in node
    hardened = harden("kafka-2", node, {"memory_mb": 768, "cpus": 1.0})
    assert hardened["cap_drop"] == ["ALL"] and hardened["healthcheck"]["start_period"] == "90s"


def test_published_ports_follow_the_advertised_addresses() -> None:
    services = render(2, {1: Published(29093), 2: Published(29094)})
    for index, port in ((1, 29093), (2, 29094)):
        node = services[f"kafka-{index}"]
        want = {"target": 9093, "published": port, "host_ip": "127.0.0.1", "protocol": "tcp"}
        assert node["ports"] == [want]
        env = node["environment"]
        assert isinstance(env, dict)
        assert env["KAFKA_ADVERTISED_LISTENERS"].startswith(f"CLIENT://127.0.0.1:{port},")


def test_certificates_cover_every_name_a_peer_or_client_dials() -> None:
    nodes = default_nodes(2, client_host="kafka.example.org", first_client_port=9093)
    specs = kafka_cert_specs(nodes, extra_names=["10.0.0.5"])
    assert [s.name for s in specs] == ["kafka-1", "kafka-2"]
    first = specs[0]
    assert first.server and first.client and first.owner_uid == 1000
    assert first.dns_names == ("kafka-1", "localhost", "kafka.example.org")
    assert first.ip_addresses == ("127.0.0.1", "10.0.0.5")


def test_scram_users_file() -> None:
    text = scram_users_file({"shipper": "b", "minisoc-admin": "a", "correlator": "c"})
    assert text == "correlator=c\nminisoc-admin=a\nshipper=b\n"
    with pytest.raises(ValueError, match="no SCRAM password for shipper"):
        scram_users_file({"minisoc-admin": "a", "correlator": "c"})
    with pytest.raises(ValueError, match="splits on"):
        scram_users_file({"minisoc-admin": "a,b", "correlator": "c", "shipper": "d"})
    assert [s.name for s in KAFKA_SECRETS] == ["kafka-scram-minisoc-admin", "kafka-scram-shipper",
                                                "kafka-scram-correlator"]


def test_jar_lock_pins_kafka_and_its_closure() -> None:
    jars = kafka_jars()
    names = {f"{j.group}:{j.artifact}": j for j in jars}
    assert names["org.apache.kafka:kafka_2.13"].version == KAFKA_VERSION
    assert names["org.apache.kafka:kafka-clients"].version == KAFKA_VERSION
    assert "org.apache.logging.log4j:log4j-slf4j-impl" in names  # the SLF4J binding: broker logs appear
    assert len(names) == len(jars)  # no artifact twice
    assert all(j.sha512 and re.fullmatch(r"[0-9a-f]{128}", j.sha512) for j in jars)
    spec = kafka_image()
    assert spec.tag == f"minisoc/kafka:{KAFKA_VERSION}" and spec.artifacts == jars


def test_jar_lock_lines_are_checked() -> None:
    good = "a.b:c:1 " + "0" * 128 + "  # note\n# comment\n\n"
    assert parse_jar_lock(good)[0].sha512 == "0" * 128
    for bad in ("a.b:c " + "0" * 128, "a.b:c:1 abc", "a.b:c:1"):
        with pytest.raises(ValueError, match="line 1"):
            parse_jar_lock(bad)


def test_start_script_formats_with_the_users_file_then_runs_the_image_entry_point() -> None:
    script = start_script().decode()
    assert script.startswith("#!/usr/bin/env bash")
    assert "/run/secrets/kafka-scram-users" in script and "--add-scram" in script
    assert '"--cluster-id=$CLUSTER_ID"' in script
    assert script.rstrip().endswith("exec /etc/kafka/docker/run")
