"""The syslog receiver on its own (real rsyslog in minisoc/syslog, compose project `minisoc-syslog-e2e-*`,
free loopback ports): RFC 3164 and RFC 5424 over UDP, TCP (LF and octet-counted) and TLS with a client
certificate of the site PKI land as the documented JSON; garbage, truncated and oversized input, and TLS
clients without a good certificate, neither crash it nor get in; a bounded flood is stored complete."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from syslog_e2e_support import (
    MAX_MESSAGE,
    RECORD_KEYS,
    Receiver,
    frames,
    logger,
    rfc5424,
    send_tcp,
    send_tls,
    send_udp,
    start_receiver,
)

from minisoc.cli.main import main
from minisoc.ops.canary import new_canary
from minisoc.ops.syslog_canary import canary_syslog_line, octet_counted, send_syslog
from minisoc.profile.create import create_profile
from minisoc.render import render_site
from minisoc.security.client_certs import issue_client_cert
from render_support import fixed_secret

pytestmark = [pytest.mark.docker, pytest.mark.e2e, pytest.mark.timeout(900)]
FLOOD_RATE = int(os.environ.get("MINISOC_SYSLOG_FLOOD_RATE", "10000"))  # messages/s
FLOOD_SECONDS = float(os.environ.get("MINISOC_SYSLOG_FLOOD_SECONDS", "30"))


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    yield from start_receiver(tmp_path_factory.mktemp("syslog"))


def one(receiver: Receiver, marker: str) -> dict[str, object]:
    found = receiver.wait_for(marker)
    assert len(found) == 1, f"{marker}: {found}"
    assert set(found[0]) == RECORD_KEYS and found[0]["minisoc_input"] == "syslog"
    return found[0]


@pytest.mark.parametrize(("transport", "extra", "protocol", "port_name", "input_name"), [
    ("--udp", ("--rfc3164",), "0", "udp", "imudp"),
    ("--udp", ("--rfc5424",), "1", "udp", "imudp"),
    ("--tcp", ("--rfc3164",), "0", "tcp", "imtcp"),
    ("--tcp", ("--rfc5424",), "1", "tcp", "imtcp"),
    ("--tcp", ("--rfc5424", "--octet-count"), "1", "tcp", "imtcp"),
])
def test_logger_over_udp_and_tcp_lands_as_documented_json(
    receiver: Receiver, transport: str, extra: tuple[str, ...], protocol: str, port_name: str, input_name: str
) -> None:
    marker = f"m-{transport}-{'-'.join(extra)}-{time.monotonic_ns()}"
    logger(getattr(receiver, port_name), transport, f"Failed password for root from 203.0.113.9 {marker}",
           "-p", "auth.warning", *extra)
    record = one(receiver, marker)
    assert record["message"] == f"Failed password for root from 203.0.113.9 {marker}"
    assert (record["program"], record["pid"], record["facility"], record["severity"]) == (
        "e2etag", "4242", "auth", "warning")
    assert (record["protocol"], record["input"]) == (protocol, input_name)
    assert str(record["received"]).startswith(datetime.now(UTC).strftime("%Y-"))
    assert (receiver.log_dir / f"syslog-{datetime.now(UTC):%Y-%m-%d}.json").is_file()


def test_rfc5424_fields_over_tls_with_a_site_client_certificate(receiver: Receiver, tmp_path: Path) -> None:
    cert = issue_client_cert(receiver.site / "pki", "gw1.example.org", tmp_path, now=datetime.now(UTC))
    sd = '[origin@32473 ip="192.0.2.7"]'
    send_tls(receiver.tls, tmp_path / "ca.crt", [rfc5424("over tls", app="sshd", msgid="AUTH", sd=sd)], cert)
    record = one(receiver, "over tls")
    fields = (record["host"], record["program"], record["pid"], record["msgid"])
    assert fields == ("sender1", "sshd", "42", "AUTH")
    assert (record["sd"], record["input"], record["protocol"]) == (sd, "imtcp", "1")
    assert (record["facility"], record["severity"]) == ("local0", "info")
    assert record["@timestamp"] == "2026-12-05T10:00:00+00:00" or str(record["@timestamp"]).startswith(
        "2026-12-05T10:00:00")


@pytest.mark.parametrize("who", ["no certificate", "another CA's certificate"])
def test_tls_clients_without_a_site_certificate_are_refused(
    receiver: Receiver, tmp_path: Path, who: str
) -> None:
    cert = None
    if who != "no certificate":  # a CA of another site: same shape, wrong signer
        other = tmp_path / "other"
        _, profile = create_profile(other, "reference", [])
        render_site(other, profile, secrets=fixed_secret)
        cert = issue_client_cert(other / "pki", "intruder", tmp_path / "c", now=datetime.now(UTC))
    marker = f"refused-{who.replace(' ', '-')}"
    # refused during the handshake (TLS 1.2) or right after it (TLS 1.3): both are fine
    with contextlib.suppress(OSError):
        send_tls(receiver.tls, receiver.site / "pki" / "ca.crt", [rfc5424(marker)], cert)
    fence = f"fence-after-{who.replace(' ', '_')}"  # must not contain the marker
    send_tcp(receiver.tcp, [rfc5424(fence)])
    assert receiver.wait_for(fence)
    time.sleep(1)
    assert receiver.wait_for(marker, timeout=0.1) == []


def test_garbage_truncated_and_oversized_input(receiver: Receiver) -> None:
    send_udp(receiver.udp, [b"", b"\x00\xff\xfe garbage \x01", os.urandom(512), b"<999>not a priority",
                            b"<13>" + b"\xc3\x28 bad utf8", b"\xc3\x28abc\xff: bad tag",
                            b"<13>Dec  5 10:00:00 h\xffost pr\xfeog[1\xfd]: bad header"])
    with socket.create_connection(("127.0.0.1", receiver.tcp), timeout=10) as sock:
        sock.sendall(b"500 <134>1 - - - - - - truncated frame")  # promises 500 bytes, closes early
    big = "big-" + "x" * (MAX_MESSAGE * 2)
    send_tcp(receiver.tcp, [rfc5424(big)])
    send_udp(receiver.udp, [rfc5424("udp-" + "y" * (MAX_MESSAGE * 2)).encode()])
    fence = f"fence-garbage-{time.monotonic_ns()}"
    send_tcp(receiver.tcp, [rfc5424(fence)])
    assert receiver.wait_for(fence)
    records = receiver.records()  # every line parsed as JSON: control bytes were escaped
    tcp_big = [r for r in records if str(r["message"]).startswith("big-x")]
    assert len(tcp_big) == 1 and len(str(tcp_big[0]["message"])) < MAX_MESSAGE  # truncated, not dropped
    assert receiver.container() and "Up" in receiver.compose("ps", "syslog").stdout


def test_retention_prunes_old_days_only(receiver: Receiver) -> None:
    today = datetime.now(UTC)
    old, kept = (receiver.log_dir / f"syslog-{today - timedelta(days=d):%Y-%m-%d}.json" for d in (4, 2))
    for path in (old, kept):
        path.write_text("{}\n")
    done = receiver.compose("exec", "-T", "syslog", "minisoc-syslog", "prune")
    assert "pruned" in done.stdout
    assert not old.exists() and kept.exists()
    kept.unlink()


def test_a_bounded_tcp_flood_is_stored_complete(receiver: Receiver) -> None:
    """FLOOD_RATE messages/s for FLOOD_SECONDS over one TCP connection, paced in 10 ms slices."""
    total = int(FLOOD_RATE * FLOOD_SECONDS)
    tag = f"flood{time.monotonic_ns()}"
    per_slice = max(1, FLOOD_RATE // 100)
    started = time.monotonic()
    sent = 0
    with socket.create_connection(("127.0.0.1", receiver.tcp), timeout=30) as sock:
        while sent < total:
            count = min(per_slice, total - sent)
            sock.sendall(frames([rfc5424(f"{tag} n={sent + i}") for i in range(count)], octet_counted=False))
            sent += count
            delay = started + sent / FLOOD_RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    send_seconds = time.monotonic() - started
    deadline = time.monotonic() + 120
    while receiver.count(tag) < total and time.monotonic() < deadline:
        time.sleep(0.5)
    stored_seconds = time.monotonic() - started
    found = [str(r["message"]) for r in receiver.records() if tag in str(r["message"])]
    print(f"syslog flood: sent {total} in {send_seconds:.1f} s ({total / send_seconds:.0f}/s), "
          f"stored {len(found)} after {stored_seconds:.1f} s ({len(found) / stored_seconds:.0f}/s)")
    assert len(found) == total
    assert len(set(found)) == total  # each once


def test_the_verify_canary_line_becomes_a_syslog_alert(
    receiver: Receiver, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `minisoc verify` sends (ops/syslog_canary.py), through the real receiver, then the correlator's
    own parsers and matcher (`minisoc hunt` over the receiver's file) with the canary domain as intel."""
    canary = new_canary()
    send_syslog("127.0.0.1", receiver.tcp, octet_counted(canary_syslog_line(canary, datetime.now(UTC))))
    record = one(receiver, canary.domain)
    assert record["message"] == f"connect from {canary.domain}[192.0.2.25]"
    assert str(record["program"]).startswith("postfix") and record["facility"] == "mail"
    assert record["sd"] == f'[minisoc@32473 canary="{canary.token}"]'
    intel = tmp_path / "canary.intel"
    intel.write_text(f"#fields\tindicator\tindicator_type\tmeta.source\n{canary.domain}\tIntel::DOMAIN\tverify\n")
    capsys.readouterr()
    assert main(["hunt", "--logs", str(receiver.log_dir), "--intel", str(intel), "--json"]) == 0
    alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(alerts) == 1, alerts
    assert alerts[0]["event"]["dataset"] == "syslog"
    assert canary.domain in alerts[0]["message"]
