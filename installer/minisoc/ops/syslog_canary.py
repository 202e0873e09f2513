"""The verify canary through the syslog input: an RFC 5424 line naming the canary domain, sent to the
receiver's published TCP port (octet-counted, RFC 6587), must become an alert with `event.dataset: syslog`.

The line is a postfix `connect from HOST[ADDR]` message (mail.info): the correlator's postfix parser puts
HOST in `source.domain`, where the canary domain (`.invalid`, RFC 6761) is matched like any indicator value.
The structured data carries the canary token. The record stays in logs/syslog (an append-only log); its
alert is removed with the others.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from typing import Any

from minisoc.compose.runner import wait_until
from minisoc.errors import MinisocError, ReadinessTimeout
from minisoc.ops.access import Site
from minisoc.ops.canary import Canary
from minisoc.ops.checks import Check
from minisoc.site.layout import ALERTS_INDEX

SYSLOG_DATASET = "syslog"
CANARY_SD_ID = "minisoc@32473"  # 32473: IANA's example enterprise number (RFC 5612)
MAIL_INFO = 2 * 8 + 6  # facility mail, severity info


def canary_syslog_line(canary: Canary, now: datetime) -> str:
    """One RFC 5424 message: `<22>1 TIME minisoc-verify postfix/smtpd 4242 - [SD] connect from DOMAIN[IP]`."""
    stamp = now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    sd = f'[{CANARY_SD_ID} canary="{canary.token}"]'
    return (f"<{MAIL_INFO}>1 {stamp} minisoc-verify postfix/smtpd 4242 - {sd} "
            f"connect from {canary.domain}[192.0.2.25]")


def octet_counted(line: str) -> bytes:
    """RFC 6587 octet-counting framing (`LEN SP MSG`), what RFC 5425 uses over TLS too."""
    data = line.encode("utf-8")
    return str(len(data)).encode("ascii") + b" " + data


def syslog_alert_query(canary: Canary) -> dict[str, Any]:
    return {"size": 10, "query": {"bool": {"filter": [
        {"term": {"event.dataset": SYSLOG_DATASET}},
        {"match_phrase": {"message": canary.domain}},
    ]}}}


def send_syslog(address: str, port: int, payload: bytes, timeout_s: float = 10.0) -> None:
    host = "127.0.0.1" if address in ("0.0.0.0", "") else ("::1" if address == "::" else address)  # noqa: S104
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(payload)


def syslog_canary(site: Site, canary: Canary, timeout_s: float) -> tuple[list[Check], list[str]]:
    """Send the canary line to ports.syslog_tcp and wait for its alert: (checks, alert ids to remove)."""
    binding = site.profile.ports.syslog_tcp
    if binding is None:
        return [Check("syslog canary", False, "not sent: ports.syslog_tcp is not published",
                      "publish ports.syslog_tcp on 127.0.0.1 so verify can send through the receiver",
                      warning=True)], []
    started = time.monotonic()
    try:
        line = canary_syslog_line(canary, datetime.now(UTC))
        send_syslog(binding.host_address, binding.port, octet_counted(line))
    except OSError as error:
        where = f"{binding.host_address}:{binding.port}"
        return [Check("syslog canary", False, f"{where}: {error.strerror or error}",
                      "check `minisoc status` (the syslog service) and `minisoc logs syslog`")], []
    found: list[dict[str, Any]] = []

    def alert_found() -> bool:
        try:
            status, body = site.opensearch(timeout_s=5).request(
                "POST", f"/{ALERTS_INDEX}*/_search", syslog_alert_query(canary))
        except MinisocError:
            return False
        hits = body.get("hits", {}).get("hits", []) if status == 200 and isinstance(body, dict) else []
        found[:] = hits
        return bool(hits)

    try:
        wait_until(alert_found, what="syslog canary alert", timeout_s=timeout_s, interval_s=1.0)
    except ReadinessTimeout:
        return [Check("syslog canary", False, f"no syslog alert for {canary.domain} after {timeout_s:.0f}s",
                      "check `minisoc status` (the syslog input) and `minisoc logs syslog correlator`",
                      seconds=round(time.monotonic() - started, 3))], []
    ids = [f"{hit['_index']}/{hit['_id']}" for hit in found]
    return [Check("syslog canary", True, f"{len(found)} alert(s) with event.dataset syslog",
                  seconds=round(time.monotonic() - started, 3))], ids
