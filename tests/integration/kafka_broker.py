"""A real Kafka broker for integration tests: the locally built image (`minisoc images build`), one KRaft
node (broker + controller), PLAINTEXT on 127.0.0.1 with a free port, 256 MiB heap; removed at the end.

The image honours the official apache/kafka environment contract, so MINISOC_TEST_KAFKA_IMAGE may name
either (`apache/kafka:4.1.1` where a registry is reachable).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterable, Sequence

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from minisoc.images.catalog import kafka_image

IMAGE = os.environ.get("MINISOC_TEST_KAFKA_IMAGE", kafka_image().tag)  # what `minisoc images build` tags
START_TIMEOUT_S = 120.0


class KafkaUnavailable(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def broker_argv(name: str, port: int, image: str = IMAGE) -> list[str]:
    env = {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://:9092,CONTROLLER://:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://127.0.0.1:{port}",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "KAFKA_HEAP_OPTS": "-Xmx256m -Xms256m",
        "CLUSTER_ID": "4L6g3nShT-eMCtK--X86sw",
    }
    argv = ["docker", "run", "-d", "--rm", "--name", name, "-p", f"127.0.0.1:{port}:9092"]
    for key, value in env.items():
        argv += ["-e", f"{key}={value}"]
    return [*argv, image]


class KafkaBroker:
    def __init__(self, prefix: str = "mstest-kafka") -> None:
        self.name = f"{prefix}-{secrets.token_hex(4)}"
        self.port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"

    def start(self) -> None:
        image = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False)
        if image.returncode != 0:
            raise KafkaUnavailable(f"no image {IMAGE}; hint: build it with `minisoc images build kafka` "
                                   "or set MINISOC_TEST_KAFKA_IMAGE")
        subprocess.run(broker_argv(self.name, self.port), check=True, capture_output=True)
        admin = self.admin()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if admin.list_topics(timeout=2).brokers:
                    return
            except Exception:
                pass
            time.sleep(1)
        logs = subprocess.run(["docker", "logs", "--tail", "30", self.name], capture_output=True, text=True,
                              check=False)
        self.stop()
        raise KafkaUnavailable(f"broker {self.name} not ready in {START_TIMEOUT_S}s:\n"
                               f"{logs.stdout}{logs.stderr}")

    def stop(self) -> None:
        subprocess.run(["docker", "rm", "-f", self.name], capture_output=True, check=False)

    def admin(self) -> AdminClient:
        # log_level 2: not every refused connection while the broker starts (it is polled until it answers)
        return AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 2})

    def create_topics(self, names: Iterable[str], partitions: int,
                      config: dict[str, str] | None = None) -> None:
        admin = self.admin()  # kept until the futures are done: a destroyed handle fails them
        futures = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1,
                                                       config=config or {}) for name in names])
        for future in futures.values():
            future.result(timeout=30)

    def produce(self, topic: str, lines: Sequence[bytes], partitions: int) -> None:
        """Each line a message, spread round-robin over the partitions (what a shipper without keys does)."""
        producer = Producer({"bootstrap.servers": self.bootstrap, "linger.ms": 20, "acks": "all"})
        for n, line in enumerate(lines):
            while True:
                try:
                    producer.produce(topic, value=line, partition=n % partitions)
                    break
                except BufferError:
                    producer.poll(0.1)
        assert producer.flush(60) == 0
