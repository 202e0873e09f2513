"""Kafka between sensors and hubs (issue 16): broker settings and topics, all pure.

`minisoc.kafka.cluster`: listeners, ports, container paths, SCRAM users, each broker's KAFKA_* environment
(the env contract of the official apache/kafka image, which minisoc/kafka honours too).
`minisoc.kafka.topics`: the topic names and specs. The clients' settings and the clients themselves are
made in one home, `minisoc.correlator.clients.kafka`. No import from cli, ops, render, profile or security:
the correlator may use this package.
"""

from minisoc.kafka.cluster import (
    ADMIN_USER,
    CORRELATOR_GROUP,
    CORRELATOR_USER,
    SCRAM_USERS,
    SHIPPER_USER,
    KafkaNode,
    bootstrap_servers,
    broker_environment,
    cluster_id_for,
    default_nodes,
    scram_secret_name,
)
from minisoc.kafka.topics import (
    INTEL_TOPIC,
    NETFLOW_TOPIC,
    SYSLOG_TOPIC,
    ZEEK_LOG_TYPES,
    TopicSpec,
    log_topics,
    log_type_of,
    topic_specs,
    zeek_topic,
)

__all__ = [
    "ADMIN_USER",
    "CORRELATOR_GROUP",
    "CORRELATOR_USER",
    "INTEL_TOPIC",
    "NETFLOW_TOPIC",
    "SCRAM_USERS",
    "SHIPPER_USER",
    "SYSLOG_TOPIC",
    "ZEEK_LOG_TYPES",
    "KafkaNode",
    "TopicSpec",
    "bootstrap_servers",
    "broker_environment",
    "cluster_id_for",
    "default_nodes",
    "log_topics",
    "log_type_of",
    "scram_secret_name",
    "topic_specs",
    "zeek_topic",
]
