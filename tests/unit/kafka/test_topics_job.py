"""The hub's topics job (`kafka-topics`, `minisoc kafka apply`): rendered beside kafka-1, it creates every
topic a shipper produces to and the correlators read (brokers never auto-create), and the correlators of its
host start only after it succeeded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from minisoc.cli.main import main
from minisoc.compose.runner import ServiceState
from minisoc.errors import ProfileError, UsageError
from minisoc.kafka.job import job_json, load_topics_job
from minisoc.kafka.topics import INTEL_TOPIC
from minisoc.ops.hosts import _ready, topics_job_summary
from minisoc.render import render_site
from minisoc.render.scaleout import TOPICS_JOB_SERVICE, shipper_settings, topics_job
from minisoc.render.secrets import CORRELATOR_UID
from minisoc.render.shipper_config import shipper_topics
from render_support import fixed_secret, site_from_template


def _hub(tmp_path: Path, template: str = "distributed-ci", *assignments: str) -> tuple[Path, dict[str, Any]]:
    site, profile = site_from_template(tmp_path, template, *assignments)
    render_site(site, profile, secrets=fixed_secret)
    hub = site / "hosts" / "hub1"
    return hub, yaml.safe_load((hub / "compose.yaml").read_text())


@pytest.mark.parametrize("template", ["distributed", "distributed-ci"])
def test_the_job_creates_every_topic_a_shipper_writes_and_the_intel_topic(
    tmp_path: Path, template: str
) -> None:
    _, profile = site_from_template(tmp_path, template)
    job = topics_job(profile)
    names = {topic.name for topic in job.topics}
    shipped = set(shipper_topics(shipper_settings(profile)))
    assert shipped and shipped <= names
    assert INTEL_TOPIC in names
    intel = next(topic for topic in job.topics if topic.name == INTEL_TOPIC)
    assert intel.config["cleanup.policy"] == "compact"
    assert all(topic.partitions == profile.kafka.partitions for topic in job.topics)
    assert job.min_brokers == min(3, profile.kafka.brokers)
    assert all(topic.replication_factor == job.min_brokers for topic in job.topics)
    assert job.username == "minisoc-admin"


def test_the_hub_runs_the_job_once_and_its_correlators_wait_for_it(tmp_path: Path) -> None:
    hub, compose = _hub(tmp_path)
    job = compose["services"][TOPICS_JOB_SERVICE]
    assert job["restart"] == "no"
    assert job["command"] == ["kafka", "apply", "--config", "/config/kafka-topics.json"]
    assert job["secrets"] == ["kafka-scram-minisoc-admin"]
    assert set(job["depends_on"]) == {"kafka-1", "kafka-2"}
    assert set(job["networks"]) == set(compose["services"]["kafka-1"]["networks"])
    assert {mount["target"] for mount in job["volumes"]} == {"/config", "/certs/ca.crt"}
    correlators = [name for name in compose["services"] if name.startswith("correlator")]
    assert len(correlators) == 2
    for name in correlators:
        assert compose["services"][name]["depends_on"][TOPICS_JOB_SERVICE] == {
            "condition": "service_completed_successfully"}
        assert "kafka-scram-minisoc-admin" not in compose["services"][name]["secrets"]
    written = load_topics_job(hub / "config" / "correlator" / "kafka-topics.json")
    assert written.bootstrap_servers == ["kafka-1.hub1:9093", "kafka-2.hub1:9093"]
    assert str(written.password_file) == "/run/secrets/kafka-scram-minisoc-admin"
    if os.geteuid() == 0:  # owners are applied only as root: the job runs as the correlator image's user
        assert (hub / "secrets" / "kafka-scram-minisoc-admin").stat().st_uid == CORRELATOR_UID


def test_no_other_host_runs_the_job(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "distributed")
    render_site(site, profile, secrets=fixed_secret)
    for bundle in (site / "hosts").iterdir():
        compose = yaml.safe_load((bundle / "compose.yaml").read_text())
        has_first_broker = "kafka-1" in (compose.get("services") or {})
        assert (TOPICS_JOB_SERVICE in (compose.get("services") or {})) == has_first_broker, bundle.name


def test_a_job_file_round_trips_and_bad_files_are_clear_errors(tmp_path: Path) -> None:
    _, profile = site_from_template(tmp_path, "distributed-ci")
    job = topics_job(profile)
    path = tmp_path / "job.json"
    path.write_text(job_json(job))
    assert load_topics_job(path) == job
    path.write_text("{not json")
    with pytest.raises(UsageError, match="not valid JSON"):
        load_topics_job(path)
    document = json.loads(job_json(job))
    document["topics"][0]["partitions"] = 0
    del document["username"]
    path.write_text(json.dumps(document))
    with pytest.raises(ProfileError) as raised:
        load_topics_job(path)
    assert {line.split(":")[0] for line in raised.value.lines()} == {"topics.0.partitions", "username"}
    with pytest.raises(UsageError, match="cannot read"):
        load_topics_job(tmp_path / "missing.json")


def test_the_cli_reports_a_bad_job_file_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "job.json"
    path.write_text(json.dumps({"topics": []}))
    assert main(["kafka", "apply", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "bootstrap_servers: Field required" in err


def test_an_unreadable_password_is_a_usage_error(tmp_path: Path) -> None:
    from minisoc.ops.kafka_topics import run_topics_job

    _, profile = site_from_template(tmp_path, "distributed-ci")
    job = topics_job(profile).model_copy(update={"password_file": tmp_path / "absent"})
    with pytest.raises(UsageError, match="password_file"):
        run_topics_job(job)


def test_the_job_summary_and_its_readiness() -> None:
    from minisoc.ops.kafka_topics import TopicChange, summarise_changes

    plan = [TopicChange("minisoc.intel", "create"), TopicChange("minisoc.zeek.conn", "create"),
            TopicChange("minisoc.zeek.dns", "unchanged"), TopicChange("minisoc.zeek.dns", "note", "acl")]
    assert summarise_changes(plan) == "2 created, 1 unchanged"
    assert summarise_changes([]) == "nothing to do"
    # a restarted one-shot container keeps its earlier runs' logs: only the last summary counts
    logs = ("kafka-topics-1  | create minisoc.intel: 6 partitions x 2 replicas\n"
            "kafka-topics-1  | summary: 2 created, 1 unchanged\n"
            "kafka-topics-1  | unchanged minisoc.intel\n"
            "kafka-topics-1  | some librdkafka chatter\n"
            "kafka-topics-1  | summary: 3 unchanged\n")
    assert topics_job_summary(logs) == "3 unchanged"
    no_summary = "kafka-topics-1  | create minisoc.intel\n"
    assert topics_job_summary(no_summary) == "done (no summary line in its log)"
    done = ServiceState(TOPICS_JOB_SERVICE, "x", "exited", "", 0)
    failed = ServiceState(TOPICS_JOB_SERVICE, "x", "exited", "", 1)
    stopped = ServiceState("correlator-1", "y", "exited", "", 0)
    assert _ready(done) and not _ready(failed) and not _ready(stopped)
