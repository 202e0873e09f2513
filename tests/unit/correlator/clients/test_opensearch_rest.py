"""The host-side REST calls (provisioning, up's readiness wait, status, health, verify) go through the one
OpenSearch client factory and still answer as the urllib client did: the exact HTTP status and the decoded
body of every answer, ServiceError with a hint only when nothing answers."""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from minisoc.correlator.clients.opensearch import OpenSearchRest
from minisoc.errors import ServiceError


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers by path; records (method, path, Authorization, body) of every request."""

    seen: ClassVar[list[tuple[str, str, str | None, Any]]] = []
    answers: ClassVar[dict[str, tuple[int, bytes]]] = {
        "/made": (201, b'{"acknowledged": true}'),
        "/_cat/plugins?format=json": (200, b'[{"component": "opensearch-index-management"}]'),
        "/denied": (403, b'{"error": {"type": "security_exception", "reason": "no permissions for [x]"}}'),
        "/text": (502, b"<html>bad gateway</html>"),
    }

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.seen.append((self.command, self.path, self.headers.get("Authorization"),
                          json.loads(raw) if raw else None))
        status, body = self.answers.get(self.path, (404, b'{"error": "no such index", "status": 404}'))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _answer

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def _server() -> Iterator[str]:
    _Recorder.seen.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_every_status_is_an_answer_with_its_body() -> None:
    with _server() as url:
        rest = OpenSearchRest(url, timeout_s=5)
        assert rest.request("PUT", "/made", {"a": 1}) == (201, {"acknowledged": True})
        assert rest.request("GET", "/missing") == (404, {"error": "no such index", "status": 404})
        assert rest.request("HEAD", "/missing") == (404, None)
        assert rest.request("GET", "/text") == (502, "<html>bad gateway</html>")
        assert rest.ok("GET", "/_cat/plugins?format=json") == [{"component": "opensearch-index-management"}]
    assert _Recorder.seen[0] == ("PUT", "/made", None, {"a": 1})
    assert _Recorder.seen[-1][:2] == ("GET", "/_cat/plugins?format=json")  # the query string as given


def test_credentials_go_as_basic_auth_and_never_into_a_message() -> None:
    with _server() as url:
        rest = OpenSearchRest(url, username="admin", password="s3cret-pw", timeout_s=5)
        with pytest.raises(ServiceError) as refused:
            rest.ok("GET", "/denied")
    token = base64.b64encode(b"admin:s3cret-pw").decode("ascii")
    assert _Recorder.seen[0][2] == f"Basic {token}"
    assert str(refused.value) == "OpenSearch GET /denied: HTTP 403: no permissions for [x]"
    assert "s3cret" not in str(refused.value) + str(refused.value.hint)


def test_nothing_listening_is_one_service_error_with_a_hint() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    rest = OpenSearchRest(f"http://127.0.0.1:{port}", timeout_s=5)
    with pytest.raises(ServiceError) as down:
        rest.request("GET", "/_cluster/health")
    url = f"http://127.0.0.1:{port}"
    assert str(down.value) == f"OpenSearch at {url} does not answer (ConnectionRefusedError)"
    assert down.value.hint == "check `minisoc status` and `minisoc logs opensearch`"
    assert down.value.__cause__ is None and down.value.__suppress_context__  # no chain to show
