"""Every intel file, MISP event and feed in the shared data loads; counts are checked against counts computed
here independently (plain json / line splitting), and every event shape gives the same indicators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from minisoc.correlator import model
from minisoc.correlator.intel import IntelFileSource, load_intel, read_intel_file
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.intel.intel_file import parse_intel_bytes
from minisoc.correlator.intel.misp_event import document_indicators
from minisoc.correlator.intel.misp_types import MISP_TYPE_PARTS
from minisoc.errors import IntelError

FEED = "misp/feeds/tweetfeed-2026-08-10_16"


def _event(document: dict[str, Any]) -> dict[str, Any]:
    return document.get("Event", document)


def _ids_attributes(event: dict[str, Any]) -> list[dict[str, Any]]:
    """to_ids, not deleted attributes of an event and its (not deleted) objects: the reference count."""
    attributes = list(event.get("Attribute", []))
    for misp_object in event.get("Object", []):
        if not misp_object.get("deleted"):
            attributes += misp_object.get("Attribute", [])
    return [a for a in attributes if a.get("to_ids") in (True, 1, "1") and not a.get("deleted")]


def _expected_indicators(event: dict[str, Any]) -> int:
    supported = [a for a in _ids_attributes(event) if a["type"] in MISP_TYPE_PARTS]
    return sum(2 if a["type"] == "domain|ip" else 1 for a in supported)


PYMISP_EVENT_FILES = ["57c4445b-c548-4654-af0b-4be3950d210f.json", "existing_event.json", "long_event.json",
                      "japanese_test.json", "misp_event.json"]


def test_the_event_file_list_covers_the_shared_data(shared_data: Path) -> None:
    present = sorted(p.name for p in (shared_data / "misp/events/pymisp").glob("*.json"))
    assert sorted(PYMISP_EVENT_FILES) == present


@pytest.mark.parametrize("name", PYMISP_EVENT_FILES)
def test_each_pymisp_event_file_loads_every_supported_ids_attribute(shared_data: Path, name: str) -> None:
    path = shared_data / "misp/events/pymisp" / name
    event = _event(json.loads(path.read_text()))
    counts = LoadCounts()
    indicators = read_intel_file(path, counts)
    assert len(indicators) == _expected_indicators(event)
    unsupported = [a for a in _ids_attributes(event) if a["type"] not in MISP_TYPE_PARTS]
    assert sum(counts.unsupported.values()) == len(unsupported)
    assert all(i.event_uuid == event["uuid"] and i.event_info == event["info"] for i in indicators)
    attribute_uuids = {a["uuid"] for a in _ids_attributes(event)}
    assert {i.attribute_uuid for i in indicators} <= attribute_uuids


def test_object_attributes_are_loaded(shared_data: Path) -> None:
    document = json.loads((shared_data / "misp/events/pymisp/existing_event.json").read_text())
    in_objects = {a["uuid"] for o in document["Object"] for a in o["Attribute"] if a["to_ids"]}
    loaded = {i.attribute_uuid for i in document_indicators(document, "t", LoadCounts())}
    assert in_objects and in_objects <= loaded


def test_event_and_attribute_tags_and_threat_level_are_kept(shared_data: Path) -> None:
    document = json.loads((shared_data / f"{FEED}/214ec4e1-e77e-5877-a474-c6a0cd4cead4.json").read_text())
    event = document["Event"]
    tagged = next(a for a in event["Attribute"] if a.get("Tag"))
    indicators = {i.attribute_uuid: i for i in document_indicators(document, "feed", LoadCounts())}
    indicator = indicators[tagged["uuid"]]
    event_tags = [t["name"] for t in event["Tag"]]
    assert list(indicator.tags[: len(event_tags)]) == event_tags
    assert {t["name"] for t in tagged["Tag"]} <= set(indicator.tags)
    assert indicator.threat_level == int(event["threat_level_id"])
    assert indicator.comment == tagged["comment"]


def test_every_shape_of_a_misp_document_gives_the_same_indicators(shared_data: Path) -> None:
    wrapped = json.loads((shared_data / "misp/events/pymisp/long_event.json").read_text())
    bare = wrapped["Event"]
    shapes = [wrapped, bare, {"response": [wrapped]}, [wrapped], [bare]]
    results = [document_indicators(shape, "s", LoadCounts()) for shape in shapes]
    assert results[0] and all(r == results[0] for r in results)


def test_deleted_and_not_for_ids_attributes_are_skipped_and_counted() -> None:
    event = {"uuid": "u", "info": "i", "Attribute": [
        {"type": "ip-dst", "value": "1.2.3.4", "to_ids": True},
        {"type": "ip-dst", "value": "1.2.3.5", "to_ids": True, "deleted": True},
        {"type": "ip-dst", "value": "1.2.3.6", "to_ids": False},
    ], "Object": [{"deleted": True, "Attribute": [{"type": "domain", "value": "x.example", "to_ids": True}]}]}
    counts = LoadCounts()
    assert [i.value for i in document_indicators({"Event": event}, "s", counts)] == ["1.2.3.4"]
    assert (counts.deleted, counts.not_for_ids) == (2, 1)


def test_misp_feed_directory_loads_every_event_in_its_manifest(shared_data: Path) -> None:
    feed = shared_data / FEED
    manifest = json.loads((feed / "manifest.json").read_text())
    events = [_event(json.loads((feed / f"{uuid}.json").read_text())) for uuid in manifest]
    loaded = load_intel([str(feed)])
    assert len(loaded.indicators) + sum(loaded.counts.invalid.values()) == sum(
        _expected_indicators(e) for e in events)
    assert {i.event_uuid for i in loaded.indicators} == set(manifest)
    # the invalid ones are the over-long concatenated names in this feed
    assert all(len(a["value"]) > 253 for e in events for a in e["Attribute"]
               if a["type"] == "domain" and a["value"].lower() not in {i.value for i in loaded.indicators})


def _zeek_intel_lines(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text().splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("name", [
    "zeek-doc/basic.intel", "zeek-doc/donotice.intel", "zeek-btest/whitelisting.intel.dat",
    "zeek-btest/match-subnet.intel.dat", "zat/intel_example.intel", "cps-feeds/abuse-ch-ipblocklist.intel",
    "cps-feeds/Amnesty_NSO_Domains.intel", "cps-feeds/abuse-ch-malware.intel", "cps-feeds/talos.intel",
])
def test_each_zeek_intel_file_loads_every_line(shared_data: Path, name: str) -> None:
    path = shared_data / "intel" / name
    lines = _zeek_intel_lines(path)
    counts = LoadCounts()
    indicators = read_intel_file(path, counts)
    assert len(indicators) + sum(counts.invalid.values()) + sum(counts.unsupported.values()) == len(lines)
    assert sorted(i.value for i in indicators) == sorted(
        line[0].lower() for line in lines if not line[0].endswith("/32"))


# What each shared intel file loaded to when the CSV loader learnt commented headers, more value columns,
# headerless files and to_ids (MISP type -> indicators): a loader change must not change these.
SHARED_INTEL_COUNTS = {
    "intel/cps-feeds/Amnesty_NSO_Domains.intel": {"domain": 1407, "email": 17},
    "intel/cps-feeds/abuse-ch-ipblocklist.intel": {"ip-dst": 7980},
    "intel/cps-feeds/abuse-ch-malware.intel": {"sha1": 828},
    "intel/cps-feeds/talos.intel": {},
    "intel/zat/intel_example.intel": {"domain": 179, "ip-dst": 225, "md5": 50, "sha1": 2, "sha256": 44},
    "intel/zeek-btest/match-subnet.intel.dat": {"ip-dst": 6},
    "intel/zeek-btest/whitelisting.intel.dat": {"domain": 2},
    "intel/zeek-btest/whitelisting.whitelist.dat": {},
    "intel/zeek-doc/basic.intel": {"domain": 1},
    "intel/zeek-doc/donotice.intel": {"domain": 1, "ip-dst": 1},
    f"{FEED}/hashes.csv": {"md5": 2712},  # headerless `md5(value),event uuid`: the first column
}


def test_the_pinned_counts_cover_every_shared_intel_file(shared_data: Path) -> None:
    present = {str(p.relative_to(shared_data)) for p in (shared_data / "intel").rglob("*") if p.is_file()}
    assert present == {name for name in SHARED_INTEL_COUNTS if name.startswith("intel/")}


@pytest.mark.parametrize("name", sorted(SHARED_INTEL_COUNTS))
def test_each_shared_intel_file_still_loads_the_same_indicators(shared_data: Path, name: str) -> None:
    counts = LoadCounts()
    indicators = read_intel_file(shared_data / name, counts)
    assert counts.per_type == SHARED_INTEL_COUNTS[name]
    assert len(indicators) == sum(SHARED_INTEL_COUNTS[name].values())
    assert not counts.invalid and not counts.unsupported


def test_a_headerless_two_column_csv_loads_its_first_column(shared_data: Path) -> None:
    path = shared_data / FEED / "hashes.csv"
    expected = [line.split(",")[0] for line in path.read_text().splitlines()]
    assert [i.value for i in read_intel_file(path, LoadCounts())] == expected


def test_whitelist_lines_are_not_indicators(shared_data: Path) -> None:
    counts = LoadCounts()
    assert read_intel_file(shared_data / "intel/zeek-btest/whitelisting.whitelist.dat", counts) == []
    assert counts.not_for_ids == 1


def test_zeek_intel_meta_fields_are_kept(shared_data: Path) -> None:
    indicators = read_intel_file(shared_data / "intel/zeek-doc/donotice.intel", LoadCounts())
    first = next(i for i in indicators if i.value == "1.2.3.4")
    assert (first.event_info, first.reference, first.source) == (
        "Sending phishing email", "http://source1.com/badhosts/1.2.3.4", "donotice.intel")
    assert "zeek-intel:source=source1" in first.tags
    assert next(i for i in indicators if i.value == "a.b.com").reference is None  # meta.url "-"


def test_file_hash_type_is_decided_by_length(shared_data: Path) -> None:
    indicators = read_intel_file(shared_data / "intel/zat/intel_example.intel", LoadCounts())
    hashes = [i for i in indicators if i.kind in (model.KIND_MD5, model.KIND_SHA1, model.KIND_SHA256)]
    assert hashes and all(len(i.value) == {"md5": 32, "sha1": 40, "sha256": 64}[i.kind] for i in hashes)


def test_freetext_and_csv_lists_guess_kinds() -> None:
    counts = LoadCounts()
    text = b"# bad things\n1.2.3.4\n10.0.0.0/8\nEvil.Example.\nhttp://x.example/a\nd41d8cd98f00b204e9800998ecf8427e\n"
    found = {(i.kind, i.value) for i in parse_intel_bytes(text, "list.txt", "list.txt", counts)}
    assert found == {("ip", "1.2.3.4"), ("cidr", "10.0.0.0/8"), ("domain", "evil.example"),
                     ("url", "x.example/a"), ("md5", "d41d8cd98f00b204e9800998ecf8427e")}
    csv = b"first_seen,value,type\n2024-01-01,bad.example,hostname\n2024-01-02,5.6.7.8,\n"
    found = {(i.kind, i.type, i.value) for i in parse_intel_bytes(csv, "l.csv", "l.csv", LoadCounts())}
    assert found == {("hostname", "hostname", "bad.example"), ("ip", "ip-dst", "5.6.7.8")}


_DEEP = b"[" * 100_000 + b"]" * 100_000  # deeper than msgspec recurses: RecursionError, not DecodeError


@pytest.mark.parametrize("content", [b'{"not": "misp"}', b"{broken json", b"no indicators here\nat all\n",
                                     b'{"Event": {"Attribute": ' + _DEEP + b"}}"])
def test_unrecognisable_intel_raises_intel_error_with_a_hint(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "intel.txt"
    path.write_bytes(content)
    with pytest.raises(IntelError) as raised:
        load_intel([str(path)])
    assert raised.value.hint


def test_missing_intel_path_raises_intel_error(tmp_path: Path) -> None:
    with pytest.raises(IntelError, match="no such file"):
        load_intel([str(tmp_path / "absent.json")])


def test_directory_of_intel_files_loads_each_file(shared_data: Path) -> None:
    loaded = load_intel([str(shared_data / "intel/cps-feeds")])
    expected = sum(len(_zeek_intel_lines(p)) for p in (shared_data / "intel/cps-feeds").glob("*.intel"))
    assert len(loaded.indicators) == expected
    assert len(loaded.sources) == 4


def test_intel_file_source_gives_a_complete_update_only_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("1.2.3.4\n")
    source = IntelFileSource(path)
    first = source.sync()
    assert first.complete and [i.value for i in first.added] == ["1.2.3.4"]
    assert source.sync().added == []
    path.write_text("1.2.3.4\n5.6.7.8\n")
    assert {i.value for i in source.sync().added} == {"1.2.3.4", "5.6.7.8"}
