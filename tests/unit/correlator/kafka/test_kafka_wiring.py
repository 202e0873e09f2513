"""correlator.yaml's `kafka` section: validated at the edge, wired by service/build.py into a KafkaLogSource
and TopicIntel (no broker needed to build them), shown in /healthz and /metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from minisoc.correlator.config import CorrelatorConfig, KafkaConfig
from minisoc.correlator.kafka.intel import TopicIntel
from minisoc.correlator.kafka.source import KafkaLogSource
from minisoc.correlator.service.build import build_parts
from minisoc.correlator.service.loop import CorrelatorService


def config_for(tmp_path: Path, role: str) -> CorrelatorConfig:
    tmp_path.mkdir(parents=True, exist_ok=True)
    intel = tmp_path / "lab.intel"
    intel.write_text("#fields\tindicator\tindicator_type\tmeta.source\n10.0.0.1\tIntel::ADDR\tlab\n")
    return CorrelatorConfig.model_validate({
        "site": "lab", "state_dir": str(tmp_path / "state"),
        "intel": {"zeek_intel_files": [str(intel)]},
        "sink": {"kind": "sqlite", "sqlite": {"path": str(tmp_path / "alerts.db")}},
        "sightings": {"enabled": False}, "export": {"zeek_intel_path": None},
        "kafka": {"bootstrap_servers": ["127.0.0.1:1"], "security_protocol": "PLAINTEXT", "intel_role": role},
    })


def test_scram_needs_a_password_file() -> None:
    with pytest.raises(ValidationError, match="password_file"):
        KafkaConfig(bootstrap_servers=["k:9093"])
    with pytest.raises(ValidationError):
        KafkaConfig(bootstrap_servers=[])
    assert KafkaConfig(bootstrap_servers=["k:9093"], password_file=Path("/run/secrets/kafka")).group_id == (
        "minisoc-correlators")


def test_the_leader_gets_the_intel_topic_and_its_own_sources(tmp_path: Path) -> None:
    parts = build_parts(config_for(tmp_path, "leader"))
    assert isinstance(parts.log_source, KafkaLogSource)
    assert isinstance(parts.sources, TopicIntel) and parts.sources.leader is not None
    assert [source.name for source in parts.sources.leader[0]] == ["lab.intel"]
    assert parts.housekeeping is None and parts.input_dirs == () and parts.retro_on_first_load is False
    assert parts.log_source.ready() is False  # no partitions before the leader's set is loaded
    service = CorrelatorService(parts)
    code, health = service.health()
    assert code == 200 and health["components"]["kafka"]["state"] == "unassigned"
    assert "minisoc_kafka_assigned_partitions" in service.metrics.render()


def test_a_follower_syncs_nothing_upstream_and_off_syncs_itself(tmp_path: Path) -> None:
    follower = build_parts(config_for(tmp_path / "f", "follower"))
    assert isinstance(follower.sources, TopicIntel) and follower.sources.leader is None
    off = build_parts(config_for(tmp_path / "o", "off"))
    assert [source.name for source in off.sources] == ["lab.intel"]
    assert isinstance(off.log_source, KafkaLogSource) and off.log_source.ready()
