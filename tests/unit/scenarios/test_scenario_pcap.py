"""A scenario's captures through a copy's Zeek (`--evidence pcap`, or a copy with a live sensor): the replay
argv of `minisoc replay` run by the Zeek stand-in (no Docker; it writes what a real Zeek 8.0.10 wrote for
the capture), the logs shifted to now before they appear, under scenarios/<id>/, then matched and graded."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from minisoc.correlator.hunt import HuntRequest, run_hunt
from minisoc.correlator.sinks.open import open_store_url
from minisoc.errors import UsageError
from minisoc.ops.access import Site, load_site
from minisoc.ops.replay import CommandRunner
from minisoc.render import render_site
from minisoc.scenarios import find_scenario, grade_copies, run_scenario
from minisoc.scenarios.intel import IntelTarget
from minisoc.scenarios.run import evidence_kind
from render_support import fixed_secret, site_from_template
from standin_docker import FakeDocker

NOW = datetime(2026, 12, 5, 8, 0, 0, tzinfo=UTC)


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    site, profile = site_from_template(tmp_path, "ci")  # external sensor, correlator, no MISP
    render_site(site, profile, secrets=fixed_secret)
    return site


def test_which_evidence_a_copy_gets(site_dir: Path) -> None:
    site = load_site(site_dir)
    sshguess = find_scenario("sshguess")
    assert sshguess.pcaps and sshguess.pcaps[0].name == "sshguess.pcap"
    assert evidence_kind(sshguess, site, "auto") == "logs"  # an external sensor: the pre-made logs
    assert evidence_kind(sshguess, site, "pcap") == "pcap"
    live = type(site)(site.site_dir, site.profile.model_copy(update={
        "sensor": site.profile.sensor.model_copy(update={"mode": "live"})}), site.paths)
    assert evidence_kind(sshguess, live, "auto") == "pcap"  # a live Zeek sensor: the captures through it
    with pytest.raises(UsageError, match="ships no captures"):
        evidence_kind(find_scenario("phishing"), site, "pcap")


def test_captures_through_zeek_then_graded(site_dir: Path, tmp_path: Path, shared_data: Path) -> None:
    loaded = find_scenario("sshguess")
    feed = tmp_path / "feed"

    def to_feed(site: Site) -> IntelTarget:
        return IntelTarget(site, feed_dir=feed)

    docker = FakeDocker(tmp_path, shared_data / "zeek" / "json" / "zeek8-pcaps")
    (run,) = run_scenario(loaded, [site_dir], None, now=NOW, intel_for=to_feed, evidence="pcap",
                          runner=CommandRunner(docker))
    log_dir = load_site(site_dir).paths.log_dir
    assert run.run_dir.parent == log_dir / "scenarios" / "sshguess"
    assert run.run_dir.name == "replay-20261205T080000Z-01-sshguess"
    assert run.records == 23 + 1 + 2  # conn, ssh, notice; packet_filter; reporter (no intel: no intel.log)
    conn = [json.loads(line) for line in (run.run_dir / "conn.log").read_text().splitlines()]
    assert min(record["ts"] for record in conn) == pytest.approx(NOW.timestamp(), abs=60)
    assert not list(run.run_dir.parent.glob(".*"))  # the staging folder was renamed

    store = f"sqlite:///{tmp_path / 'alerts.db'}"
    sink = open_store_url(store)
    run_hunt(HuntRequest(logs=[str(log_dir)], intel=[str(feed)]), sink.write)
    sink.close()
    (score,) = grade_copies(loaded, [site_dir], store_url=store, intel_for=to_feed)
    assert score.percent == loaded.scenario.passive_score and score.problems == []
