"""The scale-out services of a distributed site's host bundles (issue 16): the Kafka brokers on hub hosts, the
shipper on sensor hosts, and what the correlator replicas need to read from Kafka. Pure functions of the
profile.

- Brokers `kafka-N` (always numbered, the names of stacks/kafka/compose.yaml.j2), reached by other hosts as
  `endpoint()` says (`kafka-N.<host>` on the link network, or the host's address with published ports). Each
  has the site-CA certificate `pki/kafka-N.*`; the hub bundle holds `secrets/kafka-scram-users` (uid 1000).
- The shipper (rsyslog imfile + omkafka) authenticates with mutual TLS (its client certificate
  `pki/kafka-shipper.*`) on the brokers' `BROKER` listener (9092): bookworm's librdkafka 2.0.2 cannot log in
  with SCRAM to Kafka 4 (docs/shipper.md), so the sensor holds no SCRAM password at all.
- Every correlator replica gets a `kafka:` section (SASL_SSL as `correlator`, the CA, every broker): replica 1
  is the intel leader, the others followers (`correlator_kafka`).
- The host of `kafka-1` runs the one-shot `kafka-topics` (the correlator image, `minisoc kafka apply` as
  `minisoc-admin`): brokers never auto-create topics, so it creates every topic the shippers produce to and
  the correlators read, once enough brokers answer for the replication factor. Its host's correlators start
  after it succeeded (when that host holds enough brokers; otherwise they wait for the topics themselves).
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import yaml

from minisoc import __version__
from minisoc.correlator.config import KafkaConfig
from minisoc.kafka.cluster import (
    ADMIN_USER,
    BROKER_PORT,
    CLIENT_PORT,
    CONTROLLER_PORT,
    CORRELATOR_USER,
    KafkaNode,
    cluster_id_for,
    node_name,
    replication_factor,
    scram_secret_name,
)
from minisoc.kafka.job import TopicEntry, TopicsJob, job_json
from minisoc.kafka.topics import ZEEK_LOG_TYPES, topic_specs
from minisoc.profile.model import SiteProfile
from minisoc.profile.placement import Instance, host_instances
from minisoc.profile.resources import SHIPPER_LIMITS, TOPICS_JOB_LIMITS, kafka_limits
from minisoc.profile.topology import Host
from minisoc.render.compose import harden
from minisoc.render.correlator_config import CA_FILE, SECRETS_MOUNT
from minisoc.render.files import RenderedFile
from minisoc.render.kafka import (
    SCRAM_USERS_SECRET,
    Published,
    kafka_cert_specs,
    kafka_context,
    kafka_services,
    scram_users_file,
    start_script,
)
from minisoc.render.links import endpoint, endpoints, link_alias
from minisoc.render.secrets import KAFKA_SECRETS
from minisoc.render.shipper_config import (
    KafkaSecurity,
    ShipperSettings,
    render_shipper_config,
    render_shipper_service,
    shipper_cert_spec,
)
from minisoc.render.templating import stack_environment
from minisoc.resources import stacks_dir
from minisoc.security.cert_specs import ServiceCert
from minisoc.site.layout import NETFLOW_LOG_DIR, SECRETS_DIR_NAME, SYSLOG_LOG_DIR

KAFKA_START_FILE = PurePosixPath("config/kafka/start.sh")
SHIPPER_CONFIG_FILE = PurePosixPath("config/shipper/rsyslog.conf")
SCRAM_USERS_FILE = PurePosixPath(SECRETS_DIR_NAME) / SCRAM_USERS_SECRET
CORRELATOR_SECRET = scram_secret_name(CORRELATOR_USER)
ADMIN_SECRET = scram_secret_name(ADMIN_USER)
TOPICS_JOB_SERVICE = "kafka-topics"
TOPICS_JOB_FILE = PurePosixPath("config/correlator/kafka-topics.json")
KAFKA_UID = 1000


def scaleout_image(profile: SiteProfile, kind: str) -> str:
    """The profile's `images.<kind>` when set, else the pinned default of stacks/images.yaml."""
    override = getattr(profile.images, kind, None)
    if isinstance(override, str):
        return override
    data = yaml.safe_load((stacks_dir() / "images.yaml").read_text(encoding="utf-8"))
    return str(data[kind]).format(version=__version__)


