"""The sensor's shipper (stacks/shipper): its rsyslog.conf and its compose service, from plain settings.

rsyslog's imfile tails the sensor's logs and omkafka (Debian's rsyslog-kafka) produces every line, unchanged,
to the hub's Kafka (docs/shipper.md). Topics: `minisoc.zeek.<log type>`, `minisoc.syslog`, `minisoc.netflow`.
Both renderings are pure functions of `ShipperSettings`, so the topology's per-host bundles can place the
service on any sensor host: the settings name the host-side folders, the brokers and the security files.

Zeek is shipped as JSON only (the site's Zeek writes JSON: stacks/zeek/local.zeek.j2); one imfile input per
Zeek log type follows that log's fixed name across rotations, and one more per type reads the unread tails
of logs Zeek rotated while the shipper was stopped (the image's entry point puts them in the spool's
catchup/). The receivers' daily files are matched by a wildcard: they are never renamed, only created and,
past their retention, deleted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import jinja2

from minisoc.errors import Problem, ProfileError
from minisoc.kafka.cluster import SHIPPER_USER, scram_secret_name
from minisoc.render.templating import render_template, stack_environment
from minisoc.security.cert_specs import ServiceCert

SHIPPER_UID = 10004  # stacks/shipper/image runs rsyslog as uid 10004
SHIPPER_CERT = "kafka-shipper"  # pki/kafka-shipper.crt and .key: the shipper's client certificate
TOPIC_PREFIX = "minisoc"
SYSLOG_TOPIC = f"{TOPIC_PREFIX}.syslog"
NETFLOW_TOPIC = f"{TOPIC_PREFIX}.netflow"
# Zeek's log types a sensor ships unless told otherwise (one topic each; the hub provisions the same list)
DEFAULT_ZEEK_LOG_TYPES = (
    "conn", "dns", "http", "ssl", "files", "x509", "notice", "weird", "smtp", "ssh",
    "dhcp", "ftp", "rdp", "smb_files", "smb_mapping", "dce_rpc", "kerberos", "ntlm", "sip", "snmp",
    "software", "tunnel", "intel", "quic", "dpd",
)
# Inside the container: fixed, so the config and the compose service agree
SPOOL_DIR = "/var/spool/rsyslog"
CATCHUP_DIR = PurePosixPath(SPOOL_DIR) / "catchup"  # written by the image's entry point
CONFIG_TARGET = "/config/rsyslog.conf"
ZEEK_TARGET = PurePosixPath("/logs/zeek")
SYSLOG_TARGET = PurePosixPath("/logs/syslog")
NETFLOW_TARGET = PurePosixPath("/logs/netflow")
CA_TARGET = "/certs/ca.crt"
CERT_TARGET = "/certs/shipper.crt"
KEY_TARGET = "/certs/shipper.key"
SYSLOG_PATTERN = "syslog-*.json"  # stacks/syslog: syslog-YYYY-MM-DD.json
NETFLOW_PATTERN = "flows-*.json"  # stacks/netflow: flows-YYYY-MM-DD.json
PROTOCOLS = ("SSL", "SASL_SSL", "PLAINTEXT")
_LOG_TYPE = re.compile(r"^[a-z0-9_]+$")
_BROKER = re.compile(r"^[A-Za-z0-9.-]+:[0-9]{1,5}$")
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def shipper_cert_spec() -> ServiceCert:
    """The shipper's client certificate (mutual TLS to Kafka): CN `shipper`, OU `kafka`, so the brokers'
    ssl.principal.mapping.rules make it `User:shipper`, the principal minisoc.kafka.acls grants the log
    topics to; client use only, its key handed to uid 10004."""
    return ServiceCert(SHIPPER_CERT, SHIPPER_USER, organizational_unit="kafka", server=False, client=True,
                       owner_uid=SHIPPER_UID)


def zeek_topic(log_type: str) -> str:
    """The topic of one Zeek log type: `minisoc.zeek.conn` for conn.log."""
    return f"{TOPIC_PREFIX}.zeek.{log_type}"


@dataclass(frozen=True)
class KafkaSecurity:
    """How the shipper authenticates to the brokers, always verifying them with the site CA:
    - `SSL` (the default): mutual TLS, a client certificate of the site CA (principal = its subject);
    - `SASL_SSL`: SCRAM-SHA-512 as `username`, the password in a compose secret, never in the config.
      Bookworm's librdkafka 2.0.2 fails SCRAM against Kafka 4.x brokers (librdkafka < 2.6.1 resends the
      client nonce; confluentinc/librdkafka#4895): use it with Kafka 3.x or a newer librdkafka only;
    - `PLAINTEXT`: tests only.
    Sources are host paths relative to the host bundle; targets are fixed in the container."""

    protocol: str = "SSL"
    username: str = SHIPPER_USER
    # the secret's name (not its value): SITE_DIR/secrets/<name>, mounted at /run/secrets/<name>
    password_secret: str = scram_secret_name(SHIPPER_USER)
    ca_source: str = "./pki/ca.crt"
    cert_source: str = f"./pki/{SHIPPER_CERT}.crt"
    key_source: str = f"./pki/{SHIPPER_CERT}.key"  # readable by uid 10004 (SHIPPER_UID): shipper_cert_spec()
    ca_file: str = CA_TARGET
    cert_file: str = CERT_TARGET
    key_file: str = KEY_TARGET


@dataclass(frozen=True)
class ShipperSettings:
    """What the shipper of one sensor host ships, and where to. Host folders: None = that input is off."""

    brokers: tuple[str, ...]
    zeek_dir: str | None = "./logs/zeek"
    zeek_log_types: tuple[str, ...] = DEFAULT_ZEEK_LOG_TYPES
    syslog_dir: str | None = None
    netflow_dir: str | None = None
    security: KafkaSecurity = field(default_factory=KafkaSecurity)
    image: str = "minisoc/shipper:latest"
    config_source: str = "./config/shipper/rsyslog.conf"
    state_volume: str = "shipper-state"
    max_message_bytes: int = 262144  # longer lines are truncated (and counted), never split in two
    queue_size: int = 100000  # messages held in memory before the queue spills to disk
    queue_max_disk_mb: int = 2048
    batch_size: int = 1024
    message_timeout_ms: int = 60000  # then librdkafka reports a failure and omkafka resubmits the message
    close_timeout_ms: int = 10000
    stats_interval_s: int = 60  # rsyslog's counters on stdout


@dataclass(frozen=True)
class ShipperInput:
    path: str
    topic: str
    wildcard: bool


def shipper_inputs(settings: ShipperSettings) -> tuple[ShipperInput, ...]:
    """One imfile input per Zeek log type (its fixed name follows rotation), one per receiver folder."""
    inputs = []
    if settings.zeek_dir is not None:
        inputs += [ShipperInput(str(ZEEK_TARGET / f"{log_type}.log"), zeek_topic(log_type), False)
                   for log_type in settings.zeek_log_types]
        # what the entry point recovered from logs Zeek rotated while the shipper was stopped
        inputs += [ShipperInput(str(CATCHUP_DIR / f"{log_type}.*.log"), zeek_topic(log_type), True)
                   for log_type in settings.zeek_log_types]
    if settings.syslog_dir is not None:
        inputs.append(ShipperInput(str(SYSLOG_TARGET / SYSLOG_PATTERN), SYSLOG_TOPIC, True))
    if settings.netflow_dir is not None:
        inputs.append(ShipperInput(str(NETFLOW_TARGET / NETFLOW_PATTERN), NETFLOW_TOPIC, True))
    return tuple(inputs)


def shipper_topics(settings: ShipperSettings) -> tuple[str, ...]:
    """Every topic this shipper produces to (the hub must have created them: they are not auto-created)."""
    return tuple(dict.fromkeys(item.topic for item in shipper_inputs(settings)))


def check_settings(settings: ShipperSettings) -> None:
    """Refuse what would render a broken or injectable config (values end up inside rsyslog strings)."""
    problems = _problems(settings)
    if problems:
        raise ProfileError([Problem(f"shipper.{name}", what) for name, what in problems], source="shipper")


def _problems(settings: ShipperSettings) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if not settings.brokers:
        problems.append(("brokers", "no Kafka broker to ship to"))
    problems += [("brokers", f"{broker!r} is not host:port") for broker in settings.brokers
                 if not _BROKER.match(broker)]
    problems += [("zeek_log_types", f"{name!r} is not a Zeek log name (a-z, 0-9, _)")
                 for name in settings.zeek_log_types if not _LOG_TYPE.match(name)]
    if len(set(settings.zeek_log_types)) != len(settings.zeek_log_types):
        problems.append(("zeek_log_types", "a log type is listed twice"))
    if not shipper_inputs(settings):
        problems.append(("inputs", "nothing to ship: no Zeek, syslog or flow folder"))
    if settings.security.protocol not in PROTOCOLS:
        problems.append(("security.protocol", f"{settings.security.protocol!r} is not one of {PROTOCOLS}"))
    if not _NAME.match(settings.security.username):
        problems.append(("security.username", "letters, digits, '.', '_' and '-' only"))
    if not 8192 <= settings.max_message_bytes <= 900_000:
        problems.append(("max_message_bytes", "between 8192 and 900000 (Kafka's default limit is ~1 MB)"))
    return problems


def _context(settings: ShipperSettings) -> dict[str, Any]:
    return {
        "inputs": shipper_inputs(settings),
        "brokers": list(settings.brokers),
        "security": settings.security,
        "spool_dir": SPOOL_DIR,
        "max_message_bytes": settings.max_message_bytes,
        # the producer's own limit: a message of max_message_bytes plus headers and framing always fits
        "kafka_message_max_bytes": settings.max_message_bytes + 65536,
        "queue_size": settings.queue_size,
        "queue_max_disk_mb": settings.queue_max_disk_mb,
        "batch_size": settings.batch_size,
        "message_timeout_ms": settings.message_timeout_ms,
        "close_timeout_ms": settings.close_timeout_ms,
        "stats_interval_s": settings.stats_interval_s,
        "enqueue_timeout_ms": 24 * 3600 * 1000,  # a full queue blocks imfile (it reads later), drops nothing
    }


def render_shipper_config(settings: ShipperSettings, environment: jinja2.Environment | None = None) -> str:
    """The shipper's rsyslog.conf (mounted read-only at /config/rsyslog.conf)."""
    check_settings(settings)
    return render_template(environment or stack_environment(), "shipper/rsyslog.conf.j2", _context(settings))


