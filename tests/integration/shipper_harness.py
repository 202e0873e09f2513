"""A real Kafka broker and the real shipper container on a network of their own, and a consumer that
collects everything the shipper produced (tests/integration/test_shipper_kafka.py)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import Consumer, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from minisoc import __version__

KAFKA_IMAGES = ("minisoc/kafka:dev", "minisoc/kafka:4.1.1")  # built by the kafka part (`minisoc images build`)
SHIPPER_IMAGE = f"minisoc/shipper:{__version__}"
SHIPPER_CONTEXT = Path(__file__).resolve().parents[2] / "stacks" / "shipper" / "image"
CLUSTER_ID = "c2hpcHBlci10ZXN0LTAwMQ"  # 16 bytes, base64url: kafka-storage's format
STOP_GRACE_S = 30


def docker(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)


def image_exists(tag: str) -> bool:
    return docker("image", "inspect", tag, check=False).returncode == 0


def kafka_image() -> str | None:
    return next((tag for tag in KAFKA_IMAGES if image_exists(tag)), None)


def ensure_shipper_image() -> str:
    if not image_exists(SHIPPER_IMAGE):
        docker("build", "--quiet", "--tag", SHIPPER_IMAGE, "--build-arg", f"MINISOC_VERSION={__version__}",
               str(SHIPPER_CONTEXT), timeout=900)
    return SHIPPER_IMAGE


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def kafka_run_argv(image: str, name: str, network: str, host_port: int) -> list[str]:
    """One KRaft node (broker + controller), PLAINTEXT: INTERNAL (kafka:9092) for the shipper on the
    network, EXTERNAL (127.0.0.1:host_port) for the test's consumer. The official image's env contract."""
    env = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "INTERNAL://:9092,CONTROLLER://:9093,EXTERNAL://:9095",
        "KAFKA_ADVERTISED_LISTENERS": f"INTERNAL://kafka:9092,EXTERNAL://127.0.0.1:{host_port}",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,EXTERNAL:PLAINTEXT",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "INTERNAL",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "KAFKA_HEAP_OPTS": "-Xms256m -Xmx256m",
        "CLUSTER_ID": CLUSTER_ID,
    }
    argv = ["run", "-d", "--name", name, "--network", network, "--network-alias", "kafka",
            "-p", f"127.0.0.1:{host_port}:9095"]
    for key, value in env.items():
        argv += ["-e", f"{key}={value}"]
    return [*argv, image]


def shipper_run_argv(image: str, name: str, network: str, config: Path, logs: dict[str, Path],
                     state_volume: str) -> list[str]:
    """The shipper as the compose service runs it: read-only root, logs read-only, state in a volume."""
    argv = ["run", "-d", "--name", name, "--network", network, "--read-only", "--tmpfs", "/tmp:size=8m",
            "--stop-timeout", str(STOP_GRACE_S),
            "-v", f"{state_volume}:/var/spool/rsyslog", "-v", f"{config}:/config/rsyslog.conf:ro"]
    for target, source in logs.items():
        argv += ["-v", f"{source}:{target}:ro"]
    return [*argv, image]


@dataclass
class Collector:
    """Consumes every topic from the beginning in a thread; `counts` holds (topic, value) -> times seen."""

    bootstrap: str
    topics: list[str]
    counts: Counter[tuple[str, bytes]] = field(default_factory=Counter)
    total: int = 0
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"shipper-test-{uuid.uuid4()}",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe(self.topics)
        try:
            while not self._stop.is_set():
                for message in consumer.consume(num_messages=5000, timeout=0.5):
                    if message.error():
                        self.errors.append(str(message.error()))
                        continue
                    value = message.value()
                    topic = message.topic()
                    if value is None or topic is None:
                        continue
                    with self._lock:
                        self.counts[(topic, value)] += 1
                        self.total += 1
        finally:
            consumer.close()

    def wait_total(self, written: Counter[tuple[str, bytes]], timeout_s: float) -> float:
        """Seconds until as many messages arrived as were `written` (raises on timeout, per topic)."""
        started = time.monotonic()
        count = sum(written.values())
        while self.total < count:
            if time.monotonic() - started > timeout_s:
                with self._lock:
                    short: Counter[str] = Counter()
                    for key, n in written.items():
                        short[key[0]] += max(0, n - self.counts[key])
                raise AssertionError(f"consumed {self.total} of {count} messages within {timeout_s:.0f} s;"
                                     f" missing per topic: {dict(+short)}")
            time.sleep(0.05)
        return time.monotonic() - started

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def wait_for_broker(bootstrap: str, timeout_s: float = 90) -> AdminClient:
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 2})
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin.list_topics(timeout=3)
            return admin
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def create_topics(admin: AdminClient, topics: list[str], partitions: int = 3) -> None:
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)
                                   for name in topics])
    for future in futures.values():
        future.result(timeout=30)
