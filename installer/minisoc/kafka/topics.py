"""The topics of a minisoc site (issue 16): one per Zeek log type and per input, and the intel topic.

Topics are created by minisoc (`minisoc.ops.kafka_topics`), never auto-created by the brokers. A message's
value is one log line as the sensor wrote it; its log type comes from the topic name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from minisoc.kafka.cluster import min_insync_replicas, replication_factor

TOPIC_PREFIX = "minisoc."
ZEEK_TOPIC_PREFIX = "minisoc.zeek."
SYSLOG_TOPIC = "minisoc.syslog"
NETFLOW_TOPIC = "minisoc.netflow"
INTEL_TOPIC = "minisoc.intel"  # compacted; key = indicator key, tombstone = removal
# Zeek's usual logs (a site may ship more: any [a-z0-9_] name makes a topic).
ZEEK_LOG_TYPES = (
    "conn", "dce_rpc", "dhcp", "dns", "files", "ftp", "http", "intel", "kerberos", "notice", "ntlm", "ntp",
    "quic", "rdp", "sip", "smb_files", "smb_mapping", "smtp", "snmp", "software", "ssh", "ssl", "tunnel",
    "weird", "x509",
)
_LOG_TYPE = re.compile(r"^[a-z0-9_]{1,64}$")
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str] = field(default_factory=dict)


def zeek_topic(log_type: str) -> str:
    if not _LOG_TYPE.match(log_type):
        raise ValueError(f"zeek log type {log_type!r}: want 1-64 of a-z, 0-9, '_'")
    return ZEEK_TOPIC_PREFIX + log_type


def log_type_of(topic: str) -> str | None:
    """The log type a topic carries: `conn` for minisoc.zeek.conn, `syslog`, `netflow`; None otherwise."""
    if topic.startswith(ZEEK_TOPIC_PREFIX):
        log_type = topic[len(ZEEK_TOPIC_PREFIX):]
        return log_type if _LOG_TYPE.match(log_type) else None
    return {SYSLOG_TOPIC: "syslog", NETFLOW_TOPIC: "netflow"}.get(topic)


def log_topics(zeek_log_types: Iterable[str], *, syslog: bool = True,
               netflow: bool = True) -> tuple[str, ...]:
    """Every topic the correlators consume (sorted, no repeats)."""
    names = {zeek_topic(log_type) for log_type in zeek_log_types}
    names |= {SYSLOG_TOPIC} if syslog else set()
    names |= {NETFLOW_TOPIC} if netflow else set()
    return tuple(sorted(names))


def topic_specs(zeek_log_types: Iterable[str], *, brokers: int, partitions: int, retention_hours: int,
                syslog: bool = True, netflow: bool = True) -> tuple[TopicSpec, ...]:
    """The log topics (delete after `retention_hours`) and the compacted intel topic, sorted by name;
    replication factor min(3, brokers), min.insync.replicas 2 from three brokers on, else 1."""
    if brokers < 1 or partitions < 1 or retention_hours < 1:
        raise ValueError("brokers, partitions and retention_hours must be at least 1")
    rf, isr = replication_factor(brokers), str(min_insync_replicas(brokers))
    logs = {
        "cleanup.policy": "delete",
        "retention.ms": str(retention_hours * HOUR_MS),
        "min.insync.replicas": isr,
    }
    specs = [TopicSpec(name, partitions, rf, logs) for name in log_topics(zeek_log_types, syslog=syslog,
                                                                           netflow=netflow)]
    intel = {"cleanup.policy": "compact", "min.insync.replicas": isr}
    specs.append(TopicSpec(INTEL_TOPIC, partitions, rf, intel))
    return tuple(sorted(specs, key=lambda spec: spec.name))
