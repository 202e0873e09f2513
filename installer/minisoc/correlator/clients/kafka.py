"""The one way minisoc talks to Kafka: one function for the librdkafka connection settings, and the
constructors of the three confluent-kafka clients (Consumer, Producer, AdminClient).

Used by the correlator (its log consumer, the intel topic's reader and producer: `correlator/kafka/open.py`)
and by the host side (`ops/kafka_topics.py`: topics, ACLs and SCRAM users as `minisoc-admin`); the
correlator may not import ops, so this lives here and imports nothing above the ground floor
(`minisoc.kafka`, `minisoc.errors`).

Security (`client_config`): SASL_SSL with SCRAM-SHA-512 on the brokers' CLIENT listener, the chain verified
against `ca_file` (the site CA; None: the system store) AND the broker's name checked against its
certificate; PLAINTEXT only for tests against a bare broker. What a role adds (group id, commit policy,
acks...) is the caller's: `{**client_config(...), "group.id": ...}`.

Every client routes librdkafka's own log lines (each failed connection while brokers start, a broker going
down) to `logging` instead of raw stderr; settings librdkafka refuses when a client is made (an unreadable
CA file, an unknown key) become a ServiceError with a hint. The password is never logged: `redacted()` is
what may be shown.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient

from minisoc.errors import ServiceError
from minisoc.kafka.cluster import SCRAM_MECHANISM

SASL_SSL = "SASL_SSL"
PLAINTEXT = "PLAINTEXT"  # tests only: a bare broker without TLS or SASL
SECURITY_PROTOCOLS = (SASL_SSL, PLAINTEXT)
LIBRDKAFKA_LOGGER = "minisoc.kafka.librdkafka"  # where librdkafka's own messages go (stdlib logging)
CLIENT_HINT = "check the site CA file (ssl.ca.location), the bootstrap addresses and the client settings"


def security_config(security_protocol: str = SASL_SSL, *, username: str | None = None,
                    password: str | None = None, ca_file: str | Path | None = None) -> dict[str, str]:
    """The librdkafka security keys: SASL_SSL + SCRAM-SHA-512 (+ the CA, host name verified) or PLAINTEXT.
    ValueError for another protocol, or SASL_SSL without a username and a password."""
    if security_protocol == PLAINTEXT:
        return {"security.protocol": PLAINTEXT}
    if security_protocol != SASL_SSL:
        raise ValueError(f"security protocol {security_protocol!r}: {' or '.join(SECURITY_PROTOCOLS)}")
    if not username or password is None:
        raise ValueError("SASL_SSL needs a SCRAM username and a password")
    config = {
        "security.protocol": SASL_SSL,
        "sasl.mechanism": SCRAM_MECHANISM,
        "sasl.username": username,
        "sasl.password": password,
        "ssl.endpoint.identification.algorithm": "https",  # the broker's name must be in its certificate
    }
    if ca_file is not None:
        config["ssl.ca.location"] = str(ca_file)
    return config


def client_config(bootstrap_servers: str | Sequence[str], *, security_protocol: str = SASL_SSL,
                  username: str | None = None, password: str | None = None,
                  ca_file: str | Path | None = None, client_id: str | None = None) -> dict[str, str]:
    """The one librdkafka connection configuration: where (bootstrap servers, `host:port` joined by commas
    or a sequence of them), who (`client_id`, shown in the brokers' logs and quotas) and how
    (`security_config`)."""
    servers = bootstrap_servers if isinstance(bootstrap_servers, str) else ",".join(bootstrap_servers)
    if not servers:
        raise ValueError("no Kafka bootstrap servers")
    config = {"bootstrap.servers": servers}
    if client_id:
        config["client.id"] = client_id
    return {**config, **security_config(security_protocol, username=username, password=password,
                                        ca_file=ca_file)}


def redacted(config: Mapping[str, Any]) -> dict[str, Any]:
    """`config` fit to be shown: every password replaced."""
    return {key: ("***" if "password" in key else value) for key, value in config.items()}


def _logger(logger: logging.Logger | None) -> logging.Logger:
    return logger if logger is not None else logging.getLogger(LIBRDKAFKA_LOGGER)


def _refused(kind: str, config: Mapping[str, Any], error: KafkaException) -> ServiceError:
    where = config.get("bootstrap.servers", "kafka")
    return ServiceError(f"kafka {where}: cannot make a {kind}: {error.args[0] if error.args else error}",
                        CLIENT_HINT)


def consumer(config: Mapping[str, Any], *, logger: logging.Logger | None = None) -> Consumer:
    """A Consumer from `config` (`client_config` plus the role's keys: group.id, offsets...)."""
    try:
        return Consumer({**config, "logger": _logger(logger)})
    except KafkaException as error:
        raise _refused("consumer", config, error) from None


def producer(config: Mapping[str, Any], *, logger: logging.Logger | None = None) -> Producer:
    """A Producer from `config` (`client_config` plus the role's keys: acks, idempotence...)."""
    try:
        return Producer({**config, "logger": _logger(logger)})
    except KafkaException as error:
        raise _refused("producer", config, error) from None


def admin_client(config: Mapping[str, Any], *, logger: logging.Logger | None = None) -> AdminClient:
    """An AdminClient from `config` (`client_config`, as minisoc-admin for topics, ACLs, SCRAM users)."""
    try:
        return AdminClient(dict(config), logger=_logger(logger))
    except KafkaException as error:
        raise _refused("client", config, error) from None
