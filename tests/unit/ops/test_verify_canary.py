"""verify's canary and the feed folder writer: the canary the correlator loads is the one verify waits for."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from minisoc.correlator.intel import load_intel
from minisoc.correlator.zeek.names import log_type_from_name
from minisoc.ops.canary import canary_feed_event, canary_log_line, new_canary
from minisoc.ops.feed_dir import publish_event, read_manifest, remove_event
from minisoc.ops.prometheus import by_label, parse_metrics, total

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_each_canary_is_unique_and_names_a_dns_log() -> None:
    first, second = new_canary(), new_canary()
    assert first.domain != second.domain and first.uid != second.uid
    assert first.domain.endswith(".invalid")
    assert log_type_from_name(first.log_file_name) == "dns"


def test_canary_log_line_is_a_zeek_dns_record_for_the_domain() -> None:
    canary = new_canary()
    record = json.loads(canary_log_line(canary, NOW))
    assert record["query"] == canary.domain
    assert record["uid"] == canary.uid
    assert record["ts"] == NOW.timestamp()


def test_published_canary_is_loaded_by_the_correlator_feed_reader(tmp_path: Path) -> None:
    canary = new_canary()
    event, manifest, hashes = canary_feed_event(canary, "ci", NOW)
    publish_event(tmp_path, canary.event_uuid, event, manifest, hashes)
    loaded = load_intel([str(tmp_path)])
    assert [indicator.value for indicator in loaded.indicators] == [canary.domain]
    remove_event(tmp_path, canary.event_uuid)
    assert read_manifest(tmp_path) == {}
    assert not (tmp_path / f"{canary.event_uuid}.json").exists()
    assert (tmp_path / "hashes.csv").read_text() == ""


def test_canary_publication_keeps_the_real_feed_events(tmp_path: Path, shared_data: Path) -> None:
    feed = shared_data / "misp" / "feeds" / "tweetfeed-2026-08-10_16"
    for item in feed.iterdir():
        shutil.copy(item, tmp_path / item.name)
    before_manifest = read_manifest(tmp_path)
    before_hashes = (tmp_path / "hashes.csv").read_text().splitlines()
    canary = new_canary()
    publish_event(tmp_path, canary.event_uuid, *canary_feed_event(canary, "ci", NOW))
    assert set(read_manifest(tmp_path)) == set(before_manifest) | {canary.event_uuid}
    remove_event(tmp_path, canary.event_uuid)
    assert read_manifest(tmp_path) == before_manifest
    assert (tmp_path / "hashes.csv").read_text().splitlines() == before_hashes


def test_prometheus_parser_reads_labels_and_totals() -> None:
    text = (
        "# HELP minisoc_indicators Indicators loaded, per MISP type.\n"
        "# TYPE minisoc_indicators gauge\n"
        'minisoc_indicators{type="domain"} 12\n'
        'minisoc_indicators{type="ip-dst"} 3\n'
        'minisoc_intel_sync_age_seconds{source="local"} 4.5\n'
        'minisoc_intel_sync_age_seconds{source="odd \\"name\\""} -1\n'
        "minisoc_alerts_total 7\n"
    )
    samples = parse_metrics(text)
    assert total(samples, "minisoc_indicators") == 15
    assert by_label(samples, "minisoc_intel_sync_age_seconds", "source") == {"local": 4.5, 'odd "name"': -1}
    assert total(samples, "minisoc_alerts_total") == 7
