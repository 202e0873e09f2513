"""`/healthz` (JSON, 200 or 503) and `/metrics` (Prometheus text) on a small threaded HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

HealthProvider = Callable[[], tuple[int, dict[str, Any]]]
MetricsProvider = Callable[[], str]


class StatusServer:
    """Serves the providers' answers in a daemon thread; `port` is the bound port (0 asks for a free one)."""

    def __init__(self, bind: str, port: int, health: HealthProvider, metrics: MetricsProvider) -> None:
        handler = _handler_class(health, metrics)
        self._server = ThreadingHTTPServer((bind, port), handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="minisoc-http", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_class(health: HealthProvider, metrics: MetricsProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "minisoc-correlator"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                status, body = health()
                self._send(status, "application/json", orjson.dumps(body))
            elif path == "/metrics":
                self._send(200, "text/plain; version=0.0.4; charset=utf-8", metrics().encode())
            else:
                self._send(404, "application/json", b'{"error":"not found: try /healthz or /metrics"}')

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # probes every few seconds would flood the log

    return Handler
