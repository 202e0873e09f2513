"""The one Kafka client home: the librdkafka connection settings (SASL_SSL + SCRAM-SHA-512 with the site CA
and the broker's name checked, or PLAINTEXT), and Consumer/Producer/AdminClient made from them with
librdkafka's log lines in `logging` and refused settings as a ServiceError. No broker needed."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from minisoc.correlator.clients.kafka import (
    admin_client,
    client_config,
    consumer,
    producer,
    redacted,
    security_config,
)
from minisoc.errors import ServiceError

NOTHING_LISTENS = "127.0.0.1:9"  # the discard port


def test_sasl_ssl_is_scram_with_the_ca_and_the_host_name_checked() -> None:
    config = client_config("h:9093", username="shipper", password="pw", ca_file="/ca.crt")
    assert config == {"bootstrap.servers": "h:9093", "security.protocol": "SASL_SSL",
                      "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "shipper", "sasl.password": "pw",
                      "ssl.endpoint.identification.algorithm": "https", "ssl.ca.location": "/ca.crt"}
    both = client_config(("k1:9093", "k2:9093"), username="correlator", password="pw",
                         ca_file=Path("/site/ca.crt"), client_id="minisoc-correlator")
    assert both["bootstrap.servers"] == "k1:9093,k2:9093" and both["client.id"] == "minisoc-correlator"
    assert both["ssl.ca.location"] == "/site/ca.crt"
    assert "ssl.ca.location" not in client_config("h:9093", username="u", password="p")  # the system store
    assert "pw" not in repr(redacted(config)) and redacted(config)["sasl.username"] == "shipper"


def test_plaintext_and_what_is_refused() -> None:
    assert client_config("k:9092", security_protocol="PLAINTEXT") == {
        "bootstrap.servers": "k:9092", "security.protocol": "PLAINTEXT"}
    assert security_config("PLAINTEXT", username="ignored", password="ignored") == {
        "security.protocol": "PLAINTEXT"}
    with pytest.raises(ValueError, match="password"):
        client_config("k:9093", username="correlator")
    with pytest.raises(ValueError, match="password"):
        client_config("k:9093", password="pw")
    with pytest.raises(ValueError, match="SASL_SSL or PLAINTEXT"):
        client_config("k:9093", security_protocol="SSL", username="u", password="p")
    with pytest.raises(ValueError, match="bootstrap"):
        client_config((), security_protocol="PLAINTEXT")


def test_the_three_clients_are_made_without_a_broker() -> None:
    config = client_config(NOTHING_LISTENS, security_protocol="PLAINTEXT", client_id="t")
    made = consumer({**config, "group.id": "g"})
    assert isinstance(made, Consumer)
    made.close()
    assert isinstance(producer(config), Producer)
    assert isinstance(admin_client(config), AdminClient)


def test_refused_settings_are_a_service_error_with_a_hint(tmp_path: Path) -> None:
    config = client_config(NOTHING_LISTENS, username="u", password="secret-pw", ca_file=tmp_path / "none.crt")
    for make in (admin_client, producer, lambda c: consumer({**c, "group.id": "g"})):
        with pytest.raises(ServiceError, match="cannot make a") as raised:
            make(config)
        assert NOTHING_LISTENS in raised.value.message and "ssl.ca.location" in raised.value.hint
        assert "secret-pw" not in raised.value.message


def test_librdkafka_logs_through_logging(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.kafka.librdkafka")
    config = client_config(NOTHING_LISTENS, security_protocol="PLAINTEXT")
    made = consumer({**config, "group.id": "g", "reconnect.backoff.ms": 10}, logger=logger)
    try:
        with caplog.at_level(logging.DEBUG, logger="test.kafka.librdkafka"):
            for _ in range(20):
                made.poll(0.2)
                if caplog.records:
                    break
    finally:
        made.close()
    assert caplog.records and all(record.name == "test.kafka.librdkafka" for record in caplog.records)
