"""Correlators over a real Kafka broker (the locally built image) with real Zeek logs from ../shared/data.

- The Kafka path raises exactly the alerts `minisoc hunt` raises on the same files.
- Intel published by the leader (a real producer) reaches a follower; a removal (tombstone) too.
- Two `minisoc correlate run` processes in one consumer group, alerts to a real OpenSearch: the intel leader
  is SIGKILLed mid-stream, the other takes its partitions, and every alert of the file hunt is in OpenSearch
  exactly once (same ids, same records and enrichments, nothing more).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from confluent_kafka import Consumer, Producer, TopicPartition
from kafka_broker import KafkaBroker, KafkaUnavailable, free_port
from kafka_data import INTEL, LARGE, SMALL, log_files, messages_by_topic
from opensearch_server import OpenSearchServer
from opensearchpy import OpenSearch

from minisoc.correlator.clients.opensearch import open_client
from minisoc.correlator.config import OpenSearchSinkConfig
from minisoc.correlator.hunt import HuntRequest, hunt_records, run_hunt
from minisoc.correlator.intel import IntelFileSource
from minisoc.correlator.kafka.intel import IntelTopicReader, TopicIntel
from minisoc.correlator.kafka.settings import KafkaSettings, group_consumer_config, reader_config
from minisoc.correlator.kafka.source import KafkaLogSource
from minisoc.correlator.kafka.topics import INTEL_TOPIC
from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.matcher import Matcher
from minisoc.correlator.service.intel_set import IntelSet

pytestmark = [pytest.mark.docker, pytest.mark.integration]
REPO = Path(__file__).resolve().parents[2]
PARTITIONS = 4


@pytest.fixture()
def broker() -> Iterator[KafkaBroker]:
    server = KafkaBroker()
    try:
        server.start()
    except KafkaUnavailable as error:
        pytest.fail(str(error))
    try:
        yield server
    finally:
        server.stop()


def feed(broker: KafkaBroker, topics: dict[str, list[bytes]], part: slice = slice(None)) -> int:
    sent = 0
    for topic, lines in topics.items():
        broker.produce(topic, lines[part], PARTITIONS)
        sent += len(lines[part])
    return sent


def file_hunt(files: list[Path], intel: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    run_hunt(HuntRequest(logs=[str(p) for p in files], intel=[str(intel)], site="lab"),
             lambda alerts: found.update((a.id, a.doc) for a in alerts))
    return found


def test_the_kafka_path_raises_the_alerts_of_the_file_hunt(broker: KafkaBroker, shared_data: Path,
                                                           tmp_path: Path) -> None:
    files = log_files(shared_data, SMALL + LARGE)
    topics = messages_by_topic(files)
    broker.create_topics(topics, PARTITIONS)
    sent = feed(broker, topics)
    intel = tmp_path / "lab.intel"
    intel.write_text(INTEL)
    matcher = Matcher(IndicatorIndex.build(IntelFileSource(intel).sync().added))
    settings = KafkaSettings((broker.bootstrap,), security_protocol="PLAINTEXT")
    source = KafkaLogSource(Consumer(group_consumer_config(settings, None)), list(topics), batch_lines=2000)
    ids: set[str] = set()
    read = 0
    deadline = time.monotonic() + 90
    while read < sent and time.monotonic() < deadline:
        for batch in source.batches():
            read += len(batch.records)
            ids.update(a.id for a in hunt_records(batch.records, matcher, site="lab", now=time.time()))
            source.commit(batch.checkpoint)
    status = source.status()
    source.close()
    expected = file_hunt(files, intel)
    assert read == sent, f"{read} of {sent} lines read from Kafka"
    assert len(expected) > 100 and ids == set(expected)
    assert len(status["partitions"]) == PARTITIONS * len(topics) and status["lag"] == 0


def test_intel_published_by_the_leader_reaches_a_follower(broker: KafkaBroker, tmp_path: Path) -> None:
    broker.create_topics([INTEL_TOPIC], 3, {"cleanup.policy": "compact"})
    settings = KafkaSettings((broker.bootstrap,), security_protocol="PLAINTEXT")
    intel = tmp_path / "lab.intel"
    intel.write_text(INTEL)

    def reader() -> IntelTopicReader:
        return IntelTopicReader(Consumer(reader_config(settings, None, secrets.token_hex(4))), INTEL_TOPIC)

    leader = TopicIntel(reader(), leader=([IntelFileSource(intel)], IntelSet(tmp_path / "own"),
                                          Producer({"bootstrap.servers": broker.bootstrap})))
    leader_set = IntelSet(tmp_path / "leader")
    for source in leader:
        leader_set.apply(source.sync())
    follower, follower_set = TopicIntel(reader()), IntelSet(tmp_path / "follower")
    for source in follower:
        follower_set.apply(source.sync())
    assert follower.ready and len(follower_set) == len(leader_set) == 4
    intel.write_text(INTEL.replace("snozberry.oompa.loompa\tIntel::DOMAIN\tlab\twrccdc dns\n", ""))
    os.utime(intel, (time.time() + 5, time.time() + 5))
    for source in leader:
        leader_set.apply(source.sync())
    for source in follower:
        follower_set.apply(source.sync())
    assert sorted(i.value for i in follower_set) == sorted(i.value for i in leader_set)
    assert "snozberry.oompa.loompa" not in {i.value for i in follower_set} and len(follower_set) == 3


# -- two processes, one killed --

def correlator_config(tmp_path: Path, name: str, broker: KafkaBroker, opensearch: OpenSearchServer,
                      index: str, intel: Path, role: str) -> tuple[Path, int]:
    port = free_port()
    config = {
        "site": "lab", "state_dir": str(tmp_path / name / "state"),
        "logs": {"dir": str(tmp_path / name / "no-logs"), "batch_lines": 500, "poll_interval_s": 0.2},
        "intel": {"zeek_intel_files": [str(intel)] if role == "leader" else [], "sync_interval_s": 2},
        "sink": {"kind": "opensearch", "opensearch": {"url": opensearch.url, "alerts_index": index,
                                                      "index_logs": False}},
        "sightings": {"enabled": False}, "export": {"zeek_intel_path": None},
        "http": {"bind": "127.0.0.1", "port": port},
        "kafka": {"bootstrap_servers": [broker.bootstrap], "security_protocol": "PLAINTEXT",
                  "intel_role": role, "session_timeout_ms": 6000},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path, port


def start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "installer")}
    with log.open("wb") as out:
        argv = [sys.executable, "-m", "minisoc", "correlate", "run", "--config", str(config)]
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)


def healthz(port: int) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            return dict(json.load(reply))
    except OSError:
        return {}


def batches_total(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as reply:
            for line in reply.read().decode().splitlines():
                if line.startswith("minisoc_batches_total "):
                    return int(float(line.split()[1]))
    except OSError:
        pass
    return 0


def group_done(broker: KafkaBroker, topics: list[str]) -> bool:
    """Every partition's committed offset of the correlators' group is at its end."""
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "minisoc-correlators",
                         "enable.auto.commit": False})
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in range(PARTITIONS)]
        committed = consumer.committed(partitions, timeout=10)
        ends = [consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in committed]
        # a partition no line went to has no committed offset (negative) and its end is 0
        return all(tp.offset == end or (tp.offset < 0 and end == 0)
                   for tp, end in zip(committed, ends, strict=True))
    finally:
        consumer.close()


def stored_alerts(client: OpenSearch, index: str) -> list[dict[str, Any]]:
    client.indices.refresh(index=index)
    reply = client.search(index=index, body={"query": {"match_all": {}}, "size": 10000})
    return [dict(hit["_source"], _id=hit["_id"]) for hit in reply["hits"]["hits"]]


def summary(doc: dict[str, Any]) -> tuple[list[str], list[tuple[str, str, str]]]:
    records = sorted(r["id"] for r in doc["minisoc"]["records"])
    enrichments = sorted((e["indicator"]["provider"], e["matched"]["field"], e["matched"]["atomic"])
                         for e in doc["threat"]["enrichments"])
    return records, enrichments


@pytest.mark.timeout(300)
def test_a_killed_correlator_hands_its_partitions_over_and_every_alert_is_there_once(
        broker: KafkaBroker, opensearch: OpenSearchServer, shared_data: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    files = log_files(shared_data, SMALL + LARGE)
    topics = messages_by_topic(files)
    broker.create_topics(topics, PARTITIONS)
    broker.create_topics([INTEL_TOPIC], 1, {"cleanup.policy": "compact"})
    intel = tmp_path / "lab.intel"
    intel.write_text(INTEL)
    index = f"alerts-kafka-{secrets.token_hex(3)}"
    feed(broker, {t: lines for t, lines in topics.items()}, slice(0, None, 2))  # half the lines first
    leader_config, leader_port = correlator_config(tmp_path, "a", broker, opensearch, index, intel, "leader")
    follower_config, follower_port = correlator_config(tmp_path, "b", broker, opensearch, index, intel,
                                                       "follower")
    leader = start(leader_config, tmp_path / "a.log")
    follower = start(follower_config, tmp_path / "b.log")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # both own partitions, the leader has committed some batches
            owned = [len(healthz(port).get("components", {}).get("kafka", {}).get("partitions", []))
                     for port in (leader_port, follower_port)]
            if all(owned) and batches_total(leader_port) >= 1:
                break
            assert leader.poll() is None and follower.poll() is None, (tmp_path / "a.log").read_text()[-3000:]

            time.sleep(0.2)
        else:
            logs = [(tmp_path / name).read_text()[-2000:] for name in ("a.log", "b.log")]
            pytest.fail(f"the replicas never shared the partitions: {owned}\n" + "\n".join(logs))
        leader.send_signal(signal.SIGKILL)  # mid-stream: half the logs are not even produced yet
        leader.wait(10)
        feed(broker, {t: lines for t, lines in topics.items()}, slice(1, None, 2))
        deadline = time.monotonic() + 150
        while not group_done(broker, list(topics)):
            assert follower.poll() is None, (tmp_path / "b.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the survivor did not finish the partitions"
            time.sleep(1)
        took_over = healthz(follower_port)["components"]["kafka"]
    finally:
        for process in (leader, follower):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(30)
    assert len(took_over["partitions"]) == PARTITIONS * len(topics) and took_over["lag"] == 0
    expected = file_hunt(files, intel)
    stored = stored_alerts(open_client(OpenSearchSinkConfig(url=opensearch.url)), index)
    by_id = {doc["_id"]: doc for doc in stored}
    assert len(stored) == len(by_id) == len(expected) > 100
    assert set(by_id) == set(expected)
    for alert_id, doc in expected.items():
        records, enrichments = summary(by_id[alert_id])
        assert len(records) == len(set(records)), f"{alert_id}: a record listed twice"
        assert (records, enrichments) == summary(doc), alert_id
    print(f"kill test: {len(expected)} alerts, {time.monotonic() - started:.1f}s")
