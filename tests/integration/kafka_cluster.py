"""A real three-node Kafka cluster for integration tests: the rendered compose fragment, run with compose.

Everything comes from the code under test: certificates from the site PKI (`kafka_cert_specs`), the compose
services from stacks/kafka/compose.yaml.j2 (`kafka_context`/`kafka_services`, hardened like a site's),
the start script that formats with the SCRAM users. Each node's CLIENT listener is published on a free
127.0.0.1 port and advertised there, so the test process dials the brokers as a remote sensor would.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from minisoc.correlator.clients.kafka import client_config
from minisoc.images.build import BuildOptions, build_images
from minisoc.images.catalog import kafka_image
from minisoc.kafka.cluster import (
    ADMIN_USER,
    KAFKA_UID,
    SCRAM_USERS,
    KafkaNode,
    bootstrap_servers,
    cluster_id_for,
    node_name,
    scram_secret_name,
)
from minisoc.render.compose import compose_yaml, harden
from minisoc.render.kafka import (
    SCRAM_USERS_SECRET,
    Published,
    kafka_cert_specs,
    kafka_context,
    kafka_services,
    scram_users_file,
    start_script,
)
from minisoc.render.templating import stack_environment
from minisoc.security.certs import ensure_site_pki

HEAP_MB = 256
MEMORY_MB = 640


@dataclass
class KafkaCluster:
    project: str
    workdir: Path
    nodes: tuple[KafkaNode, ...]
    passwords: dict[str, str]
    ca_file: Path

    @property
    def bootstrap(self) -> str:
        return bootstrap_servers(self.nodes)

    def config(self, user: str = ADMIN_USER, password: str | None = None) -> dict[str, str]:
        secret = self.passwords[user] if password is None else password
        return client_config(self.bootstrap, username=user, password=secret, ca_file=self.ca_file)

    def container(self, node_id: int) -> str:
        return f"{self.project}-{node_name(node_id)}-1"

    def compose(self, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        argv = ["docker", "compose", "-f", str(self.workdir / "compose.yaml"), "-p", self.project, *args]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)

    def docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120, check=False)

    def peak_memory_mb(self) -> dict[str, float]:
        """The most memory each broker container used since it started (cgroup v2 or v1)."""
        peaks = {}
        for node in self.nodes:
            for path in ("/sys/fs/cgroup/memory.peak", "/sys/fs/cgroup/memory/memory.max_usage_in_bytes"):
                done = self.docker("exec", self.container(node.node_id), "cat", path)
                if done.returncode == 0 and done.stdout.strip().isdigit():
                    peaks[node_name(node.node_id)] = round(int(done.stdout) / 2**20, 1)
                    break
        return peaks

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "60").stdout

    def down(self) -> None:
        self.compose("down", "--volumes", "--timeout", "5")


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def ensure_image() -> str:
    """The image to test: MINISOC_TEST_KAFKA_IMAGE, else minisoc/kafka:<version>, built when absent."""
    tag = os.environ.get("MINISOC_TEST_KAFKA_IMAGE")
    if tag:
        return tag
    spec = kafka_image()
    build_images([spec], BuildOptions(only_missing=True))
    return spec.tag


def _hand_to_kafka(path: Path) -> None:
    if os.geteuid() == 0:
        os.chown(path, KAFKA_UID, -1)


def start_cluster(workdir: Path, image: str, brokers: int = 3, *, acls: bool = True) -> KafkaCluster:
    """Write certificates, secrets and compose.yaml into `workdir`, then `compose up -d` (not waited)."""
    project = f"kafkait-{secrets.token_hex(3)}"
    ports = free_ports(brokers)
    nodes = tuple(KafkaNode(i, node_name(i), f"127.0.0.1:{ports[i - 1]}") for i in range(1, brokers + 1))
    now = datetime.now(UTC)
    ensure_site_pki(workdir / "pki", services=kafka_cert_specs(nodes), validity_days=30, now=now)
    passwords = {user: secrets.token_urlsafe(32) for user in SCRAM_USERS}
    secrets_dir = workdir / "secrets"
    secrets_dir.mkdir(mode=0o700)
    users = secrets_dir / SCRAM_USERS_SECRET
    users.write_text(scram_users_file(passwords))
    users.chmod(0o600)
    _hand_to_kafka(users)
    for user, password in passwords.items():
        (secrets_dir / scram_secret_name(user)).write_text(password)
    start = workdir / "config" / "kafka" / "start.sh"
    start.parent.mkdir(parents=True)
    start.write_bytes(start_script())
    start.chmod(0o755)
    context = kafka_context(nodes, cluster_id=cluster_id_for(project), image=image, heap_mb=HEAP_MB,
                            partitions=6, retention_hours=1, acls=acls,
                            published={node.node_id: Published(ports[node.node_id - 1]) for node in nodes})
    services = {
        name: harden(name, spec, {"memory_mb": MEMORY_MB, "cpus": 1.0})
        for name, spec in kafka_services(stack_environment(), context).items()
    }
    document = {
        "name": project,
        "services": services,
        "volumes": {f"{node_name(n.node_id)}-data": {} for n in nodes},
        "secrets": {SCRAM_USERS_SECRET: {"file": f"./secrets/{SCRAM_USERS_SECRET}"}},
    }
    (workdir / "compose.yaml").write_text(compose_yaml(document))
    cluster = KafkaCluster(project, workdir, nodes, passwords, workdir / "pki" / "ca.crt")
    done = cluster.compose("up", "--detach", "--no-build")
    if done.returncode != 0:
        cluster.down()
        raise RuntimeError(f"compose up failed: {done.stderr[-2000:]}")
    return cluster


def remove_workdir(workdir: Path) -> None:
    shutil.rmtree(workdir, ignore_errors=True)
