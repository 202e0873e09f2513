"""Intel that once crashed a hunt, aborted it, or loaded wrong: each case loads, counts what it skips, and the
bulk path (misp_bulk) still gives exactly what the per-attribute path gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from minisoc.correlator.intel import misp_event
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.intel.load import load_intel, load_intel_columns
from minisoc.correlator.matching.columns import IndicatorColumns
from minisoc.correlator.matching.index import IndicatorIndex

FEED = "misp/feeds/tweetfeed-2026-08-10_16"
FEED_EVENT = "19adaa87-fd20-5e4f-bc1a-c17cc27c756a.json"  # 646 plain attributes: the bulk path takes it


def feed_event(shared_data: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((shared_data / FEED / FEED_EVENT).read_bytes())
    return document


def event_rows(event: dict[str, Any], bulk: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """What one event loads as, through the bulk path or (bulk off) the per-attribute path."""
    with monkeypatch.context() as patch:
        if not bulk:
            patch.setattr(misp_event, "add_plain_event_rows", lambda *args: False)
        columns, counts = IndicatorColumns(), LoadCounts()
        misp_event.add_event_rows(event.get("Event", event), "feed", counts, columns)
    return columns.indicators(), columns.contexts, columns.context_ids, counts


@pytest.mark.parametrize("stamp", ["99999999999999999999", 1.5e30, 1e300, "9223372036854775808", 2**64, "²"])
def test_a_timestamp_beyond_int64_is_dropped_in_both_load_paths(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stamp: Any
) -> None:
    document = feed_event(shared_data)
    attributes = document["Event"]["Attribute"]
    attributes[3]["timestamp"] = stamp
    bulk, per_attribute = event_rows(document, True, monkeypatch), event_rows(document, False, monkeypatch)
    assert bulk == per_attribute
    indicators = bulk[0]
    assert len(indicators) == len(attributes)  # the attribute is kept, only its timestamp dropped
    assert indicators[3].timestamp is None and indicators[4].timestamp == int(attributes[4]["timestamp"])
    path = tmp_path / "event.json"
    path.write_text(json.dumps(document))
    loaded = load_intel_columns([str(path)])
    index = IndicatorIndex.from_columns(loaded.columns)  # the OverflowError was raised here
    assert len(index) == len(attributes) and not loaded.counts.invalid


def test_the_largest_int64_timestamp_is_kept(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = feed_event(shared_data)
    document["Event"]["Attribute"][0]["timestamp"] = str(2**63 - 1)
    bulk = event_rows(document, True, monkeypatch)
    assert bulk == event_rows(document, False, monkeypatch)
    assert bulk[0][0].timestamp == 2**63 - 1
    assert len(IndicatorIndex.build(bulk[0])) == len(bulk[0])


def test_a_feed_event_with_a_huge_timestamp_loads(shared_data: Path, tmp_path: Path) -> None:
    feed = tmp_path / "feed"
    feed.mkdir()
    document = feed_event(shared_data)
    document["Event"]["Attribute"][0]["timestamp"] = "99999999999999999999"
    (feed / FEED_EVENT).write_text(json.dumps(document))
    uuid = FEED_EVENT.removesuffix(".json")
    (feed / "manifest.json").write_text(json.dumps({uuid: {"info": "x", "timestamp": "1704153600"}}))
    loaded = load_intel([str(feed)])
    assert len(IndicatorIndex.build(loaded.indicators)) == len(document["Event"]["Attribute"])
