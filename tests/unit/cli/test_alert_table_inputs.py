"""The alerts table names a syslog or flow alert's dataset in its log column (those alerts have no `zeek`)."""

from __future__ import annotations

from rich.console import Console

from minisoc.cli.alert_table import alerts_table
from minisoc.correlator.alerts import build_alerts
from minisoc.correlator.model import Indicator, LogRecord, Match


def test_the_log_column_shows_the_input() -> None:
    fields = {"source.ip": "192.0.2.10", "source.port": 51234, "destination.ip": "203.0.113.9",
              "destination.port": 443}
    record = LogRecord("netflow", fields, b"{}", "/logs/netflow/flows-2026-12-04.json", 0, 1.8e9)
    indicator = Indicator("203.0.113.9", "ip", "ip-dst|port", "feed", port=443)
    (alert,) = build_alerts(record, [Match(indicator, "destination.ip", "203.0.113.9")], now=1.8e9)
    console = Console(width=250, record=True)
    console.print(alerts_table([alert.doc], "alerts"))
    text = console.export_text()
    assert " netflow " in text and "-+netflow" not in text and "/logs/netflow/flows-2026-12-04.json" in text
    assert "192.0.2.10:51234" in text and "203.0.113.9:443" in text
