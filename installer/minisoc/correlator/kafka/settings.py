"""How the correlator reaches Kafka: the librdkafka configuration, built by pure functions (unit-tested).

The connection part (bootstrap servers, client id, SASL_SSL/SCRAM or PLAINTEXT, the CA) is minisoc's one
Kafka client rule, `minisoc.correlator.clients.kafka.client_config`; here are the correlator's settings and
what each of its roles adds. The password is read from its secret file when the configuration is built and
never logged: `redacted()` is what may be shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minisoc.correlator.clients.kafka import SASL_SSL, client_config, redacted
from minisoc.correlator.clients.kafka import security_config as _security_keys
from minisoc.correlator.kafka.topics import GROUP_ID


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: tuple[str, ...]
    security_protocol: str = SASL_SSL  # SASL_SSL (SCRAM-SHA-512 over TLS, the site CA) or PLAINTEXT (tests)
    username: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None  # the site CA (PEM); None: the system store
    group_id: str = GROUP_ID
    client_id: str = "minisoc-correlator"
    session_timeout_ms: int = 15000  # how long a replica that died keeps its partitions before a rebalance


def security_config(settings: KafkaSettings, password: str | None) -> dict[str, Any]:
    """The librdkafka security keys for `settings` (the password already read from its file): those of
    minisoc's one Kafka client rule (`minisoc.correlator.clients.kafka`)."""
    return dict(_security_keys(settings.security_protocol, username=settings.username, password=password,
                               ca_file=settings.ca_file))


def read_password(settings: KafkaSettings) -> str | None:
    if settings.password_file is None:
        return None
    return settings.password_file.read_text(encoding="utf-8").strip()


def base_config(settings: KafkaSettings, password: str | None) -> dict[str, Any]:
    return dict(client_config(settings.bootstrap_servers, security_protocol=settings.security_protocol,
                              username=settings.username, password=password, ca_file=settings.ca_file,
                              client_id=settings.client_id))


def group_consumer_config(settings: KafkaSettings, password: str | None) -> dict[str, Any]:
    """The log consumer: a member of the correlators' group; offsets committed by hand only (after the
    alerts are durable), a new group starts at the oldest retained message; cooperative-sticky assignment
    moves only the partitions that must move when a replica joins or dies."""
    return {
        **base_config(settings, password),
        "group.id": settings.group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        "session.timeout.ms": settings.session_timeout_ms,
        "heartbeat.interval.ms": max(1000, settings.session_timeout_ms // 5),
    }


def reader_config(settings: KafkaSettings, password: str | None, instance: str) -> dict[str, Any]:
    """The intel topic's reader: partitions assigned by hand (never subscribes, never commits); librdkafka
    wants a group id all the same, so it gets one of its own that no broker ever sees a member of."""
    return {
        **base_config(settings, password),
        "group.id": f"{settings.group_id}-intel-reader-{instance}",
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
    }


def producer_config(settings: KafkaSettings, password: str | None) -> dict[str, Any]:
    """The intel leader's producer: idempotent, every in-sync replica acknowledges."""
    return {**base_config(settings, password), "acks": "all", "enable.idempotence": True,
            "linger.ms": 50}


__all__ = ["KafkaSettings", "base_config", "group_consumer_config", "producer_config", "read_password",
           "reader_config", "redacted", "security_config"]
