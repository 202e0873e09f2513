"""The verify canary's syslog pieces: the RFC 5424 line, its octet-counted frame on a real socket, and the
alert query (the receiver's handling of the same line is in tests/e2e/test_e2e_syslog.py)."""

from __future__ import annotations

import re
import socket
import threading
from datetime import UTC, datetime

from minisoc.ops.canary import new_canary
from minisoc.ops.syslog_canary import (
    canary_syslog_line,
    octet_counted,
    send_syslog,
    syslog_alert_query,
)

RFC5424 = re.compile(  # PRI VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG (RFC 5424 section 6)
    r"^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S{1,255}) (?P<app>\S{1,48}) (?P<pid>\S{1,128}) "
    r"(?P<msgid>\S{1,32}) (?P<sd>\[[^\]]*\]|-) (?P<msg>.*)$"
)


def test_the_canary_line_is_rfc5424_mail_info_naming_the_domain() -> None:
    canary = new_canary()
    line = canary_syslog_line(canary, datetime(2026, 12, 5, 10, 0, 0, 123456, tzinfo=UTC))
    match = RFC5424.match(line)
    assert match is not None, line
    assert match["pri"] == "22" and match["ts"] == "2026-12-05T10:00:00.123Z"
    assert (match["app"], match["pid"], match["msgid"]) == ("postfix/smtpd", "4242", "-")
    assert match["sd"] == f'[minisoc@32473 canary="{canary.token}"]'
    assert match["msg"] == f"connect from {canary.domain}[192.0.2.25]"  # postfix's shape: source.domain


def test_the_frame_is_octet_counted_and_arrives_whole() -> None:
    line = canary_syslog_line(new_canary(), datetime.now(UTC))
    frame = octet_counted(line)
    assert frame == f"{len(line.encode())} {line}".encode()
    received = bytearray()
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def accept() -> None:
            conn, _ = server.accept()
            with conn:
                while chunk := conn.recv(4096):
                    received.extend(chunk)

        reader = threading.Thread(target=accept)
        reader.start()
        send_syslog("0.0.0.0", port, frame)
        reader.join(timeout=10)
    assert bytes(received) == frame


def test_the_alert_query_wants_a_syslog_alert_for_this_domain() -> None:
    canary = new_canary()
    filters = syslog_alert_query(canary)["query"]["bool"]["filter"]
    assert {"term": {"event.dataset": "syslog"}} in filters
    assert {"match_phrase": {"message": canary.domain}} in filters
