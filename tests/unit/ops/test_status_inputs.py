"""`minisoc status` per input (syslog, netflow) from the correlator's real /healthz and /metrics over HTTP:
receiving or not, records per second, last record age; a directory that does not exist is `missing`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minisoc.correlator.service.http import StatusServer
from minisoc.correlator.service.inputs import InputState
from minisoc.correlator.service.metrics import ServiceMetrics
from minisoc.ops import status_lines
from minisoc.ops.status import intel_status


@dataclass
class StubSite:
    url: str

    def correlator_url(self) -> str:
        return self.url


def test_status_shows_each_input(tmp_path: Path) -> None:
    metrics = ServiceMetrics()
    syslog = metrics.inputs["syslog"] = InputState(tmp_path)
    syslog.present = True
    syslog.count(0, None, 1000.0)
    syslog.count(120, 999.0, 1010.0)  # 120 records over 10 s
    netflow = metrics.inputs["netflow"] = InputState(tmp_path / "netflow")
    now = 1012.0

    def health() -> tuple[int, dict[str, Any]]:
        inputs = {name: state.summary(now) for name, state in metrics.inputs.items()}
        return 200, {"status": "ok", "components": {"intel": {"sources": {}}, "inputs": inputs}}

    server = StatusServer("127.0.0.1", 0, health, lambda: metrics.render(now))
    server.start()
    try:
        intel = intel_status(StubSite(f"http://127.0.0.1:{server.port}"))  # type: ignore[arg-type]
    finally:
        server.stop()
    assert intel["inputs"]["syslog"]["state"] == "receiving"
    assert intel["inputs"]["syslog"]["records_per_second"] == 10.0
    assert intel["inputs"]["netflow"]["state"] == "missing"
    status = {"site": "lab", "project": "p", "services": [], "intel": intel, "paths": {},
              "verify": {"last_pass": None}}
    text = "\n".join(status_lines(status))
    assert "input syslog: receiving, 10.0 records/s, last record 2.0s ago (120 read, 0 malformed)" in text
    missing = (f"input netflow: missing, 0.0 records/s, no record yet (0 read, 0 malformed) "
               f"({netflow.directory} does not exist: is the receiver up?)")
    assert missing in text
    assert 'minisoc_input_records_per_second{input="syslog"} 10' in metrics.render(now)
