"""A minisoc Kafka cluster: combined broker+controller nodes (KRaft), three listeners, SCRAM users.

Listeners (the contract of issue 16):

- `CLIENT` 9093, SASL_SSL with SCRAM-SHA-512: sensors (`shipper`), correlators (`correlator`), minisoc
  itself (`minisoc-admin`). Advertised under an address clients reach (per broker).
- `BROKER` 9092, SSL with client certificates (mTLS): replication between brokers.
- `CONTROLLER` 9094, SSL with client certificates: the KRaft quorum.

Every node's certificate (site CA, PEM, unencrypted PKCS#8 key) is mounted at /etc/kafka/secrets/broker.key
and broker.crt with the CA at ca.crt; Kafka reads key and chain through its DirectoryConfigProvider, so the
files `minisoc render` writes are used as they are (no keystore to rebuild on renewal).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

CLIENT_LISTENER, BROKER_LISTENER, CONTROLLER_LISTENER = "CLIENT", "BROKER", "CONTROLLER"
CLIENT_PORT, BROKER_PORT, CONTROLLER_PORT = 9093, 9092, 9094
SCRAM_MECHANISM = "SCRAM-SHA-512"

ADMIN_USER = "minisoc-admin"  # topic admin (minisoc itself)
SHIPPER_USER = "shipper"  # sensors: produce to minisoc.zeek.*, minisoc.syslog, minisoc.netflow
CORRELATOR_USER = "correlator"  # consume those (group minisoc-correlators), produce+consume minisoc.intel
SCRAM_USERS = (ADMIN_USER, SHIPPER_USER, CORRELATOR_USER)
CORRELATOR_GROUP = "minisoc-correlators"

KAFKA_UID = 1000  # both images run as uid 1000: broker keys and SCRAM files must be readable by it

# Paths inside the container (same in the official image and minisoc/kafka).
SECRETS_DIR = "/etc/kafka/secrets"
KEY_PATH = f"{SECRETS_DIR}/broker.key"
CERT_PATH = f"{SECRETS_DIR}/broker.crt"
CA_PATH = f"{SECRETS_DIR}/ca.crt"
DATA_DIR = "/var/lib/kafka/data"
SCRAM_DIR = "/run/secrets"  # compose secrets: one file kafka-scram-<user> per SCRAM user
START_SCRIPT = "/etc/kafka/minisoc/start.sh"  # stacks/kafka/start.sh: format with SCRAM users, then start


def cluster_id_for(site: str) -> str:
    """The KRaft cluster id of a site: 16 bytes derived from its compose project name (unique per site,
    `minisoc-<name>-<id>`), URL-safe base64 without padding, as `kafka-storage random-uuid` prints them.
    Derived, not stored: every render gives the same id; not a secret. Never starts with '-' (the
    storage tool would read it as an option)."""
    counter = 0
    while True:
        seed = f"minisoc kafka cluster id v1\n{site}\n{counter}".encode()
        text = base64.urlsafe_b64encode(hashlib.sha256(seed).digest()[:16]).decode("ascii").rstrip("=")
        if not text.startswith("-"):
            return text
        counter += 1


def scram_secret_name(user: str) -> str:
    """The site secret (and compose secret) holding `user`'s SCRAM password."""
    return f"kafka-scram-{user}"


def node_name(node_id: int) -> str:
    """The compose service and network alias of node `node_id` (and its certificate's name)."""
    return f"kafka-{node_id}"


def replication_factor(brokers: int) -> int:
    return min(3, brokers)


def min_insync_replicas(brokers: int) -> int:
    return 2 if brokers >= 3 else 1


@dataclass(frozen=True)
class KafkaNode:
    """One combined broker+controller: `hostname` is what other nodes dial (BROKER, CONTROLLER);
    `client_address` (host:port) is what clients are told to dial for CLIENT."""

    node_id: int
    hostname: str
    client_address: str

    def __post_init__(self) -> None:
        host, sep, port = self.client_address.rpartition(":")
        if self.node_id < 1 or not self.hostname or not sep or not host or not port.isdigit():
            raise ValueError(f"kafka node {self.node_id}: want node_id >= 1, a hostname and host:port, "
                             f"got {self.hostname!r} / {self.client_address!r}")


