"""Intel as editors and Windows tools save it: a UTF-8 byte order mark first. Zeek intel files, MISP events,
feeds (from a folder and over HTTP) and warninglists read exactly as without it (they once failed: "no
indicator recognised", "not valid JSON")."""

from __future__ import annotations

import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from minisoc.correlator import Indicator
from minisoc.correlator.intel import load_intel, load_warninglists

BOM = b"\xef\xbb\xbf"


def with_bom(source: Path, target: Path) -> Path:
    target.write_bytes(BOM + source.read_bytes())
    return target


def loaded(location: str | Path) -> list[Indicator]:
    return load_intel([str(location)]).indicators


@pytest.mark.parametrize("sample", ["intel/zeek-doc/basic.intel", "misp/events/pymisp/existing_event.json"])
def test_an_intel_file_with_a_bom_loads_the_same_indicators(
    shared_data: Path, tmp_path: Path, sample: str
) -> None:
    original = shared_data / sample
    expected = loaded(original)
    assert expected and loaded(with_bom(original, tmp_path / original.name)) == expected


def test_a_feed_whose_files_have_a_bom_loads_the_same_from_a_folder_and_over_http(
    shared_data: Path, tmp_path: Path
) -> None:
    original = shared_data / "misp" / "feeds" / "tweetfeed-2026-08-10_16"
    feed = tmp_path / original.name  # the folder name is the source name
    feed.mkdir()
    for path in original.iterdir():
        with_bom(path, feed / path.name) if path.suffix == ".json" else shutil.copy(path, feed)
    expected = loaded(original)
    assert expected and loaded(feed) == expected
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(feed)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        over_http = loaded(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    assert [(i.kind, i.value, i.event_uuid) for i in over_http] == [
        (i.kind, i.value, i.event_uuid) for i in expected]


def test_a_warninglist_with_a_bom_suppresses_the_same(shared_data: Path, tmp_path: Path) -> None:
    original = next((shared_data / "misp" / "warninglists").rglob("*.json"))
    plain = load_warninglists([original]).lists
    marked = load_warninglists([with_bom(original, tmp_path / "list.json")]).lists
    assert [(w.name, w.type, w.strings, w.substrings) for w in marked] == [
        (w.name, w.type, w.strings, w.substrings) for w in plain]
    assert plain and (plain[0].strings or plain[0].substrings or plain[0].regexes or plain[0].type == "cidr")