def log_mounts(settings: ShipperSettings) -> list[dict[str, str]]:
    """The host folders the shipper reads (read-only), with their targets in the container."""
    pairs: Sequence[tuple[str | None, PurePosixPath]] = (
        (settings.zeek_dir, ZEEK_TARGET), (settings.syslog_dir, SYSLOG_TARGET),
        (settings.netflow_dir, NETFLOW_TARGET))
    return [{"source": source, "target": str(target)} for source, target in pairs if source is not None]


def _tls_mounts(security: KafkaSecurity) -> list[dict[str, str]]:
    pairs = {"PLAINTEXT": (), "SASL_SSL": ((security.ca_source, security.ca_file),),
             "SSL": ((security.ca_source, security.ca_file), (security.cert_source, security.cert_file),
                     (security.key_source, security.key_file))}[security.protocol]
    return [{"source": source, "target": target} for source, target in pairs]


def render_shipper_service(settings: ShipperSettings, environment: jinja2.Environment | None = None) -> str:
    """The compose service `shipper` (YAML text, the same shape as stacks/*/compose.yaml.j2 fragments);
    the host bundle adds the volume `state_volume` and, for SASL_SSL, the secret `password_secret`."""
    check_settings(settings)
    context = _context(settings) | {
        "image": settings.image,
        "state_volume": settings.state_volume,
        "config_source": settings.config_source,
        "config_target": CONFIG_TARGET,
        "log_mounts": log_mounts(settings),
        "tls_mounts": _tls_mounts(settings.security),
        # SIGKILL before rsyslog saved imfile's positions means re-shipping from the last saved ones
        "stop_grace_period": f"{settings.close_timeout_ms // 1000 + 50}s",
    }
    return render_template(environment or stack_environment(), "shipper/compose.yaml.j2", context)


def shipper_compose_toplevel(settings: ShipperSettings) -> dict[str, Any]:
    """What the host bundle's top level must declare for the service: the state volume and, for SASL_SSL,
    the password secret (a file under the bundle's secrets/, readable by uid 10004)."""
    toplevel: dict[str, Any] = {"volumes": {settings.state_volume: {}}}
    if settings.security.protocol == "SASL_SSL":
        name = settings.security.password_secret
        toplevel["secrets"] = {name: {"file": f"./secrets/{name}"}}
    return toplevel
