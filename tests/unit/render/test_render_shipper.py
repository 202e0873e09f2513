"""The sensor's shipper: rsyslog.conf and the compose service rendered from ShipperSettings (golden), one
imfile input per Zeek log type and per receiver folder, topics by log type, no password in the config, and
bad settings refused with the field's path."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from minisoc.errors import ProfileError
from minisoc.render.shipper_config import (
    DEFAULT_ZEEK_LOG_TYPES,
    KafkaSecurity,
    ShipperSettings,
    render_shipper_config,
    render_shipper_service,
    shipper_cert_spec,
    shipper_compose_toplevel,
    shipper_topics,
)

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "shipper"
UPDATE = os.environ.get("MINISOC_UPDATE_GOLDEN") == "1"
SENSOR = ShipperSettings(
    brokers=("kafka-1:9093", "kafka-2:9093", "kafka-3:9093"),
    zeek_log_types=("conn", "dns", "http"),
    syslog_dir="./logs/syslog",
    netflow_dir="./logs/netflow",
    image="minisoc/shipper:0.1.0",
)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (MINISOC_UPDATE_GOLDEN=1 to update)"


def _inputs(config: str) -> list[tuple[str, str]]:
    return re.findall(r'input\(type="imfile" file="([^"]+)" tag="([^"]+)"', config)


def test_config_and_service_match_golden() -> None:
    _golden("rsyslog.conf", render_shipper_config(SENSOR))
    _golden("compose.shipper.yaml", render_shipper_service(SENSOR))


def test_one_input_per_zeek_log_and_per_receiver_folder_each_tagged_with_its_topic() -> None:
    assert _inputs(render_shipper_config(SENSOR)) == [
        ("/logs/zeek/conn.log", "minisoc.zeek.conn"),
        ("/logs/zeek/dns.log", "minisoc.zeek.dns"),
        ("/logs/zeek/http.log", "minisoc.zeek.http"),
        ("/var/spool/rsyslog/catchup/conn.*.log", "minisoc.zeek.conn"),
        ("/var/spool/rsyslog/catchup/dns.*.log", "minisoc.zeek.dns"),
        ("/var/spool/rsyslog/catchup/http.*.log", "minisoc.zeek.http"),
        ("/logs/syslog/syslog-*.json", "minisoc.syslog"),
        ("/logs/netflow/flows-*.json", "minisoc.netflow"),
    ]
    assert shipper_topics(SENSOR) == ("minisoc.zeek.conn", "minisoc.zeek.dns", "minisoc.zeek.http",
                                      "minisoc.syslog", "minisoc.netflow")


def test_default_zeek_logs_and_no_receivers() -> None:
    config = render_shipper_config(ShipperSettings(brokers=("k:9093",)))
    expected = [f"minisoc.zeek.{name}" for name in DEFAULT_ZEEK_LOG_TYPES]
    assert [topic for _, topic in _inputs(config)] == expected * 2


def test_the_message_is_the_raw_line_and_delivery_is_acknowledged_by_every_replica() -> None:
    config = render_shipper_config(SENSOR)
    assert 'template(name="minisoc_line" type="list") { property(name="rawmsg") }' in config
    assert 'template="minisoc_line"' in config and 'topic="minisoc_topic" dynaTopic="on"' in config
    assert '"acks=all"' in config and '"enable.idempotence=true"' in config
    for setting in ('resubmitOnFailure="on"', 'keepFailedMessages="on"', 'queue.filename="kafka"',
                    'queue.saveOnShutdown="on"', 'action.resumeRetryCount="-1"', 'queue.type="Direct"',
                    'maxMessageSize="262144"', 'workDirectory="/var/spool/rsyslog"'):
        assert setting in config, setting
    assert 'broker=["kafka-1:9093", "kafka-2:9093", "kafka-3:9093"]' in config


def test_mutual_tls_by_default_with_the_site_ca_and_the_shippers_certificate() -> None:
    config = render_shipper_config(SENSOR)
    for setting in ('"security.protocol=SSL"', '"ssl.ca.location=/certs/ca.crt"',
                    '"ssl.certificate.location=/certs/shipper.crt"', '"ssl.key.location=/certs/shipper.key"',
                    '"ssl.endpoint.identification.algorithm=https"'):
        assert setting in config, setting
    assert "sasl" not in config
    service = yaml.safe_load(render_shipper_service(SENSOR))["shipper"]
    mounts = {m["target"]: m["source"] for m in service["volumes"]}
    assert mounts["/certs/shipper.crt"] == "./pki/kafka-shipper.crt"
    assert mounts["/certs/shipper.key"] == "./pki/kafka-shipper.key"
    assert "secrets" not in service and "environment" not in service


def test_sasl_ssl_names_the_ca_and_user_but_reads_the_password_from_the_environment() -> None:
    settings = replace(SENSOR, security=KafkaSecurity(protocol="SASL_SSL"))
    config = render_shipper_config(settings)
    _golden("rsyslog.sasl.conf", config)
    assert '"security.protocol=SASL_SSL"' in config and '"sasl.mechanisms=SCRAM-SHA-512"' in config
    assert '"sasl.username=shipper"' in config and '"ssl.ca.location=/certs/ca.crt"' in config
    assert "`echo sasl.password=$MINISOC_KAFKA_PASSWORD`" in config and "ssl.key.location" not in config
    service = yaml.safe_load(render_shipper_service(settings))["shipper"]
    assert service["secrets"] == ["kafka-scram-shipper"]
    assert service["environment"] == {"MINISOC_KAFKA_PASSWORD_FILE": "/run/secrets/kafka-scram-shipper"}
    assert "/certs/shipper.key" not in {m["target"] for m in service["volumes"]}


def test_plaintext_has_no_security_settings_and_no_secret() -> None:
    settings = replace(SENSOR, security=KafkaSecurity(protocol="PLAINTEXT"))
    config = render_shipper_config(settings)
    assert "sasl" not in config and "security.protocol" not in config
    service = yaml.safe_load(render_shipper_service(settings))["shipper"]
    assert "secrets" not in service and "environment" not in service


def test_the_service_reads_the_logs_read_only_and_keeps_its_state_in_a_volume() -> None:
    service = yaml.safe_load(render_shipper_service(SENSOR))["shipper"]
    assert service["read_only"] is True
    mounts = {m["target"]: m for m in service["volumes"]}
    for target, source in (("/logs/zeek", "./logs/zeek"), ("/logs/syslog", "./logs/syslog"),
                           ("/logs/netflow", "./logs/netflow"), ("/config/rsyslog.conf",
                           "./config/shipper/rsyslog.conf"), ("/certs/ca.crt", "./pki/ca.crt")):
        assert mounts[target]["source"] == source and mounts[target]["read_only"] is True
    assert mounts["/var/spool/rsyslog"] == {"type": "volume", "source": "shipper-state",
                                            "target": "/var/spool/rsyslog"}


@pytest.mark.parametrize(("change", "path"), [
    ({"brokers": ()}, "shipper.brokers"),
    ({"brokers": ("kafka-1",)}, "shipper.brokers"),
    ({"brokers": ('k:1" x="',)}, "shipper.brokers"),
    ({"zeek_log_types": ("conn", "Conn.log")}, "shipper.zeek_log_types"),
    ({"zeek_log_types": ("conn", "conn")}, "shipper.zeek_log_types"),
    ({"zeek_dir": None, "syslog_dir": None, "netflow_dir": None}, "shipper.inputs"),
    ({"security": KafkaSecurity(protocol="SASL_PLAINTEXT")}, "shipper.security.protocol"),
    ({"security": KafkaSecurity(username='a"b')}, "shipper.security.username"),
    ({"max_message_bytes": 4096}, "shipper.max_message_bytes"),
])
def test_bad_settings_are_refused_with_the_field(change: dict[str, object], path: str) -> None:
    with pytest.raises(ProfileError) as caught:
        render_shipper_config(replace(SENSOR, **change))  # type: ignore[arg-type]
    assert [problem.path for problem in caught.value.problems] == [path]


def test_the_client_certificate_is_for_client_use_and_handed_to_the_shippers_uid() -> None:
    spec = shipper_cert_spec()
    assert (spec.name, spec.common_name, spec.organizational_unit) == ("kafka-shipper", "shipper", "kafka")
    assert (spec.client, spec.server, spec.owner_uid) == (True, False, 10004)
    service = yaml.safe_load(render_shipper_service(SENSOR))["shipper"]
    mounts = {m["target"]: m["source"] for m in service["volumes"]}
    assert mounts["/certs/shipper.key"] == f"./pki/{spec.name}.key"


def test_the_bundle_declares_the_state_volume_and_only_sasl_needs_a_secret() -> None:
    assert shipper_compose_toplevel(SENSOR) == {"volumes": {"shipper-state": {}}}
    sasl = replace(SENSOR, security=KafkaSecurity(protocol="SASL_SSL"))
    assert shipper_compose_toplevel(sasl)["secrets"] == {
        "kafka-scram-shipper": {"file": "./secrets/kafka-scram-shipper"}}
