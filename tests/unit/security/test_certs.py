"""Site PKI: what is created, what is kept across renders, what renew changes, and that the certificates
really work for TLS (a real handshake on 127.0.0.1 with server and client authentication)."""

from __future__ import annotations

import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from minisoc.errors import UsageError
from minisoc.security import describe_site_pki, ensure_site_pki, renew
from minisoc.security.cert_specs import ServiceCert
from minisoc.security.certs import default_service_certs

NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def _snapshot(pki: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(pki.iterdir())}


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@pytest.fixture()
def pki(tmp_path: Path) -> Path:
    return tmp_path / "site" / "pki"


def test_first_call_creates_ca_and_every_service_with_strict_modes(pki: Path) -> None:
    result = ensure_site_pki(pki, services=default_service_certs(), validity_days=397, now=NOW)
    assert result.issued == ("ca", "opensearch-node", "opensearch-admin", "dashboards", "feedserver")
    assert pki.stat().st_mode & 0o777 == 0o700
    for name in result.issued:
        assert (pki / f"{name}.key").stat().st_mode & 0o777 == 0o600
        assert (pki / f"{name}.crt").stat().st_mode & 0o777 == 0o644
    assert not list(pki.glob(".*.tmp")), "no temporary file left behind"


def test_node_cert_has_service_sans_both_usages_and_is_signed_by_the_ca(pki: Path) -> None:
    result = ensure_site_pki(
        pki,
        services=default_service_certs(extra_names=["soc.example.org", "192.0.2.7"]),
        validity_days=397,
        now=NOW,
    )
    node = _cert(pki / "opensearch-node.crt")
    node.verify_directly_issued_by(_cert(pki / "ca.crt"))
    sans = node.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == {"opensearch", "localhost", "soc.example.org"}
    assert {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1", "192.0.2.7"}
    usages = set(node.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert usages == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    admin_usages = set(
        _cert(pki / "opensearch-admin.crt").extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    assert admin_usages == {ExtendedKeyUsageOID.CLIENT_AUTH}
    assert result.dn("opensearch-node") == "CN=opensearch,OU=nodes,O=minisoc"
    assert result.dn("opensearch-admin") == "CN=minisoc-admin,OU=admins,O=minisoc"
    assert result.certs["opensearch-node"].not_after == NOW + timedelta(days=397)


def test_second_call_changes_no_byte(pki: Path) -> None:
    ensure_site_pki(pki, services=default_service_certs(), validity_days=397, now=NOW)
    before = _snapshot(pki)
    again = ensure_site_pki(
        pki, services=default_service_certs(), validity_days=397, now=NOW + timedelta(days=30)
    )
    assert again.issued == ()
    assert _snapshot(pki) == before


def test_only_the_changed_or_damaged_certificate_is_reissued(pki: Path) -> None:
    ensure_site_pki(pki, services=default_service_certs(), validity_days=397, now=NOW)
    before = _snapshot(pki)
    (pki / "dashboards.key").write_bytes(b"not a key")
    changed = default_service_certs(extra_names=["soc.example.org"])  # every server cert gains a SAN
    result = ensure_site_pki(pki, services=changed, validity_days=397, now=NOW)
    assert set(result.issued) == {"opensearch-node", "dashboards", "feedserver"}
    assert result.reasons["dashboards"] == "unreadable"
    assert result.reasons["opensearch-node"] == "subject or alternative names changed"
    after = _snapshot(pki)
    assert (
        after["ca.key"] == before["ca.key"]
        and after["opensearch-admin.crt"] == before["opensearch-admin.crt"]
    )


def test_certificate_inside_its_renewal_window_is_reissued(pki: Path) -> None:
    ensure_site_pki(pki, services=default_service_certs(), validity_days=100, now=NOW)
    late = NOW + timedelta(days=80)  # 20 days left, window is 25 days
    result = ensure_site_pki(pki, services=default_service_certs(), validity_days=100, now=late)
    assert "opensearch-node" in result.issued and "ca" not in result.issued
    assert result.certs["opensearch-node"].not_after == late + timedelta(days=100)


def test_a_new_ca_reissues_every_leaf(pki: Path) -> None:
    ensure_site_pki(pki, services=default_service_certs(), validity_days=397, now=NOW)
    (pki / "ca.key").unlink()
    (pki / "ca.crt").unlink()  # no CA at all: a new one is made (a damaged one is refused, below)
    result = ensure_site_pki(pki, services=default_service_certs(), validity_days=397, now=NOW)
    assert set(result.issued) == {"ca", "opensearch-node", "opensearch-admin", "dashboards", "feedserver"}
    _cert(pki / "dashboards.crt").verify_directly_issued_by(_cert(pki / "ca.crt"))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("corrupt-crt", "the site CA certificate is unreadable"),
        ("no-key", "the site CA is incomplete: ca.key is missing"),
        ("foreign-key", "ca.key does not belong to ca.crt"),
        ("leaf-as-ca", "not a CA certificate"),
        ("expired", "the site CA is not valid now"),
    ],
)
def test_an_unusable_ca_is_never_replaced_except_by_renew_ca(pki: Path, damage: str, message: str) -> None:
    ensure_site_pki(pki, services=default_service_certs(), validity_days=397, ca_validity_days=400, now=NOW)
    now = NOW
    if damage == "corrupt-crt":
        (pki / "ca.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nbroken\n")
    elif damage == "no-key":
        (pki / "ca.key").unlink()
    elif damage == "foreign-key":
        (pki / "ca.key").write_bytes((pki / "dashboards.key").read_bytes())
    elif damage == "leaf-as-ca":
        (pki / "ca.crt").write_bytes((pki / "dashboards.crt").read_bytes())
        (pki / "ca.key").write_bytes((pki / "dashboards.key").read_bytes())
    else:
        now = NOW + timedelta(days=401)
    before = _snapshot(pki)
    for attempt in (
        lambda: ensure_site_pki(pki, services=default_service_certs(), validity_days=397, now=now),
        lambda: renew(pki, now=now),  # renewing the leaves needs the CA: --ca is the only way out
    ):
        with pytest.raises(UsageError) as raised:
            attempt()
        assert message in raised.value.message and "certs renew SITE_DIR --ca" in str(raised.value.hint)
        assert _snapshot(pki) == before
    fresh = renew(pki, now=now, include_ca=True)
    assert "ca" in fresh.issued and _snapshot(pki)["ca.crt"] != before["ca.crt"]
    _cert(pki / "dashboards.crt").verify_directly_issued_by(_cert(pki / "ca.crt"))


def test_leaves_capped_at_the_ca_end_are_not_reissued_on_every_render(pki: Path) -> None:
    ensure_site_pki(pki, services=default_service_certs(), validity_days=397, ca_validity_days=100, now=NOW)
    late = NOW + timedelta(days=90)  # 10 days left on the CA: a new leaf would end with it, no better
    first = ensure_site_pki(pki, services=default_service_certs(), validity_days=397, now=late)
    again = ensure_site_pki(pki, services=default_service_certs(), validity_days=397, now=late)
    assert "ca" not in first.issued and again.issued == ()


def test_renew_reissues_leaves_with_new_keys_and_same_subjects(pki: Path) -> None:
    first = ensure_site_pki(pki, services=default_service_certs(), validity_days=397, now=NOW)
    before = _snapshot(pki)
    later = NOW + timedelta(days=200)
    renewed = renew(pki, now=later)
    assert set(renewed.issued) == {"opensearch-node", "opensearch-admin", "dashboards", "feedserver"}
    after = _snapshot(pki)
    assert after["ca.crt"] == before["ca.crt"] and after["ca.key"] == before["ca.key"]
    assert after["opensearch-node.key"] != before["opensearch-node.key"]
    assert renewed.dn("opensearch-admin") == first.dn("opensearch-admin")
    assert renewed.certs["opensearch-node"].not_after == later + timedelta(days=397)
    with_ca = renew(pki, now=later, include_ca=True)
    assert "ca" in with_ca.issued and _snapshot(pki)["ca.key"] != before["ca.key"]


def test_renew_without_a_pki_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no site PKI"):
        renew(tmp_path / "pki", now=NOW)


def test_describe_reads_without_writing(pki: Path) -> None:
    ensure_site_pki(pki, services=default_service_certs(feed_host=None), validity_days=30, now=NOW)
    before = _snapshot(pki)
    described = describe_site_pki(pki)
    assert sorted(described.certs) == ["dashboards", "opensearch-admin", "opensearch-node"]
    assert described.certs["dashboards"].days_left(NOW) == 30
    assert _snapshot(pki) == before


@pytest.mark.parametrize(
    "bad",
    [
        {"name": "../escape"},
        {"name": "ca"},
        {"dns_names": ("bad name",)},
        {"ip_addresses": ("300.1.1.1",)},
        {"common_name": "x,CN=admin"},
        {"server": False, "client": False},
    ],
)
def test_service_cert_refuses_hostile_or_broken_specs(bad: dict[str, object]) -> None:
    fields: dict[str, object] = {"name": "svc", "common_name": "svc", **bad}
    with pytest.raises(UsageError):
        ServiceCert(**fields)  # type: ignore[arg-type]


def test_validity_out_of_range_is_refused(pki: Path) -> None:
    with pytest.raises(UsageError, match="validity"):
        ensure_site_pki(pki, services=[], validity_days=0, now=NOW)


def test_rsa_keys_work_too(pki: Path) -> None:
    result = ensure_site_pki(
        pki,
        services=default_service_certs(feed_host=None)[:1],
        validity_days=30,
        now=NOW,
        key_type="rsa-3072",
    )
    assert _cert(pki / "opensearch-node.crt").public_key().key_size == 3072  # type: ignore[union-attr]
    assert result.issued == ("ca", "opensearch-node")


def test_real_mutual_tls_handshake_with_the_generated_certificates(pki: Path) -> None:
    """OpenSearch's HTTP layer as a stand-in: node cert serves TLS, the admin cert authenticates as a client,
    the client verifies the server against the site CA and the host name `localhost`."""
    ensure_site_pki(pki, services=default_service_certs(), validity_days=397, now=datetime.now(UTC))
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(pki / "opensearch-node.crt", pki / "opensearch-node.key")
    server_ctx.load_verify_locations(pki / "ca.crt")
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    client_ctx.load_cert_chain(pki / "opensearch-admin.crt", pki / "opensearch-admin.key")

    seen: dict[str, object] = {}
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def serve() -> None:
            conn, _ = listener.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                seen["peer"] = tls.getpeercert()
                tls.sendall(tls.recv(5))

        thread = threading.Thread(target=serve)
        thread.start()
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            client_ctx.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            tls.sendall(b"hello")
            assert tls.recv(5) == b"hello"
        thread.join(5)
    peer = seen["peer"]
    assert isinstance(peer, dict)
    assert (("commonName", "minisoc-admin"),) in peer["subject"]

    wrong_host = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        plain_server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        plain_server.load_cert_chain(pki / "opensearch-node.crt", pki / "opensearch-node.key")

        def serve_once() -> None:
            conn, _ = listener.accept()
            try:
                plain_server.wrap_socket(conn, server_side=True).close()
                seen["refused"] = False
            except (ssl.SSLError, OSError):
                seen["refused"] = True

        thread = threading.Thread(target=serve_once)
        thread.start()
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            pytest.raises(ssl.SSLCertVerificationError),
        ):
            wrong_host.wrap_socket(raw, server_hostname="evil.example")
        thread.join(5)
    assert seen["refused"] is True
