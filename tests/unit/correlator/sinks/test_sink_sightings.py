"""Sightings: one per indicator per batch, grouped into few MISP calls; MISP down -> SinkUnavailable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from factories import domain_indicator, ip_indicator
from minisoc.correlator import Indicator, LogRecord, Match, SinkUnavailable
from minisoc.correlator.alerts import build_alerts
from minisoc.correlator.config import MispApiConfig
from minisoc.correlator.sinks import MispSightingSink, false_positive_sightings, sightings_for

IND = ip_indicator(attribute_uuid="a-uuid")
DOM = domain_indicator()


def alerts_at(times: list[float], indicator: Indicator) -> list[Any]:
    out = []
    for n, ts in enumerate(times):
        record = LogRecord(log_type="conn", fields={}, raw=f"{indicator.value} {n}".encode(), ts=ts)
        out += build_alerts(record, [Match(indicator, "id.resp_h", indicator.value)])
    return out


class RecordingMisp:
    """A recording stand-in for PyMISP's client (the MISP server itself is faked elsewhere)."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[dict[str, Any], str | None]] = []
        self.fail = fail

    def add_sighting(self, body: dict[str, Any], attribute: str | None = None) -> dict[str, Any]:
        if self.fail:
            raise ConnectionError("refused")
        self.calls.append((body, attribute))
        return {"Sighting": {}}


def test_one_sighting_per_indicator_with_latest_time() -> None:
    alerts = alerts_at([100.0, 300.0, 200.0], IND) + alerts_at([50.0], DOM)
    sightings = sightings_for(alerts, "lab")
    assert [(s.value, s.timestamp, s.type, s.source) for s in sightings] == [
        ("198.51.100.7", 300, 0, "lab"),
        ("evil.example", 50, 0, "lab"),
    ]


def test_an_alert_of_two_indicators_sights_both() -> None:
    """One alert per record now carries every matched indicator: each is still sighted (and, for a false
    positive, each attribute)."""
    record = LogRecord(log_type="dns", fields={}, raw=b"both", ts=100.0)
    [alert] = build_alerts(record, [Match(IND, "id.resp_h", IND.value), Match(DOM, "query", DOM.value)])
    assert [(s.value, s.timestamp) for s in sightings_for([alert], "lab")] == [
        ("198.51.100.7", 100), ("evil.example", 100)]
    fps = false_positive_sightings(alert.doc, "lab", now=5.0)
    assert [(s.value, s.attribute_uuid, s.type) for s in fps] == [
        ("198.51.100.7", "a-uuid", 1), ("evil.example", None, 1)]


def test_misp_sink_sends_by_attribute_uuid_when_known_else_one_value_per_call(tmp_path: Path) -> None:
    """One value per call: MISP answers a batch of values with one sighting, dropping unknown ones."""
    key = tmp_path / "key"
    key.write_text("k" * 40)
    misp = RecordingMisp()
    sink = MispSightingSink(MispApiConfig(url="https://misp", key_file=key), client_factory=lambda: misp)
    seen = sightings_for(alerts_at([100.0], IND) + alerts_at([100.0], DOM), "lab")
    sink.add_sightings(seen)
    assert misp.calls == [
        ({"source": "lab", "type": "0", "timestamp": 100}, "a-uuid"),
        ({"values": ["evil.example"], "source": "lab", "type": "0", "timestamp": 100}, None),
    ]
    fp = false_positive_sightings(alerts_at([1.0], IND)[0].doc, "lab", now=5.0)
    sink.add_sightings(fp)
    assert misp.calls[-1] == ({"source": "lab", "type": "1", "timestamp": 5}, "a-uuid")
    assert sink.sent == 3


class RefusingMisp(RecordingMisp):
    """MISP's answers (real MISP 2.5.1) when it has no attribute for a sighting: HTTP 200 and a message;
    PyMISP's form of an error status: {"errors": (status, body)}."""

    def add_sighting(self, body: dict[str, Any], attribute: str | None = None) -> dict[str, Any]:
        self.calls.append((body, attribute))
        if attribute == "gone":
            return {"errors": (404, {"message": "Invalid attribute"})}
        if body.get("values") == ["evil.example"]:
            return {
                "message": "Could not add the Sighting. Reason: No valid attributes found that match ..."
            }
        return {"Sighting": {"id": "1"}}


def test_refused_sightings_are_counted_not_sent(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("k" * 40)
    sink = MispSightingSink(MispApiConfig(url="https://misp", key_file=key), client_factory=RefusingMisp)
    gone = Indicator(value="192.0.2.1", kind="ip", type="ip-dst", source="misp", attribute_uuid="gone")
    sink.add_sightings(
        sightings_for(alerts_at([1.0], IND) + alerts_at([1.0], DOM) + alerts_at([1.0], gone), "lab")
    )
    assert (sink.sent, sink.refused) == (1, 2)
    assert sink.last_refusal is not None and "Invalid attribute" in sink.last_refusal


def test_misp_unreachable_is_sink_unavailable(tmp_path: Path) -> None:
    key = tmp_path / "key"
    key.write_text("k")
    sink = MispSightingSink(
        MispApiConfig(url="https://misp", key_file=key), client_factory=lambda: RecordingMisp(True)
    )
    with pytest.raises(SinkUnavailable):
        sink.add_sightings(sightings_for(alerts_at([1.0], DOM), "lab"))


def test_refused_sightings_reach_the_metrics(tmp_path: Path) -> None:
    from minisoc.correlator.config import (
        CorrelatorConfig,
        IntelConfig,
        LogsConfig,
        SinkConfig,
        SqliteSinkConfig,
    )
    from minisoc.correlator.service.build import build_parts

    key = tmp_path / "key"
    key.write_text("k" * 40)
    (tmp_path / "logs").mkdir()
    config = CorrelatorConfig(
        site="lab",
        state_dir=tmp_path / "state",
        logs=LogsConfig(dir=tmp_path / "logs"),
        intel=IntelConfig(misp=MispApiConfig(url="https://misp.example", key_file=key)),
        sink=SinkConfig(kind="sqlite", sqlite=SqliteSinkConfig(path=tmp_path / "alerts.db")),
    )
    parts = build_parts(config)
    inner = parts.sightings.inner  # type: ignore[union-attr]
    inner._factory = RefusingMisp
    inner.add_sightings(sightings_for(alerts_at([1.0], IND) + alerts_at([1.0], DOM), "lab"))
    rendered = parts.metrics.render()
    assert 'minisoc_sightings_total{outcome="refused"} 1' in rendered
    assert 'minisoc_sightings_total{outcome="sent"} 1' in rendered


def test_a_refused_key_keeps_the_sightings_for_later(tmp_path: Path) -> None:
    """A 403 is about the key (e.g. replaced by `minisoc up`), not the sighting: retried, not dropped."""

    class WrongKey(RecordingMisp):
        def add_sighting(self, body: dict[str, Any], attribute: str | None = None) -> dict[str, Any]:
            return {"errors": (403, {"message": "Authentication failed."})}

    key = tmp_path / "key"
    key.write_text("k" * 40)
    sink = MispSightingSink(MispApiConfig(url="https://misp", key_file=key), client_factory=WrongKey)
    with pytest.raises(SinkUnavailable, match="automation key"):
        sink.add_sightings(sightings_for(alerts_at([1.0], DOM), "lab"))
    assert (sink.sent, sink.refused) == (0, 0)