def default_nodes(brokers: int, *, client_host: str | None = None, first_client_port: int = CLIENT_PORT,
                  ) -> tuple[KafkaNode, ...]:
    """`brokers` nodes kafka-1..N. Clients dial each node by its name on 9093 (same network), or, with
    `client_host`, that host on first_client_port, +1, +2... (one published port per broker)."""
    return tuple(
        KafkaNode(
            node_id=index,
            hostname=node_name(index),
            client_address=(f"{client_host}:{first_client_port + index - 1}" if client_host
                            else f"{node_name(index)}:{CLIENT_PORT}"),
        )
        for index in range(1, brokers + 1)
    )


def quorum_voters(nodes: Sequence[KafkaNode]) -> str:
    """controller.quorum.voters: every node votes (static voters, as the official image uses)."""
    return ",".join(f"{node.node_id}@{node.hostname}:{CONTROLLER_PORT}" for node in nodes)


def bootstrap_servers(nodes: Sequence[KafkaNode]) -> str:
    """What clients put in bootstrap.servers: every node's CLIENT address."""
    return ",".join(node.client_address for node in nodes)


def broker_principal(node: KafkaNode) -> str:
    """A node's principal on BROKER/CONTROLLER: its certificate's CN (ssl.principal.mapping.rules)."""
    return f"User:{node.hostname}"


# CN=<name>,OU=kafka,O=<org> (RFC 2253, as Kafka reads a certificate) -> <name>; others keep the full DN
PRINCIPAL_MAPPING = "RULE:^CN=([a-z0-9.-]+),OU=kafka,O=.*$/$1/,DEFAULT"
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"


