"""How the correlator reaches Kafka: the librdkafka configuration, built by pure functions (unit-tested).

The password is read from its secret file when the configuration is built and never logged: `redacted()`
is what may be shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minisoc.correlator.kafka.topics import GROUP_ID

SASL_SSL = "SASL_SSL"
PLAINTEXT = "PLAINTEXT"
SCRAM = "SCRAM-SHA-512"


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
    """The librdkafka security keys for `settings` (the password already read from its file)."""
    if settings.security_protocol == PLAINTEXT:
        return {"security.protocol": "PLAINTEXT"}
    if settings.security_protocol != SASL_SSL:
        raise ValueError(f"security protocol {settings.security_protocol!r}: SASL_SSL or PLAINTEXT")
    if not settings.username or password is None:
        raise ValueError("SASL_SSL needs a SCRAM username and a password file")
    config: dict[str, Any] = {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": SCRAM,
        "sasl.username": settings.username,
        "sasl.password": password,
        "ssl.endpoint.identification.algorithm": "https",  # the broker's name must be in its certificate
    }
    if settings.ca_file is not None:
        config["ssl.ca.location"] = str(settings.ca_file)
    return config


def read_password(settings: KafkaSettings) -> str | None:
    if settings.password_file is None:
        return None
    return settings.password_file.read_text(encoding="utf-8").strip()


def base_config(settings: KafkaSettings, password: str | None) -> dict[str, Any]:
    return {
        "bootstrap.servers": ",".join(settings.bootstrap_servers),
        "client.id": settings.client_id,
        **security_config(settings, password),
    }


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


def redacted(config: dict[str, Any]) -> dict[str, Any]:
    return {key: ("***" if "password" in key else value) for key, value in config.items()}
