"""The Kafka part of a rendered site: broker services, certificates and secrets (issue 16), all pure.

The topology renderer calls these: `kafka_cert_specs` (one certificate per node, for the site PKI),
`kafka_context` + `kafka_services` (the compose services of stacks/kafka/compose.yaml.j2),
`scram_users_file` (the broker's view of the SCRAM passwords) and `KAFKA_SECRETS` (the secret specs a
distributed site adds to its generated secrets).

Site secrets (SITE_DIR/secrets/): `kafka-scram-minisoc-admin`, `kafka-scram-shipper`,
`kafka-scram-correlator` (one password each, owned by the uid of whoever uses it) and `kafka-scram-users`
(`user=password` lines, 0600 for uid 1000: read once by each broker when it formats its storage).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any

import jinja2
import yaml

from minisoc.kafka.cluster import (
    CA_PATH,
    CERT_PATH,
    CLIENT_PORT,
    DATA_DIR,
    KAFKA_UID,
    KEY_PATH,
    SCRAM_USERS,
    START_SCRIPT,
    KafkaNode,
    broker_environment,
    node_name,
)
from minisoc.render.secrets import (
    KAFKA_SCRAM_ADMIN as KAFKA_SCRAM_ADMIN,  # re-exported: the Kafka part's names
)
from minisoc.render.secrets import KAFKA_SCRAM_CORRELATOR as KAFKA_SCRAM_CORRELATOR
from minisoc.render.secrets import KAFKA_SCRAM_SHIPPER as KAFKA_SCRAM_SHIPPER
from minisoc.render.secrets import KAFKA_SECRETS as KAFKA_SECRETS
from minisoc.render.templating import render_template
from minisoc.resources import stacks_dir
from minisoc.security.cert_specs import ServiceCert, split_names

SCRAM_USERS_SECRET = "kafka-scram-users"  # noqa: S105 (a name, not a value)
START_SCRIPT_SOURCE = "kafka/start.sh"  # in stacks/: the bundle copies it to config/kafka/start.sh
CERT_UNIT = "kafka"
# KAFKA_SECRETS (one password per SCRAM user) live with the site's other secret specs


@dataclass(frozen=True)
class Published:
    """A host port for one node's CLIENT listener (the address clients dial must match its advertisement)."""

    port: int
    host_ip: str = "127.0.0.1"


def start_script() -> bytes:
    """stacks/kafka/start.sh, for the bundle's config/kafka/start.sh (mode 0755; mounted read-only)."""
    return stacks_dir().joinpath(*START_SCRIPT_SOURCE.split("/")).read_bytes()


def compose_escape(value: str) -> str:
    """A value compose must pass through as is: every `$` doubled (no interpolation)."""
    return value.replace("$", "$$")


def kafka_cert_specs(nodes: Sequence[KafkaNode], extra_names: Sequence[str] = ()) -> list[ServiceCert]:
    """One certificate per node (server and client: brokers and controllers dial each other with mTLS),
    valid for its hostname, its service name, localhost and the host of its CLIENT address."""
    specs = []
    for node in nodes:
        client_host = node.client_address.rpartition(":")[0].strip("[]")
        names = [node.hostname, node_name(node.node_id), "localhost", client_host, *extra_names]
        dns, ips = split_names(names)
        specs.append(ServiceCert(
            name=node_name(node.node_id),
            common_name=node.hostname,
            organizational_unit=CERT_UNIT,
            dns_names=tuple(dict.fromkeys(dns)),
            ip_addresses=tuple(dict.fromkeys(("127.0.0.1", *ips))),
            server=True,
            client=True,
            owner_uid=KAFKA_UID,
        ))
    return specs


def scram_users_file(passwords: Mapping[str, str]) -> str:
    """`user=password` lines for stacks/kafka/start.sh; every SCRAM user of the contract must be there."""
    missing = [user for user in SCRAM_USERS if not passwords.get(user)]
    if missing:
        raise ValueError(f"no SCRAM password for {', '.join(missing)}")
    for user, password in passwords.items():
        if "=" in user or any(c in password for c in ",[]\n\r") or not password.isprintable():
            raise ValueError(f"SCRAM user {user!r}: a character the format tool splits on ('=' ',' '[' ']')")
    return "".join(f"{user}={passwords[user]}\n" for user in sorted(passwords))


def _valid_host_ip(text: str) -> str:
    ip_address(text)
    return text


def kafka_context(nodes: Sequence[KafkaNode], *, cluster_id: str, image: str, heap_mb: int, partitions: int,
                  retention_hours: int, published: Mapping[int, Published] | None = None,
                  pki_dir: str = "./pki", start_source: str = "./config/kafka/start.sh",
                  volume_prefix: str = "", acls: bool = False) -> dict[str, Any]:
    """The `kafka` variable of stacks/kafka/compose.yaml.j2. Paths are as compose sees them (relative to the
    bundle); `published` maps node id -> host port of its CLIENT listener (none: reached on the network).
    `cluster_id`: `minisoc.kafka.cluster.cluster_id_for(profile.project_name)`."""
    ports = published or {}
    rendered = []
    for node in nodes:
        environment = broker_environment(node, nodes, heap_mb=heap_mb, partitions=partitions,
                                         retention_hours=retention_hours, acls=acls)
        name = node_name(node.node_id)
        port = ports.get(node.node_id)
        rendered.append({
            "service": name,
            "hostname": node.hostname,
            "environment": {key: compose_escape(value) for key, value in environment.items()},
            "volume": f"{volume_prefix}{name}-data",
            "key_source": f"{pki_dir}/{name}.key",
            "cert_source": f"{pki_dir}/{name}.crt",
            "published": {"port": port.port, "host_ip": _valid_host_ip(port.host_ip)} if port else None,
        })
    return {
        "image": image,
        "nodes": rendered,
        "start_script": START_SCRIPT,
        "start_source": start_source,
        "cluster_id": cluster_id,
        "users_secret": SCRAM_USERS_SECRET,
        "data_dir": DATA_DIR,
        "key_path": KEY_PATH,
        "cert_path": CERT_PATH,
        "ca_path": CA_PATH,
        "ca_source": f"{pki_dir}/ca.crt",
        "client_port": CLIENT_PORT,
    }


def kafka_services(environment: jinja2.Environment, context: dict[str, Any]) -> dict[str, Any]:
    """The compose services (not yet hardened: `minisoc.render.compose.harden` adds the site policy)."""
    fragment = yaml.safe_load(render_template(environment, "kafka/compose.yaml.j2", {"kafka": context}))
    if not isinstance(fragment, dict):
        raise ValueError("stacks/kafka/compose.yaml.j2 rendered no services")
    return fragment
