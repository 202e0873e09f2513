"""The broker environment every node gets, in both images' env contract (the clients' settings:
tests/unit/correlator/clients/test_kafka_client.py)."""

from __future__ import annotations

import pytest

from minisoc.kafka.cluster import (
    KafkaNode,
    bootstrap_servers,
    broker_environment,
    cluster_id_for,
    default_nodes,
    min_insync_replicas,
    quorum_voters,
    replication_factor,
    server_property,
)


def properties(environment: dict[str, str]) -> dict[str, str]:
    """server.properties as the image's wrapper writes it from the environment."""
    return {key: value for name, value in environment.items() if (key := server_property(name)) is not None}


def test_three_nodes_listeners_quorum_and_replication() -> None:
    nodes = default_nodes(3)
    props = properties(broker_environment(nodes[1], nodes, heap_mb=256, partitions=6, retention_hours=72))
    assert props["node.id"] == "2"
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@kafka-1:9094,2@kafka-2:9094,3@kafka-3:9094"
    assert props["listeners"] == "CLIENT://0.0.0.0:9093,BROKER://0.0.0.0:9092,CONTROLLER://0.0.0.0:9094"
    assert props["advertised.listeners"] == "CLIENT://kafka-2:9093,BROKER://kafka-2:9092"
    assert props["listener.security.protocol.map"] == "CLIENT:SASL_SSL,BROKER:SSL,CONTROLLER:SSL"
    assert props["inter.broker.listener.name"] == "BROKER"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["listener.name.client.scram-sha-512.sasl.jaas.config"].startswith(
        "org.apache.kafka.common.security.scram.ScramLoginModule required")
    assert props["listener.name.broker.ssl.client.auth"] == "required"
    assert props["listener.name.controller.ssl.client.auth"] == "required"
    assert "ssl.client.auth" not in props  # SASL clients on CLIENT present no certificate
    assert props["ssl.keystore.type"] == "PEM" and props["ssl.truststore.type"] == "PEM"
    assert props["ssl.keystore.key"] == "${dir:/etc/kafka/secrets:broker.key}"
    assert props["ssl.truststore.location"] == "/etc/kafka/secrets/ca.crt"
    assert props["log.dirs"] == "/var/lib/kafka/data"
    assert props["auto.create.topics.enable"] == "false"
    assert props["default.replication.factor"] == props["offsets.topic.replication.factor"] == "3"
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"
    assert props["log.retention.hours"] == "72" and props["num.partitions"] == "6"
    assert "heap.opts" not in props  # KAFKA_HEAP_OPTS goes to the JVM, not to server.properties


def test_published_client_addresses_are_advertised() -> None:
    nodes = default_nodes(2, client_host="127.0.0.1", first_client_port=19093)
    assert bootstrap_servers(nodes) == "127.0.0.1:19093,127.0.0.1:19094"
    env = broker_environment(nodes[1], nodes, heap_mb=512, partitions=3, retention_hours=1)
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "CLIENT://127.0.0.1:19094,BROKER://kafka-2:9092"
    # direct memory bounded at half the heap
    assert env["KAFKA_HEAP_OPTS"] == ("-Xms512m -Xmx512m -XX:MaxDirectMemorySize=256m "
                                      "-Djdk.nio.maxCachedBufferSize=262144")
    assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "1" and env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "2"


@pytest.mark.parametrize(("brokers", "rf", "isr"), [(1, 1, 1), (2, 2, 1), (3, 3, 2), (5, 3, 2)])
def test_replication_rules(brokers: int, rf: int, isr: int) -> None:
    assert (replication_factor(brokers), min_insync_replicas(brokers)) == (rf, isr)


def test_env_rules_of_the_image() -> None:
    assert server_property("KAFKA_LISTENER_NAME_CLIENT_SCRAM___SHA___512_SASL_JAAS_CONFIG") == \
        "listener.name.client.scram-sha-512.sasl.jaas.config"
    assert server_property("KAFKA_LOG_CLEANER__X") == "log.cleaner_x"
    assert server_property("KAFKA_OPTS") is None and server_property("CLUSTER_ID") is None


def test_node_must_belong_and_ids_must_not_repeat() -> None:
    nodes = default_nodes(2)
    stranger = KafkaNode(7, "kafka-7", "kafka-7:9093")
    with pytest.raises(ValueError, match="not one of"):
        broker_environment(stranger, nodes, heap_mb=256, partitions=1, retention_hours=1)
    twins = (nodes[0], KafkaNode(1, "other", "other:9093"))
    with pytest.raises(ValueError, match="repeat"):
        broker_environment(nodes[0], twins, heap_mb=256, partitions=1, retention_hours=1)
    with pytest.raises(ValueError, match="host:port"):
        KafkaNode(1, "kafka-1", "kafka-1")
    assert quorum_voters(nodes) == "1@kafka-1:9094,2@kafka-2:9094"


def test_cluster_id_is_stable_per_site_and_well_formed() -> None:
    first, again = cluster_id_for("minisoc-lab-a1"), cluster_id_for("minisoc-lab-a1")
    other = cluster_id_for("x")
    assert first == again != other
    assert len(first) == 22 and not first.startswith("-")
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert all(not cluster_id_for(f"site-{n}").startswith("-") for n in range(300))


def test_acls_make_the_nodes_and_the_admin_super_users() -> None:
    nodes = default_nodes(2)
    props = properties(broker_environment(nodes[0], nodes, heap_mb=256, partitions=1, retention_hours=1,
                                          acls=True))
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["super.users"] == "User:kafka-1;User:kafka-2;User:minisoc-admin"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["ssl.principal.mapping.rules"].startswith("RULE:^CN=")
    plain = broker_environment(nodes[0], nodes, heap_mb=256, partitions=1, retention_hours=1)
    assert "KAFKA_AUTHORIZER_CLASS_NAME" not in plain
