"""A real MISP feed (the TweetFeed sample) served over HTTP from 127.0.0.1: full load, incremental refetch of
only the changed events (requests counted on the server), removal of events gone from the manifest, restart
from the persisted state, and a hostile manifest that names files outside the state dir."""

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

from minisoc.correlator.intel import MispFeedSource, load_intel

pytestmark = pytest.mark.integration
FEED = "misp/feeds/tweetfeed-2026-08-10_16"


class CountingHandler(SimpleHTTPRequestHandler):
    served: list[str]

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self.served.append(self.path)
        super().do_GET()


@pytest.fixture
def feed_server(shared_data: Path, tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """(feed URL, the served directory (a copy the test may change), paths requested so far)."""
    root = tmp_path / "www"
    shutil.copytree(shared_data / FEED, root / "feed")
    served: list[str] = []
    handler = type("Handler", (CountingHandler,), {"served": served})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/feed", root / "feed", served
    finally:
        server.shutdown()
        server.server_close()


def _manifest(feed_dir: Path) -> dict[str, Any]:
    return dict(json.loads((feed_dir / "manifest.json").read_text()))


def _bump(feed_dir: Path, uuid: str, new_value: str) -> None:
    """Change one event: its first attribute's value, and its timestamp in the manifest."""
    path = feed_dir / f"{uuid}.json"
    document = json.loads(path.read_text())
    document["Event"]["Attribute"][0].update(type="domain", value=new_value)
    path.write_text(json.dumps(document))
    manifest = _manifest(feed_dir)
    manifest[uuid]["timestamp"] = str(int(manifest[uuid]["timestamp"]) + 60)
    (feed_dir / "manifest.json").write_text(json.dumps(manifest))


def test_feed_over_http_loads_like_the_directory(
    feed_server: tuple[str, Path, list[str]], shared_data: Path
) -> None:
    url, _, served = feed_server
    over_http = load_intel([url])
    from_dir = load_intel([str(shared_data / FEED)])
    assert sorted(i.value for i in over_http.indicators) == sorted(i.value for i in from_dir.indicators)
    assert over_http.indicators[0].reference.startswith(url)  # type: ignore[union-attr]
    assert len(served) == 1 + len(_manifest(shared_data / FEED))


def test_only_changed_events_are_refetched_and_removed_events_go(
    feed_server: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    url, feed_dir, served = feed_server
    state = tmp_path / "state"
    source = MispFeedSource("tweetfeed", url, state)
    first = source.sync()
    events = list(_manifest(feed_dir))
    assert first.complete and len(served) == 1 + len(events)

    served.clear()
    unchanged = source.sync()
    assert (unchanged.added, unchanged.removed, served) == ([], [], ["/feed/manifest.json"])

    changed_uuid = events[0]
    old_first = json.loads((feed_dir / f"{changed_uuid}.json").read_text())["Event"]["Attribute"][0]
    _bump(feed_dir, changed_uuid, "new-bad.example")
    served.clear()
    update = source.sync()
    assert served == ["/feed/manifest.json", f"/feed/{changed_uuid}.json"]
    assert not update.complete
    assert "new-bad.example" in {i.value for i in update.added}
    assert {i.event_uuid for i in update.added} == {changed_uuid}
    [old_indicator] = [i for i in first.added if i.attribute_uuid == old_first["uuid"]]
    assert old_indicator.kind != "domain"  # its key changes with its kind: it must be reported removed
    assert old_indicator.key() in update.removed

    gone = events[1]
    manifest = _manifest(feed_dir)
    del manifest[gone]
    (feed_dir / "manifest.json").write_text(json.dumps(manifest))
    served.clear()
    removal = source.sync()
    assert served == ["/feed/manifest.json"] and removal.added == []
    gone_attributes = json.loads((feed_dir / f"{gone}.json").read_text())["Event"]["Attribute"]
    assert {key[2] for key in removal.removed} == {a["uuid"] for a in gone_attributes if a.get("to_ids")} - {
        a["uuid"] for a in gone_attributes if len(a["value"]) > 253
    }
    assert not (state / "feeds" / "tweetfeed" / "events" / f"{gone}.json").exists()


def test_restart_yields_the_complete_set_without_refetching_events(
    feed_server: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    url, _, served = feed_server
    first = MispFeedSource("tweetfeed", url, tmp_path / "state").sync()
    served.clear()
    restarted = MispFeedSource("tweetfeed", url, tmp_path / "state").sync()
    assert served == ["/feed/manifest.json"]
    assert restarted.complete and sorted(i.value for i in restarted.added) == sorted(
        i.value for i in first.added
    )


def test_a_manifest_cannot_name_files_outside_the_state_dir(
    feed_server: tuple[str, Path, list[str]], tmp_path: Path
) -> None:
    url, feed_dir, served = feed_server
    manifest = _manifest(feed_dir)
    manifest["../../escape"] = {"timestamp": "1"}
    manifest["/etc/passwd"] = {"timestamp": "1"}
    (feed_dir / "manifest.json").write_text(json.dumps(manifest))
    source = MispFeedSource("tweetfeed", url, tmp_path / "state")
    update = source.sync()
    assert source.rejected_uuids == 2 and update.added
    assert not any("escape" in path or "passwd" in path for path in served)
    assert not (tmp_path / "escape.json").exists()
    assert all(
        p.resolve().is_relative_to((tmp_path / "state").resolve()) for p in (tmp_path / "state").rglob("*")
    )
