"""One TLS rule for minisoc's OpenSearch clients: the chain AND the host name are verified.

The host-side client (once ops/opensearch_http.py, urllib) used to turn host name checking off; the site's
node certificate names 127.0.0.1, ::1 and localhost too (security/cert_specs.py), so it need not. The host
side and the sinks now share one factory (correlator/clients/opensearch.py).
"""

from __future__ import annotations

import contextlib
import http.server
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from minisoc.correlator.clients.opensearch import OpenSearchRest, open_client
from minisoc.correlator.config import OpenSearchSinkConfig
from minisoc.errors import ServiceError
from minisoc.security import ensure_site_pki
from minisoc.security.cert_specs import ServiceCert
from minisoc.tls import client_context


def _site_ca(tmp_path: Path, *servers: ServiceCert) -> Path:
    pki = tmp_path / "pki"
    ensure_site_pki(pki, services=list(servers), validity_days=30, now=datetime.now(UTC))
    return pki / "ca.crt"


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def _https_server(pki: Path) -> Iterator[int]:
    """The port of an HTTPS server on 127.0.0.1 presenting `pki/node.crt`."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Answer)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki / "node.crt", pki / "node.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _verifies_names(context: ssl.SSLContext | None) -> bool:
    return context is not None and context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED


def test_the_rule_verifies_chain_and_host_name(tmp_path: Path) -> None:
    context = client_context(_site_ca(tmp_path))
    assert _verifies_names(context)
    assert context.get_ca_certs()  # the site CA is what it trusts


def test_the_host_side_client_checks_the_host_name(tmp_path: Path) -> None:
    client = OpenSearchRest("https://127.0.0.1:9200", ca_file=_site_ca(tmp_path))
    pool = client.client.transport.connection_pool.connections[0].pool
    assert _verifies_names(pool.conn_kw["ssl_context"])


def test_the_correlator_sink_uses_the_same_rule(tmp_path: Path) -> None:
    config = OpenSearchSinkConfig(url="https://opensearch:9200", ca_file=_site_ca(tmp_path))
    pool = open_client(config, password="x").transport.connection_pool.connections[0].pool
    assert _verifies_names(pool.conn_kw["ssl_context"])


def test_verify_tls_false_still_turns_verification_off() -> None:
    config = OpenSearchSinkConfig(url="https://opensearch:9200", verify_tls=False)
    pool = open_client(config, password="x").transport.connection_pool.connections[0].pool
    assert pool.cert_reqs in ("CERT_NONE", ssl.CERT_NONE)


def test_a_certificate_that_does_not_name_the_address_is_refused(tmp_path: Path) -> None:
    ca = _site_ca(tmp_path, ServiceCert("node", "opensearch", dns_names=("opensearch",)))
    with _https_server(ca.parent) as port:
        client = OpenSearchRest(f"https://127.0.0.1:{port}", ca_file=ca, timeout_s=5)
        with pytest.raises(ServiceError, match=r"certificate refused \(IP address mismatch") as refused:
            client.request("GET", "/")
        assert "security.tls.extra_names" in str(refused.value.hint)


def test_a_certificate_that_names_the_address_is_accepted(tmp_path: Path) -> None:
    """The same client talks to a server whose certificate names 127.0.0.1, as the site's node certificate
    does (security/cert_specs.py): turning the check on costs nothing on a real site."""
    node = ServiceCert("node", "opensearch", dns_names=("opensearch",), ip_addresses=("127.0.0.1",))
    ca = _site_ca(tmp_path, node)
    with _https_server(ca.parent) as port:
        client = OpenSearchRest(f"https://127.0.0.1:{port}", ca_file=ca, timeout_s=5)
        assert client.request("GET", "/") == (200, {})
