"""Three real Kafka nodes (KRaft, combined broker+controller) from the rendered compose fragment: SCRAM over
SASL_SSL from the host, topics provisioned idempotently, N lines produced and consumed exactly, one broker
SIGKILLed while acks=all production goes on, restarted, and nothing lost or doubled."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaException, Producer
from kafka_cluster import KafkaCluster, ensure_image, remove_workdir, start_cluster

from minisoc.correlator.clients.kafka import admin_client
from minisoc.errors import ServiceError
from minisoc.kafka.cluster import CORRELATOR_GROUP, CORRELATOR_USER, SHIPPER_USER
from minisoc.kafka.topics import topic_specs, zeek_topic
from minisoc.ops.kafka_topics import apply_acls, apply_topics, read_topics, wait_for_brokers

pytestmark = [pytest.mark.integration, pytest.mark.docker, pytest.mark.timeout(420)]
LINES = 2000
TOPIC = zeek_topic("conn")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaCluster]:
    workdir = tmp_path_factory.mktemp("kafka")
    started = start_cluster(workdir, ensure_image())
    try:
        yield started
    finally:
        started.down()
        remove_workdir(workdir)


def produce(cluster: KafkaCluster, lines: list[str]) -> list[str]:
    """Produce as the shipper (acks=all, idempotent); the delivery errors, none expected."""
    errors: list[str] = []
    producer = Producer({**cluster.config(SHIPPER_USER), "acks": "all", "enable.idempotence": True,
                         "linger.ms": 5, "message.timeout.ms": 90000})

    def report(error: object, _message: object) -> None:
        if error is not None:
            errors.append(str(error))

    for line in lines:
        producer.produce(TOPIC, line.encode(), headers={"minisoc-host": b"sensor-1"}, on_delivery=report)
        producer.poll(0)
    assert producer.flush(120) == 0, "messages still in flight after 120 s"
    return errors


def consume(cluster: KafkaCluster, group: str, want: int, timeout_s: float = 90) -> list[str]:
    """Read as the correlator until `want` lines came (then 3 s more, to catch extras); commit them."""
    consumer = Consumer({**cluster.config(CORRELATOR_USER), "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([TOPIC])
    seen: list[str] = []
    deadline, quiet_until = time.monotonic() + timeout_s, None
    try:
        while time.monotonic() < deadline and (quiet_until is None or time.monotonic() < quiet_until):
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                raise KafkaException(message.error())
            assert message.headers() == [("minisoc-host", b"sensor-1")]
            seen.append(message.value().decode())
            if len(seen) >= want and quiet_until is None:
                quiet_until = time.monotonic() + 3.0
        if seen:
            consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    return seen


def wait_for_full_isr(cluster: KafkaCluster, timeout_s: float = 150) -> None:
    admin = admin_client(cluster.config())
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        topic = admin.list_topics(TOPIC, timeout=10).topics[TOPIC]
        if topic.partitions and all(len(p.isrs) == len(cluster.nodes) for p in topic.partitions.values()):
            return
        time.sleep(1)
    pytest.fail(f"{TOPIC}: replicas not all in sync {timeout_s:.0f}s after the restart\n{cluster.logs()}")


def test_cluster_survives_a_killed_broker(cluster: KafkaCluster) -> None:
    timings: dict[str, float] = {}
    started = time.monotonic()
    admin = admin_client(cluster.config())
    try:
        wait_for_brokers(admin, 3, timeout_s=240, where=cluster.bootstrap)
    except ServiceError:
        pytest.fail(f"brokers not ready\n{cluster.logs()}")
    timings["ready_s"] = time.monotonic() - started

    specs = topic_specs(["conn", "dns"], brokers=3, partitions=6, retention_hours=72)
    first = apply_topics(admin, specs)
    assert {c.action for c in first} == {"create"} and len(first) == 5
    again = apply_topics(admin, specs)
    assert {c.action for c in again} == {"unchanged"}, again  # idempotent
    conn = read_topics(admin, [TOPIC])[TOPIC]
    assert (conn.partitions, conn.replication_factor) == (6, 3)
    assert conn.config["min.insync.replicas"] == "2" and conn.config["retention.ms"] == str(72 * 3_600_000)

    assert apply_acls(admin) == apply_acls(admin) > 0  # idempotent
    denied = Producer({**cluster.config(CORRELATOR_USER), "message.timeout.ms": 15000, "log_level": 0})
    outcome: list[object] = []
    denied.produce(TOPIC, b"forged", on_delivery=lambda error, _m: outcome.append(error))
    denied.flush(30)
    assert outcome and outcome[0] is not None and "AUTHORIZATION" in str(outcome[0]), outcome

    rejected = admin_client(cluster.config(password="not-the-password"))
    with pytest.raises(KafkaException):
        rejected.list_topics(timeout=5)

    batch_one = [f'{{"uid":"C{i}","ts":{i}}}' for i in range(LINES)]
    mark = time.monotonic()
    assert produce(cluster, batch_one) == []
    timings["produce_1_s"] = time.monotonic() - mark
    mark = time.monotonic()
    assert sorted(consume(cluster, CORRELATOR_GROUP, LINES)) == sorted(batch_one)
    timings["consume_1_s"] = time.monotonic() - mark

    assert cluster.docker("kill", cluster.container(2)).returncode == 0
    batch_two = [f'{{"uid":"D{i}","ts":{i}}}' for i in range(LINES)]
    mark = time.monotonic()
    assert produce(cluster, batch_two) == []  # acks=all with 2 of 3 in sync (min.insync.replicas=2)
    timings["produce_2_with_broker_down_s"] = time.monotonic() - mark

    mark = time.monotonic()
    assert cluster.docker("start", cluster.container(2)).returncode == 0
    wait_for_brokers(admin, 3, timeout_s=150, where=cluster.bootstrap)
    wait_for_full_isr(cluster)
    timings["rejoin_and_catch_up_s"] = time.monotonic() - mark

    # The group resumes where it committed: exactly the second batch; a new group reads both, once each.
    assert sorted(consume(cluster, CORRELATOR_GROUP, LINES)) == sorted(batch_two)
    everything = consume(cluster, f"{CORRELATOR_GROUP}-audit", 2 * LINES)  # the ACLs allow this prefix
    assert len(everything) == 2 * LINES and sorted(everything) == sorted(batch_one + batch_two)
    timings["total_s"] = time.monotonic() - started
    report = {"lines": 2 * LINES, **{k: round(v, 1) for k, v in timings.items()},
              "peak_memory_mb": cluster.peak_memory_mb()}
    print("KAFKA_IT " + json.dumps(report))


def test_readiness_times_out_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="cannot make a client"):
        admin_client({"bootstrap.servers": "127.0.0.1:9", "security.protocol": "SASL_SSL",
                      "ssl.ca.location": str(tmp_path / "none.crt")})
    admin = admin_client({"bootstrap.servers": "127.0.0.1:9"})  # nothing listens on the discard port
    with pytest.raises(ServiceError) as raised:
        wait_for_brokers(admin, 1, timeout_s=3, where="127.0.0.1:9")
    assert "not ready after 3s" in raised.value.message and raised.value.hint
