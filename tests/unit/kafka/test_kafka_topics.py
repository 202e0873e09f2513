"""Topic names and specs (issue 16's contract), and the idempotent change plan."""

from __future__ import annotations

import pytest

from minisoc.kafka.topics import (
    INTEL_TOPIC,
    NETFLOW_TOPIC,
    SYSLOG_TOPIC,
    TopicSpec,
    log_topics,
    log_type_of,
    topic_specs,
    zeek_topic,
)
from minisoc.ops.kafka_topics import ExistingTopic, plan_topic_changes


def test_specs_for_three_brokers() -> None:
    specs = {spec.name: spec for spec in topic_specs(["conn", "dns"], brokers=3, partitions=6,
                                                     retention_hours=72)}
    assert sorted(specs) == ["minisoc.intel", "minisoc.netflow", "minisoc.syslog", "minisoc.zeek.conn",
                             "minisoc.zeek.dns"]
    conn = specs["minisoc.zeek.conn"]
    assert (conn.partitions, conn.replication_factor) == (6, 3)
    assert conn.config == {"cleanup.policy": "delete", "retention.ms": str(72 * 3600 * 1000),
                           "min.insync.replicas": "2"}
    assert specs[INTEL_TOPIC].config == {"cleanup.policy": "compact", "min.insync.replicas": "2"}


def test_specs_for_one_broker_without_inputs() -> None:
    specs = topic_specs(["conn"], brokers=1, partitions=2, retention_hours=1, syslog=False, netflow=False)
    assert [(s.name, s.replication_factor, s.config["min.insync.replicas"]) for s in specs] == [
        ("minisoc.intel", 1, "1"), ("minisoc.zeek.conn", 1, "1")]


def test_names_and_log_types() -> None:
    assert zeek_topic("x509") == "minisoc.zeek.x509"
    assert log_type_of("minisoc.zeek.smb_files") == "smb_files"
    assert (log_type_of(SYSLOG_TOPIC), log_type_of(NETFLOW_TOPIC), log_type_of(INTEL_TOPIC)) == \
        ("syslog", "netflow", None)
    assert log_topics(["dns", "conn", "dns"], netflow=False) == ("minisoc.syslog", "minisoc.zeek.conn",
                                                                 "minisoc.zeek.dns")
    for bad in ("Conn", "conn.log", "", "a/b"):
        with pytest.raises(ValueError):
            zeek_topic(bad)
    with pytest.raises(ValueError):
        topic_specs(["conn"], brokers=0, partitions=6, retention_hours=72)


SPEC = TopicSpec("minisoc.zeek.conn", 6, 3, {"cleanup.policy": "delete", "retention.ms": "1000"})


def test_plan_creates_what_is_missing() -> None:
    plan = plan_topic_changes({}, [SPEC])
    assert [(c.topic, c.action, c.spec) for c in plan] == [("minisoc.zeek.conn", "create", SPEC)]


def test_plan_is_empty_when_everything_matches() -> None:
    existing = {SPEC.name: ExistingTopic(6, 3, {**SPEC.config, "segment.bytes": "1"})}
    assert [c.action for c in plan_topic_changes(existing, [SPEC])] == ["unchanged"]


def test_plan_raises_partitions_and_aligns_configs() -> None:
    existing = {SPEC.name: ExistingTopic(3, 3, {"cleanup.policy": "delete", "retention.ms": "5"})}
    plan = plan_topic_changes(existing, [SPEC])
    assert [(c.action, c.detail) for c in plan] == [("partitions", "3 -> 6"), ("config", "retention.ms=1000")]
    assert plan[1].configs == {"retention.ms": "1000"}


def test_plan_never_lowers_partitions_or_moves_replicas() -> None:
    existing = {SPEC.name: ExistingTopic(12, 1, dict(SPEC.config))}
    plan = plan_topic_changes(existing, [SPEC])
    assert [c.action for c in plan] == ["note", "note"]
    assert "cannot remove partitions" in plan[0].detail and "replication factor 1" in plan[1].detail
