"""Intel that once crashed a hunt, aborted it, or loaded wrong: each case loads, counts what it skips, and the
bulk path (misp_bulk) still gives exactly what the per-attribute path gives."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from minisoc.cli.main import main
from minisoc.correlator.intel import MispFeedSource, load_intel, load_intel_columns, misp_event
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.matching import IndicatorColumns, IndicatorIndex, Matcher

FEED = "misp/feeds/tweetfeed-2026-08-10_16"
FEED_EVENT = "19adaa87-fd20-5e4f-bc1a-c17cc27c756a.json"  # 646 plain attributes: the bulk path takes it


MISSING_UUID = "6a000000-0000-4000-8000-00000000dead"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(base URL, the directory it serves) of a real http.server on 127.0.0.1."""
    root = tmp_path / "www"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def feed_with_a_missing_event(shared_data: Path, target: Path) -> Path:
    """A copy of the real feed whose manifest also names an event that has no file."""
    shutil.copytree(shared_data / FEED, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest[MISSING_UUID] = {"info": "missing file", "timestamp": "1704153600"}
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def feed_event(shared_data: Path) -> dict[str, Any]:
    """The real feed event, its attributes untagged: a plain event, which the bulk path takes."""
    document: dict[str, Any] = json.loads((shared_data / FEED / FEED_EVENT).read_bytes())
    for attribute in document["Event"]["Attribute"]:
        attribute.pop("Tag", None)
    return document


def takes_bulk(document: dict[str, Any]) -> bool:
    typed = misp_event.typed_event(document["Event"])
    return misp_event.add_plain_event_rows(misp_event.event_attributes(typed, LoadCounts()),
                                           misp_event.event_provenance(typed, "feed", None), LoadCounts(),
                                           IndicatorColumns())


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
    assert takes_bulk(document)
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


def test_a_feed_event_whose_file_is_missing_is_skipped_and_counted_from_a_folder_and_over_http(
    shared_data: Path, served: tuple[str, Path]
) -> None:
    expected = load_intel([str(shared_data / FEED)])
    url, root = served
    feed = feed_with_a_missing_event(shared_data, root / "feed")
    for location in (str(feed), f"{url}/feed"):
        loaded = load_intel([location])
        assert loaded.counts.missing_events == 1
        assert [(i.kind, i.value, i.event_uuid) for i in loaded.indicators] == [
            (i.kind, i.value, i.event_uuid) for i in expected.indicators]
        columns = load_intel_columns([location])
        assert columns.counts.missing_events == 1 and len(columns.columns) == len(expected.indicators)


def test_the_hunt_summary_reports_missing_feed_events(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = feed_with_a_missing_event(shared_data, tmp_path / "feed")
    log = tmp_path / "conn.log"
    log.write_text('{"_path":"conn","ts":1704153600.0,"id.orig_h":"10.0.0.1","id.orig_p":1,'
                   '"id.resp_h":"10.0.0.2","id.resp_p":80}\n')
    capsys.readouterr()
    assert main(["hunt", "--logs", str(log), "--intel", str(feed), "--json"]) == 0
    summary = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert summary["indicators"]["missing_events"] == 1 and summary["indicators"]["loaded"] > 0
    assert main(["hunt", "--logs", str(log), "--intel", str(feed)]) == 0
    assert "1 feed event(s) missing" in capsys.readouterr().out


def test_a_feed_sync_skips_a_missing_event_keeps_the_others_and_retries_it(
    shared_data: Path, tmp_path: Path, served: tuple[str, Path]
) -> None:
    url, root = served
    feed = feed_with_a_missing_event(shared_data, root / "feed")
    complete = load_intel([str(shared_data / FEED)]).indicators
    source = MispFeedSource("feed", f"{url}/feed", tmp_path / "state")
    first = source.sync()
    assert first.complete and len(first.added) == len(complete)
    assert source.last_counts.missing_events == 1
    state = json.loads(source.state_path.read_text())
    assert MISSING_UUID not in state["events"]  # not recorded as synced: the next sync tries it again
    assert len(state["events"]) == len(json.loads((shared_data / FEED / "manifest.json").read_text()))
    shutil.copy(shared_data / FEED / FEED_EVENT, feed / f"{MISSING_UUID}.json")  # it appears
    second = source.sync()
    assert len(second.added) == len(feed_event(shared_data)["Event"]["Attribute"]) and not second.removed
    assert source.last_counts.missing_events == 0
    assert MISSING_UUID in json.loads(source.state_path.read_text())["events"]


def test_an_event_that_goes_missing_keeps_its_indicators_and_is_retried(
    shared_data: Path, tmp_path: Path, served: tuple[str, Path]
) -> None:
    url, root = served
    feed = root / "feed"
    shutil.copytree(shared_data / FEED, feed)
    state_dir = tmp_path / "state"
    source = MispFeedSource("feed", f"{url}/feed", state_dir)
    everything = source.sync().added
    uuid = FEED_EVENT.removesuffix(".json")
    manifest = json.loads((feed / "manifest.json").read_text())
    old_stamp = manifest[uuid]["timestamp"]
    manifest[uuid]["timestamp"] = int(old_stamp) + 10  # changed, but its file is gone
    (feed / "manifest.json").write_text(json.dumps(manifest))
    (feed / FEED_EVENT).unlink()
    update = source.sync()
    assert not update.added and not update.removed and source.last_counts.missing_events == 1
    assert json.loads(source.state_path.read_text())["events"][uuid] == int(old_stamp)
    restarted = MispFeedSource("feed", f"{url}/feed", state_dir).sync()  # a restart: the cached copy
    assert restarted.complete and len(restarted.added) == len(everything)


def attribute_reply(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What MISP's attributes/restSearch answers for these events: their attributes (objects' included),
    each naming its event by `event_uuid` and `Event: {uuid, info}`, not its event's tags."""
    attributes = []
    for event in events:
        owned = list(event.get("Attribute", []))
        for misp_object in event.get("Object", []):
            if not misp_object.get("deleted"):
                owned += misp_object.get("Attribute", [])
        for attribute in owned:
            attributes.append({**attribute, "event_uuid": event["uuid"],
                               "Event": {"id": "1", "uuid": event["uuid"], "info": event["info"]}})
    return {"response": {"Attribute": attributes}}


def test_an_attribute_search_reply_keeps_each_attribute_s_event(shared_data: Path, tmp_path: Path) -> None:
    documents = [json.loads((shared_data / "misp/events/pymisp" / name).read_bytes())
                 for name in ("long_event.json", "existing_event.json")]  # wrapped, and a bare event
    events = [document.get("Event", document) for document in documents]
    expected = []
    for number, event in enumerate(events):
        path = tmp_path / f"event{number}.json"
        path.write_text(json.dumps({"Event": event}))
        expected += load_intel([str(path)]).indicators
    reply = tmp_path / "reply.json"
    reply.write_text(json.dumps(attribute_reply(events)))
    loaded = load_intel([str(reply)]).indicators
    assert len({i.event_uuid for i in loaded}) == 2

    def described(indicators: list[Any]) -> set[tuple[Any, ...]]:
        return {(i.kind, i.value, i.event_uuid, i.event_info, i.attribute_uuid, i.comment)
                for i in indicators}

    assert expected and described(loaded) == described(expected)


def test_a_search_reply_that_matched_nothing_loads_no_indicator(tmp_path: Path) -> None:
    for number, document in enumerate(({"response": []}, {"response": {"Attribute": []}})):
        path = tmp_path / f"reply{number}.json"
        path.write_text(json.dumps(document))
        loaded = load_intel([str(path)])
        assert loaded.indicators == [] and loaded.counts == LoadCounts()


NAMES_THAT_ARE_ADDRESSES = {"198.51.100.92": "198.51.100.92", "198.51.100.93.": "198.51.100.93",
                            "2001:DB8::1": "2001:db8::1", "[2001:db8::2]": "2001:db8::2"}


@pytest.mark.parametrize("ipv6", [False, True])
def test_a_domain_or_hostname_that_is_an_address_loads_as_an_ip_in_both_paths(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch, ipv6: bool
) -> None:
    document = feed_event(shared_data)
    attributes = document["Event"]["Attribute"]
    names = [a for a in attributes if a["type"] == "domain"]
    given = [name for name in NAMES_THAT_ARE_ADDRESSES if ipv6 or ":" not in name]
    for attribute, value in zip(names, given, strict=False):
        attribute["value"] = value
    names[len(given)]["type"], names[len(given)]["value"] = "hostname", "198.51.100.94"
    names[len(given) + 1]["value"] = "x.pxb70"  # ends in a digit, still a name
    assert takes_bulk(document) is not ipv6  # IPv4 in a name stays on the bulk path; IPv6 takes the loop
    bulk = event_rows(document, True, monkeypatch)
    assert bulk == event_rows(document, False, monkeypatch)
    by_value = {i.value: i for i in bulk[0]}
    for value in given:
        indicator = by_value[NAMES_THAT_ARE_ADDRESSES[value]]
        assert (indicator.kind, indicator.type) == ("ip", "domain")
    assert (by_value["198.51.100.94"].kind, by_value["198.51.100.94"].type) == ("ip", "hostname")
    assert by_value["x.pxb70"].kind == "domain" and not bulk[3].invalid
    matcher = Matcher(IndicatorIndex.build(bulk[0]))
    for address in ("198.51.100.92", "198.51.100.94"):
        found = matcher.match_fields("conn", {"id.orig_h": "10.0.0.1", "id.resp_h": address})
        assert [m.indicator.value for m in found] == [address]
    found = matcher.match_fields("http", {"host": "198.51.100.93", "id.resp_h": "10.0.0.2"})
    assert [m.indicator.type for m in found] == ["domain"]


def test_composite_name_parts_that_are_addresses_load_as_ips() -> None:
    event = {"uuid": "5f0c7a4e-6666-4a2b-9c3d-0123456789ab", "info": "names", "Attribute": [
        {"type": "hostname|port", "value": "198.51.100.92|8080", "to_ids": True},
        {"type": "domain|ip", "value": "198.51.100.93|198.51.100.93", "to_ids": True}]}
    found = misp_event.event_indicators(event, "file", LoadCounts())
    assert [(i.kind, i.value, i.type, i.port) for i in found] == [
        ("ip", "198.51.100.92", "hostname|port", 8080), ("ip", "198.51.100.93", "domain|ip", None),
        ("ip", "198.51.100.93", "domain|ip", None)]


def test_uri_paths_are_counted_unsupported_and_uri_urls_still_load(shared_data: Path) -> None:
    event = json.loads((shared_data / "misp/events/pymisp/long_event.json").read_bytes())["Event"]
    expected = LoadCounts()
    before = misp_event.event_indicators(event, "file", expected)
    event["Attribute"] += [
        {"type": "uri", "value": "/gate.php", "to_ids": True},
        {"type": "uri", "value": "/wp-content/plugins/x.php?id=1", "to_ids": True},
        {"type": "uri", "value": "http://uri.example/a", "to_ids": True},
        {"type": "uri", "value": "not a path", "to_ids": True}]
    counts = LoadCounts()
    after = misp_event.event_indicators(event, "file", counts)
    assert after[:len(before)] == before
    assert [(i.kind, i.value) for i in after[len(before):]] == [("url", "uri.example/a")]
    assert counts.unsupported == {**expected.unsupported, "uri": 2}
    assert counts.invalid == {**expected.invalid, "uri": 1}


@pytest.mark.parametrize("sample", ["misp/events/pymisp/long_event.json",
                                    "intel/cps-feeds/abuse-ch-ipblocklist.intel",
                                    "intel/zeek-btest/match-subnet.intel.dat"])
def test_a_url_of_one_intel_file_loads_that_file(
    shared_data: Path, served: tuple[str, Path], sample: str
) -> None:
    url, root = served
    local = shared_data / sample
    shutil.copy(local, root / local.name)
    expected = load_intel([str(local)])
    loaded = load_intel([f"{url}/{local.name}"])
    assert expected.indicators and loaded.indicators == expected.indicators
    assert loaded.counts == expected.counts and loaded.sources == [f"{url}/{local.name}"]
    columns = load_intel_columns([f"{url}/{local.name}?download=1"])
    assert columns.columns.indicators() == expected.indicators


def test_a_csv_url_loads_and_feed_urls_still_work(shared_data: Path, served: tuple[str, Path]) -> None:
    url, root = served
    (root / "list.csv").write_text("date,value\n2024-01-02,198.51.100.71\n2024-01-02,evil.example\n")
    assert [(i.kind, i.value, i.source) for i in load_intel([f"{url}/list.csv"]).indicators] == [
        ("ip", "198.51.100.71", "list.csv"), ("domain", "evil.example", "list.csv")]
    shutil.copytree(shared_data / FEED, root / "feed")
    expected = [(i.kind, i.value) for i in load_intel([str(shared_data / FEED)]).indicators]
    for location in (f"{url}/feed", f"{url}/feed/", f"{url}/feed/manifest.json"):
        loaded = load_intel([location])
        assert [(i.kind, i.value) for i in loaded.indicators] == expected
        assert loaded.sources == [f"{url}/feed" + ("/" if location.endswith("feed/") else "")]