def kafka_nodes(profile: SiteProfile) -> list[tuple[Host, Instance, KafkaNode]]:
    """Every broker of the site with its host: the name other brokers dial (BROKER, CONTROLLER) is its link
    alias (docker-network) or its host's address (ports); clients dial `endpoint()`."""
    nodes = []
    for host in profile.hosts:
        for instance in host_instances(profile, host):
            if instance.kind != "kafka":
                continue
            linked = profile.site.host_links == "docker-network"
            hostname = link_alias(instance, host) if linked else host.address
            client = endpoint(profile, host, instance)
            nodes.append((host, instance, KafkaNode(instance.index, hostname, client)))
    return nodes


def scaleout_certs(profile: SiteProfile) -> list[ServiceCert]:
    """The site PKI's certificates for Kafka: one per broker, and the shipper's client certificate."""
    nodes = [node for _, _, node in kafka_nodes(profile)]
    return [*kafka_cert_specs(nodes, profile.security.tls.extra_names), shipper_cert_spec()]


def kafka_spec(profile: SiteProfile, instance: Instance) -> dict[str, Any]:
    """The compose service of broker `instance` (stacks/kafka/compose.yaml.j2, hardened)."""
    nodes = [node for _, _, node in kafka_nodes(profile)]
    ports = profile.site.host_links == "ports"
    published = {node.node_id: Published(CLIENT_PORT, "0.0.0.0") for node in nodes} if ports else None  # noqa: S104
    context = kafka_context(nodes, cluster_id=cluster_id_for(profile.project_name),
                            image=scaleout_image(profile, "kafka"), heap_mb=profile.kafka.heap_mb,
                            partitions=profile.kafka.partitions,
                            retention_hours=profile.kafka.retention_hours,
                            published=published)
    spec: dict[str, Any] = kafka_services(stack_environment(), context)[node_name(instance.index)]
    if ports:  # the other brokers (BROKER, CONTROLLER) and the shipper (BROKER) dial this host too
        spec["ports"] += [{"target": port, "published": port, "host_ip": "0.0.0.0", "protocol": "tcp"}  # noqa: S104
                          for port in (BROKER_PORT, CONTROLLER_PORT)]
    return harden(instance.name, spec, kafka_limits(profile))


def kafka_files(profile: SiteProfile, secret_values: dict[str, str]) -> list[RenderedFile]:
    """A hub's Kafka files: the start script and the brokers' SCRAM users file (uid 1000, 0600)."""
    passwords = {spec.name.removeprefix("kafka-scram-"): secret_values[spec.name] for spec in KAFKA_SECRETS}
    return [
        RenderedFile(KAFKA_START_FILE, start_script()),
        RenderedFile(SCRAM_USERS_FILE, scram_users_file(passwords).encode(), secret=True,
                     owner_uid=KAFKA_UID),
    ]


def shipper_brokers(profile: SiteProfile) -> tuple[str, ...]:
    """Where the shipper connects: every broker's BROKER listener (mutual TLS), by the name it advertises."""
    return tuple(f"{node.hostname}:{BROKER_PORT}" for _, _, node in kafka_nodes(profile))


def shipper_settings(profile: SiteProfile) -> ShipperSettings:
    services = {"syslog": profile.inputs.syslog.enabled, "netflow": profile.inputs.netflow.enabled}
    return ShipperSettings(
        brokers=shipper_brokers(profile),
        zeek_dir=f"./{profile.sensor.log_dir}" if profile.sensor.mode != "off" else None,
        syslog_dir=f"./{SYSLOG_LOG_DIR}" if services["syslog"] else None,
        netflow_dir=f"./{NETFLOW_LOG_DIR}" if services["netflow"] else None,
        security=KafkaSecurity(protocol="SSL"),
        image=scaleout_image(profile, "shipper"),
    )


def shipper_spec(profile: SiteProfile) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load(render_shipper_service(shipper_settings(profile)))["shipper"]
    return harden("shipper", spec, SHIPPER_LIMITS)


def shipper_files(profile: SiteProfile) -> list[RenderedFile]:
    return [RenderedFile(SHIPPER_CONFIG_FILE, render_shipper_config(shipper_settings(profile)).encode())]


