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

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from minisoc import __version__

# built by `minisoc images build` (stacks/kafka)
KAFKA_IMAGES = ("minisoc/kafka:dev", "minisoc/kafka:4.1.1")
SHIPPER_IMAGE = f"minisoc/shipper:{__version__}"
SHIPPER_CONTEXT = Path(__file__).resolve().parents[2] / "stacks" / "shipper" / "image"
CLUSTER_ID = "c2hpcHBlci10ZXN0LTAwMQ"  # 16 bytes, base64url: kafka-storage's format
PARTITIONS = 3
STOP_GRACE_S = 60  # the compose service's stop_grace_period


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


@dataclass(frozen=True)
class TlsListener:
    """A listener `CLIENT` on kafka:9093 for sensors: TLS with a client certificate of the site CA required
    (mutual TLS). `pem_dir` holds kafka.pem (the broker's key and certificate) and ca.crt."""

    pem_dir: Path


def kafka_run_argv(image: str, name: str, network: str, host_port: int,
                   tls: TlsListener | None = None) -> list[str]:
    """One KRaft node (broker + controller): INTERNAL (kafka:9092, PLAINTEXT) for the shipper on the network,
    EXTERNAL (127.0.0.1:host_port, PLAINTEXT) for the test's consumer, and with `tls` CLIENT (kafka:9093,
    SSL, client certificate required). The official image's env contract."""
    listeners = {"INTERNAL": (":9092", "kafka:9092", "PLAINTEXT"),
                 "CONTROLLER": (":9094", None, "PLAINTEXT"),
                 "EXTERNAL": (":9095", f"127.0.0.1:{host_port}", "PLAINTEXT")}
    if tls is not None:
        listeners["CLIENT"] = (":9093", "kafka:9093", "SSL")
    env = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": ",".join(f"{n}://{bind}" for n, (bind, _, _) in listeners.items()),
        "KAFKA_ADVERTISED_LISTENERS": ",".join(f"{n}://{adv}" for n, (_, adv, _) in listeners.items() if adv),
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": ",".join(f"{n}:{p}" for n, (_, _, p) in listeners.items()),
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9094",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "INTERNAL",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "KAFKA_HEAP_OPTS": "-Xms256m -Xmx256m",
        "KAFKA_LOG_DIRS": "/var/lib/kafka/data",  # the image's default is under /tmp
        "CLUSTER_ID": CLUSTER_ID,
    }
    argv = ["run", "-d", "--name", name, "--network", network, "--network-alias", "kafka",
            "-p", f"127.0.0.1:{host_port}:9095"]
    if tls is not None:
        env |= {
            "KAFKA_LISTENER_NAME_CLIENT_SSL_CLIENT_AUTH": "required",
            "KAFKA_LISTENER_NAME_CLIENT_SSL_KEYSTORE_TYPE": "PEM",
            "KAFKA_LISTENER_NAME_CLIENT_SSL_KEYSTORE_LOCATION": "/certs/kafka.pem",
            "KAFKA_LISTENER_NAME_CLIENT_SSL_TRUSTSTORE_TYPE": "PEM",
            "KAFKA_LISTENER_NAME_CLIENT_SSL_TRUSTSTORE_LOCATION": "/certs/ca.crt",
        }
        argv += ["-v", f"{tls.pem_dir}:/certs:ro"]
    for key, value in env.items():
        argv += ["-e", f"{key}={value}"]
    return [*argv, image]


def shipper_run_argv(image: str, name: str, network: str, config: Path, logs: dict[str, Path],
                     state_volume: str, certs: dict[str, Path] | None = None) -> list[str]:
    """The shipper as the compose service runs it: read-only root, logs read-only, state in a volume; with
    `certs` (mutual TLS) the CA, its certificate and key at the service's paths."""
    argv = ["run", "-d", "--name", name, "--network", network, "--read-only", "--tmpfs", "/tmp:size=8m",
            "--stop-timeout", str(STOP_GRACE_S),
            "-v", f"{state_volume}:/var/spool/rsyslog", "-v", f"{config}:/config/rsyslog.conf:ro"]
    for target, source in {**logs, **(certs or {})}.items():
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
                             "auto.offset.reset": "earliest", "enable.auto.commit": False,
                             "log_level": 2})  # the broker's planned outage is no news
        # assigned, not subscribed: a group rebalance after the broker's restart would start over from the
        # earliest offsets (nothing is committed) and count every line twice
        consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING) for topic in self.topics
                         for partition in range(PARTITIONS)])
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
        while self.arrived(written) < count:
            if time.monotonic() - started > timeout_s:
                arrived = self.arrived(written)
                with self._lock:
                    short: Counter[str] = Counter()
                    for key, n in written.items():
                        short[key[0]] += max(0, n - self.counts[key])
                raise AssertionError(f"{arrived} of {count} lines arrived within {timeout_s:.0f} s;"
                                     f" missing per topic: {dict(+short)}")
            time.sleep(0.1)
        return time.monotonic() - started

    def arrived(self, written: Counter[tuple[str, bytes]]) -> int:
        """How many of the `written` lines arrived (a duplicate counts once)."""
        with self._lock:
            return sum(min(n, self.counts[key]) for key, n in written.items())

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


def create_topics(admin: AdminClient, topics: list[str]) -> None:
    futures = admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)
                                   for name in topics])
    for future in futures.values():
        future.result(timeout=30)
