"""`minisoc status` with an intel source failing (a MISP that does not answer): the source is named with its
error in text and JSON, per-source indicator counts are shown, and the site is not `all_ready`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minisoc.correlator.service.http import StatusServer
from minisoc.correlator.service.metrics import ServiceMetrics, SourceState
from minisoc.ops import status_lines
from minisoc.ops.status import failing_sources, intel_status

MISP = "misp:misp.example.org"


@dataclass
class StubSite:
    """The one thing intel_status asks of a site: where the correlator answers."""

    url: str

    def correlator_url(self) -> str:
        return self.url


def health(metrics: ServiceMetrics) -> tuple[int, dict[str, Any]]:
    sources = {
        name: {
            "state": "error" if st.last_error else "ok",
            "last_error": st.last_error,
            "indicators": st.indicators,
            "sync_age_seconds": 1.0,
        }
        for name, st in metrics.sources.items()
    }
    return 200, {"status": "degraded", "components": {"intel": {"sources": sources}}}


def test_a_failing_misp_is_named_with_its_error() -> None:
    metrics = ServiceMetrics()
    metrics.sources["local-feed"] = SourceState(last_success=1.0, indicators=15)
    metrics.sightings.update(sent=lambda: 4, refused=lambda: 2)
    metrics.sources[MISP] = SourceState(
        last_success=1.0, last_error="MISP at https://misp.example.org/ did not answer"
    )
    server = StatusServer("127.0.0.1", 0, lambda: health(metrics), metrics.render)
    server.start()
    try:
        intel = intel_status(StubSite(f"http://127.0.0.1:{server.port}"))  # type: ignore[arg-type]
    finally:
        server.stop()
    status = {
        "site": "lab",
        "project": "p",
        "services": [],
        "intel": intel,
        "paths": {},
        "verify": {"last_pass": None},
    }
    assert intel["sources"][MISP]["state"] == "error" and intel["sources"]["local-feed"]["indicators"] == 15
    assert failing_sources(status) == {MISP: "MISP at https://misp.example.org/ did not answer"}
    text = "\n".join(status_lines(status))
    assert f"{MISP}: error, 0 indicators: MISP at https://misp.example.org/ did not answer" in text
    assert "local-feed: ok, 15 indicators" in text
    assert intel["sightings"] == {"sent": 4, "refused": 2} and "sightings: 4 sent, 2 refused by MISP" in text
