"""Hostile input for the intel loaders (hypothesis): MISP event documents of random shapes and random intel
files give indicators or an IntelError, nothing else; a feed cannot make the service write outside its state
directory; a gzip-encoded feed answer that inflates without end is refused in bounded memory."""

from __future__ import annotations

import gzip
import json
import threading
import tracemalloc
import uuid
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minisoc.correlator.intel import MispFeedSource
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.intel.fetch import HttpFetcher
from minisoc.correlator.intel.intel_file import parse_intel_bytes
from minisoc.correlator.intel.misp_event import document_indicators
from minisoc.errors import IntelError

FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
MISP_KEYS = [
    "Event",
    "Attribute",
    "Object",
    "response",
    "uuid",
    "info",
    "type",
    "value",
    "to_ids",
    "Tag",
    "name",
    "timestamp",
    "deleted",
    "disable_correlation",
    "category",
    "comment",
    "first_seen",
]
MISP_TYPES = [
    "ip-dst",
    "ip-src|port",
    "domain",
    "domain|ip",
    "url",
    "md5",
    "sha256",
    "filename|sha256",
    "ja3-fingerprint-md5",
    "x509-fingerprint-sha1",
    "email-src",
    "user-agent",
    "hostname",
    "weird",
]
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from([*MISP_TYPES, "10.0.0.0/8", "evil.example", "1", "0", "::1", "a|b|c"]),
)
shapes = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(MISP_KEYS), inner, max_size=6)
    ),
    max_leaves=30,
)


def _indicators_or_intel_error(load: Any) -> None:
    try:
        found = load()
    except IntelError as error:
        assert error.message
        return
    assert isinstance(found, list)


@FUZZ
@given(shapes)
def test_misp_documents_of_any_shape(document: Any) -> None:
    _indicators_or_intel_error(lambda: document_indicators(document, "fuzz", LoadCounts()))


@FUZZ
@given(shapes)
def test_misp_documents_as_intel_files(document: Any) -> None:
    data = json.dumps(document).encode()
    _indicators_or_intel_error(lambda: parse_intel_bytes(data, "fuzz.json", "fuzz", LoadCounts()))


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.lists(st.text(max_size=40), max_size=20).map(lambda ls: "\n".join(ls).encode()),
        st.lists(st.text(max_size=40), max_size=10).map(
            lambda ls: ("#fields\tindicator\tindicator_type\tmeta.source\n" + "\n".join(ls)).encode()
        ),
    )
)
def test_random_intel_files(data: bytes) -> None:
    _indicators_or_intel_error(lambda: parse_intel_bytes(data, "fuzz.txt", "fuzz", LoadCounts()))


HOSTILE_UUIDS = [
    "../../escaped",
    "/tmp/absolute",
    "..",
    "a/../../b",
    "00000000-0000-0000-0000-000000000000/../x",
    "00000000-0000-0000-0000-00000000000%2F",
    "C:\\x",
    "\x00",
]


def _event(event_uuid: str) -> bytes:
    return json.dumps(
        {
            "Event": {
                "uuid": event_uuid,
                "info": "fuzz",
                "Attribute": [
                    {"type": "ip-dst", "value": "198.51.100.7", "to_ids": True, "uuid": str(uuid.uuid4())}
                ],
            }
        }
    ).encode()


def _tree(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


@pytest.fixture()
def feed_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, bytes]]]:
    files: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path.lstrip("/"))
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", files
    finally:
        server.shutdown()
        server.server_close()


def test_a_feed_cannot_write_outside_the_state_dir(
    tmp_path: Path, feed_server: tuple[str, dict[str, bytes]]
) -> None:
    url, files = feed_server
    good = str(uuid.uuid4())
    manifest = {name: {"timestamp": "1", "info": "x"} for name in [*HOSTILE_UUIDS, good]}
    files["manifest.json"] = json.dumps(manifest).encode()
    files[f"{good}.json"] = _event(good)
    for name in HOSTILE_UUIDS:
        files[f"{name}.json"] = _event(good)
    state = tmp_path / "state"
    state.mkdir()
    before = _tree(tmp_path)
    source = MispFeedSource("../../feed name/../x", url, state)
    update = source.sync()
    written = _tree(tmp_path) - before
    assert written and all(path.is_relative_to(state) for path in written), sorted(map(str, written))
    assert [i.value for i in update.added] == ["198.51.100.7"]
    assert source.rejected_uuids == len(HOSTILE_UUIDS)
    assert not (tmp_path / "escaped.json").exists()


class _BombHandler(BaseHTTPRequestHandler):
    """Answers every GET with a gzip Content-Encoding body that inflates to 1 GiB of spaces."""

    member = zlib.compressobj(9, zlib.DEFLATED, 31)
    body = member.compress(b" " * (64 << 20)) + member.flush()

    def do_GET(self) -> None:
        payload = self.body * 16
        self.send_response(200)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def test_a_gzip_bomb_from_a_feed_server_is_refused_in_bounded_memory() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BombHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fetcher = HttpFetcher(max_bytes=16 << 20)
    tracemalloc.start()
    try:
        with pytest.raises(IntelError, match="larger than") as caught:
            fetcher.get(f"http://127.0.0.1:{server.server_address[1]}/manifest.json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        fetcher.close()
        server.shutdown()
        server.server_close()
    assert caught.value.hint
    assert peak < 64 << 20, f"peak {peak / 2**20:.1f} MiB"
    assert len(gzip.decompress(_BombHandler.body)) == 64 << 20  # the body really is a bomb
