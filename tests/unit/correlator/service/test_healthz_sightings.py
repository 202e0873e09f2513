"""/healthz says `sink.state: buffering` while a sighting waits on disk for MISP (as the docs say)."""

from __future__ import annotations

from pathlib import Path

from minisoc.correlator import Alert, Sighting, SinkUnavailable
from minisoc.correlator.intel import IntelFileSource
from minisoc.correlator.service.intel_set import IntelSet
from minisoc.correlator.service.loop import CorrelatorService, ServiceParts
from minisoc.correlator.service.metrics import ServiceMetrics
from minisoc.correlator.sinks import BufferedAlertSink, BufferedSightingSink, DurableBuffer, SqliteAlertSink
from minisoc.correlator.zeek import LogTailer


class MispDown:
    def add_sightings(self, sightings: object) -> None:
        raise SinkUnavailable("MISP does not answer")


def test_a_buffered_sighting_shows_as_buffering(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "lab.intel").write_text("#fields\tindicator\tindicator_type\tmeta.source\n")
    metrics = ServiceMetrics()
    parts = ServiceParts(
        site="lab",
        sources=[IntelFileSource(tmp_path / "lab.intel")],
        intel=IntelSet(tmp_path / "state" / "intel"),
        log_source=LogTailer(tmp_path / "logs", tmp_path / "state" / "tail", stats=metrics.read),
        alerts=BufferedAlertSink(
            SqliteAlertSink(tmp_path / "alerts.db"), DurableBuffer(tmp_path / "a", Alert)
        ),
        log_dir=tmp_path / "logs",
        sightings=BufferedSightingSink(MispDown(), DurableBuffer(tmp_path / "s", Sighting)),
        metrics=metrics,
    )
    service = CorrelatorService(parts)
    assert service.health()[1]["components"]["sink"]["state"] == "ok"
    assert parts.sightings is not None
    parts.sightings.add_sightings([Sighting(value="evil.example", source="lab", timestamp=1, type=0)])
    sink = service.health()[1]["components"]["sink"]
    assert sink["state"] == "buffering" and sink["backlog"]["sightings"] == 1