def correlator_kafka(profile: SiteProfile, instance: Instance) -> KafkaConfig:
    """Replica `instance`'s `kafka:` section: replica 1 leads the intel sync, the others follow."""
    return KafkaConfig(
        bootstrap_servers=endpoints(profile, "kafka"),
        security_protocol="SASL_SSL",
        username=CORRELATOR_USER,
        password_file=SECRETS_MOUNT / CORRELATOR_SECRET,
        ca_file=CA_FILE,
        client_id=f"minisoc-{instance.name}",
        intel_role="leader" if instance.index == 1 else "follower",
    )


def correlator_config_name(instance: Instance) -> str:
    """config/correlator/<name>: `correlator.yaml` for the first replica, `correlator-N.yaml` for others."""
    return "correlator.yaml" if instance.index == 1 else f"correlator-{instance.index}.yaml"


def wire_correlator(spec: dict[str, Any], instance: Instance, brokers_here: list[str]) -> dict[str, Any]:
    """A replica reads its own config file, mounts the correlator's SCRAM password, waits for the brokers
    on its host."""
    spec["command"] = ["correlate", "run", "--config", f"/config/{correlator_config_name(instance)}"]
    spec["secrets"] = sorted({*spec.get("secrets", []), CORRELATOR_SECRET})
    if brokers_here:
        depends = spec.get("depends_on") or {}
        spec["depends_on"] = {**depends, **{name: {"condition": "service_healthy"} for name in brokers_here}}
    return spec


def top_level_secrets(names: list[str]) -> dict[str, Any]:
    return {name: {"file": f"./{SECRETS_DIR_NAME}/{name}"} for name in names}



def topics_job(profile: SiteProfile) -> TopicsJob:
    """The hub's topics job: every topic a shipper produces to or a correlator reads, and the intel topic."""
    settings = shipper_settings(profile)
    zeek_types = tuple(dict.fromkeys((*ZEEK_LOG_TYPES, *settings.zeek_log_types)))
    specs = topic_specs(zeek_types, brokers=profile.kafka.brokers, partitions=profile.kafka.partitions,
                        retention_hours=profile.kafka.retention_hours,
                        syslog=settings.syslog_dir is not None, netflow=settings.netflow_dir is not None)
    return TopicsJob(
        bootstrap_servers=endpoints(profile, "kafka"),
        min_brokers=replication_factor(profile.kafka.brokers),
        username=ADMIN_USER,
        password_file=SECRETS_MOUNT / ADMIN_SECRET,
        ca_file=CA_FILE,
        topics=[TopicEntry(name=s.name, partitions=s.partitions, replication_factor=s.replication_factor,
                           config=dict(s.config)) for s in specs],
    )


def topics_job_file(profile: SiteProfile) -> RenderedFile:
    return RenderedFile(TOPICS_JOB_FILE, job_json(topics_job(profile)).encode())


def topics_job_spec(correlator: dict[str, Any], networks: list[str],
                    brokers_here: list[str]) -> dict[str, Any]:
    """The one-shot `kafka-topics`: the correlator's image, config folder and CA, the brokers' `networks`;
    the admin's SCRAM password; after the brokers on its host are healthy; never restarted (compose runs
    it once per `up`: a re-run only aligns)."""
    keep = {"/config", CA_FILE.as_posix()}
    spec: dict[str, Any] = {
        "image": correlator["image"],
        "command": ["kafka", "apply", "--config", f"/config/{TOPICS_JOB_FILE.name}"],
        "read_only": True,
        "tmpfs": ["/tmp:size=16m"],  # noqa: S108 - a private tmpfs of a read-only container
        "secrets": [ADMIN_SECRET],
        "volumes": [mount for mount in correlator.get("volumes", [])
                    if isinstance(mount, dict) and mount.get("target") in keep],
    }
    if networks:
        spec["networks"] = {name: {} for name in networks}
    if brokers_here:
        spec["depends_on"] = {name: {"condition": "service_healthy"} for name in brokers_here}
    return harden(TOPICS_JOB_SERVICE, spec, TOPICS_JOB_LIMITS, one_shot=True)


def after_topics_job(spec: dict[str, Any]) -> dict[str, Any]:
    """A correlator on the job's host starts once the topics exist."""
    depends = spec.get("depends_on") or {}
    spec["depends_on"] = {**depends, TOPICS_JOB_SERVICE: {"condition": "service_completed_successfully"}}
    return spec