def heap_options(heap_mb: int) -> str:
    """The broker JVM's memory: the heap, and direct memory bounded at half of it (as OpenSearch's JVM
    ergonomics do) with the JDK's per-thread cache of temporary direct buffers capped. Unbounded, direct
    memory may grow to the heap's size: a 256 MB-heap broker reached 634 MB of anonymous memory and was
    OOM-killed in its 640 MB container (dmesg, tests/e2e/test_e2e_distributed.py)."""
    direct_mb = max(64, heap_mb // 2)
    return (f"-Xms{heap_mb}m -Xmx{heap_mb}m -XX:MaxDirectMemorySize={direct_mb}m "
            "-Djdk.nio.maxCachedBufferSize=262144")


def broker_environment(node: KafkaNode, nodes: Sequence[KafkaNode], *, heap_mb: int, partitions: int,
                       retention_hours: int, acls: bool = False) -> dict[str, str]:
    """The KAFKA_* environment of one node (values as the container sees them: a compose file must write
    each `$` as `$$`). CLUSTER_ID, the same on every node, is added by the template.

    With `acls`, KRaft's StandardAuthorizer denies what no ACL allows: the nodes (by certificate CN) and
    minisoc-admin are super users; `minisoc.kafka.acls.acl_specs` are the grants of shipper and correlator,
    which `minisoc.ops.kafka_topics.apply_acls` creates."""
    if node not in nodes:
        raise ValueError(f"kafka node {node.node_id} is not one of the cluster's nodes")
    ids = [n.node_id for n in nodes]
    if len(set(ids)) != len(ids):
        raise ValueError(f"kafka node ids repeat: {ids}")
    brokers = len(nodes)
    rf, isr = replication_factor(brokers), min_insync_replicas(brokers)
    mtls = "required"
    environment = {
        "KAFKA_NODE_ID": str(node.node_id),
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": quorum_voters(nodes),
        "KAFKA_LISTENERS": (f"{CLIENT_LISTENER}://0.0.0.0:{CLIENT_PORT},{BROKER_LISTENER}://0.0.0.0:{BROKER_PORT},"
                            f"{CONTROLLER_LISTENER}://0.0.0.0:{CONTROLLER_PORT}"),
        "KAFKA_ADVERTISED_LISTENERS": (f"{CLIENT_LISTENER}://{node.client_address},"
                                       f"{BROKER_LISTENER}://{node.hostname}:{BROKER_PORT}"),
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (f"{CLIENT_LISTENER}:SASL_SSL,{BROKER_LISTENER}:SSL,"
                                                 f"{CONTROLLER_LISTENER}:SSL"),
        "KAFKA_INTER_BROKER_LISTENER_NAME": BROKER_LISTENER,
        "KAFKA_CONTROLLER_LISTENER_NAMES": CONTROLLER_LISTENER,
        "KAFKA_SASL_ENABLED_MECHANISMS": SCRAM_MECHANISM,
        # listener.name.client.scram-sha-512.sasl.jaas.config ('___' is '-' in the image's env rules)
        "KAFKA_LISTENER_NAME_CLIENT_SCRAM___SHA___512_SASL_JAAS_CONFIG":
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
        "KAFKA_LISTENER_NAME_BROKER_SSL_CLIENT_AUTH": mtls,
        "KAFKA_LISTENER_NAME_CONTROLLER_SSL_CLIENT_AUTH": mtls,
        "KAFKA_CONFIG_PROVIDERS": "dir",
        "KAFKA_CONFIG_PROVIDERS_DIR_CLASS": "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
        "KAFKA_SSL_KEYSTORE_TYPE": "PEM",
        "KAFKA_SSL_KEYSTORE_KEY": f"${{dir:{SECRETS_DIR}:broker.key}}",
        "KAFKA_SSL_KEYSTORE_CERTIFICATE_CHAIN": f"${{dir:{SECRETS_DIR}:broker.crt}}",
        "KAFKA_SSL_TRUSTSTORE_TYPE": "PEM",
        "KAFKA_SSL_TRUSTSTORE_LOCATION": CA_PATH,
        "KAFKA_LOG_DIRS": DATA_DIR,
        "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
        "KAFKA_NUM_PARTITIONS": str(partitions),
        "KAFKA_DEFAULT_REPLICATION_FACTOR": str(rf),
        "KAFKA_MIN_INSYNC_REPLICAS": str(isr),
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": str(rf),
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": str(rf),
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": str(isr),
        "KAFKA_LOG_RETENTION_HOURS": str(retention_hours),
        "KAFKA_HEAP_OPTS": heap_options(heap_mb),
    }
    if acls:
        supers = [broker_principal(n) for n in nodes] + [f"User:{ADMIN_USER}"]
        environment.update({
            "KAFKA_AUTHORIZER_CLASS_NAME": AUTHORIZER,
            "KAFKA_SUPER_USERS": ";".join(supers),
            "KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND": "false",
            "KAFKA_SSL_PRINCIPAL_MAPPING_RULES": PRINCIPAL_MAPPING,
        })
    return environment


def server_property(env_name: str) -> str | None:
    """The server.properties key a KAFKA_* variable becomes in both images (Kafka's KafkaDockerWrapper):
    drop `KAFKA_`, lowercase, `_` -> `.`, then `...` -> `-` and `..` -> `_`; None for the variables the
    image keeps for the JVM (KAFKA_HEAP_OPTS, KAFKA_OPTS, ...) and for anything not KAFKA_*."""
    if not env_name.startswith("KAFKA_") or env_name in _NOT_SERVER_PROPERTIES:
        return None
    return env_name.replace("KAFKA_", "").lower().replace("_", ".").replace("...", "-").replace("..", "_")


_NOT_SERVER_PROPERTIES = frozenset((
    "KAFKA_VERSION", "KAFKA_HEAP_OPTS", "KAFKA_LOG4J_OPTS", "KAFKA_OPTS", "KAFKA_JMX_OPTS",
    "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_GC_LOG_OPTS", "KAFKA_LOG4J_ROOT_LOGLEVEL", "KAFKA_LOG4J_LOGGERS",
    "KAFKA_TOOLS_LOG4J_LOGLEVEL", "KAFKA_JMX_HOSTNAME",
))
