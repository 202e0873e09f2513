"""The service with syslog and netflow inputs on (built from its config as in production): each input's
directory tailed next to Zeek's (a missing directory is `missing`, not an error), alerts stored once across a
restart, rotation followed, per-input counters in /healthz and /metrics, and the retro-hunt covering the input
directories when new intel arrives."""

from __future__ import annotations

import json
import os
from pathlib import Path

from minisoc.correlator.config import (
    CorrelatorConfig,
    ExportConfig,
    InputDirConfig,
    InputsConfig,
    IntelConfig,
    LogsConfig,
    SightingsConfig,
    SinkConfig,
    SqliteSinkConfig,
)
from minisoc.correlator.service.build import build_parts
from minisoc.correlator.service.loop import CorrelatorService
from minisoc.correlator.sinks import SqliteAlertSink

INTEL = "#fields\tindicator\tindicator_type\tmeta.source\n198.51.100.7\tIntel::ADDR\tsite\n"
MORE_INTEL = INTEL + "203.0.113.9\tIntel::ADDR\tsite\n"
SSH = {"minisoc_input": "syslog", "@timestamp": "2026-12-04T21:15:53+00:00", "host": "gw1", "program": "sshd",
       "pid": "812", "message": "Failed password for root from {addr} port {port} ssh2", "protocol": "0"}
FLOW = {"type": "NETFLOW_V9", "time_flow_start_ns": 1796418950000000000, "sampler_address": "192.0.2.1",
        "src_addr": "192.0.2.10", "dst_addr": "{addr}", "src_port": 51234, "dst_port": 443, "proto": "TCP",
        "bytes": 1500, "packets": 3}


def config_for(root: Path) -> CorrelatorConfig:
    (root / "zeek").mkdir(exist_ok=True)
    (root / "site.intel").write_text(INTEL)
    return CorrelatorConfig(
        site="inputs", state_dir=root / "state", logs=LogsConfig(dir=root / "zeek", batch_lines=3),
        inputs=InputsConfig(syslog=InputDirConfig(dir=root / "syslog"),
                            netflow=InputDirConfig(dir=root / "netflow")),
        intel=IntelConfig(zeek_intel_files=[root / "site.intel"]),
        sink=SinkConfig(kind="sqlite", sqlite=SqliteSinkConfig(path=root / "alerts.db")),
        export=ExportConfig(zeek_intel_path=None), sightings=SightingsConfig(enabled=False))


def ssh_line(addr: str, port: int) -> str:
    return json.dumps({**SSH, "message": SSH["message"].format(addr=addr, port=port)}) + "\n"


def flow_line(addr: str) -> str:
    return json.dumps({**FLOW, "dst_addr": addr}) + "\n"


def append(path: Path, text: str) -> None:
    path.parent.mkdir(exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def stored(root: Path) -> list[dict[str, object]]:
    store = SqliteAlertSink(root / "alerts.db")
    try:
        return store.list_alerts(limit=1000)
    finally:
        store.close()


def run_once(config: CorrelatorConfig) -> CorrelatorService:
    service = CorrelatorService(build_parts(config))
    service.step()
    return service


def test_inputs_are_tailed_alerted_and_reported(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    syslog = tmp_path / "syslog" / "syslog-2026-12-04.json"
    append(syslog, ssh_line("198.51.100.7", 4711) + ssh_line("192.0.2.99", 4712) + "{broken\n")
    service = run_once(config)  # netflow's directory does not exist yet
    _, health = service.health()
    inputs = health["components"]["inputs"]
    assert inputs["netflow"]["state"] == "missing" and health["status"] == "ok"
    assert inputs["syslog"]["state"] == "receiving" and inputs["syslog"]["records"] == 2
    assert inputs["syslog"]["malformed"] == 1 and inputs["syslog"]["last_record_age_seconds"] is not None
    assert [doc["event"]["dataset"] for doc in stored(tmp_path)] == ["syslog"]  # type: ignore[index]

    append(tmp_path / "netflow" / "flows-2026-12-04.json", flow_line("198.51.100.7") + flow_line("192.0.2.1"))
    service.step()
    datasets = sorted(str(doc["event"]["dataset"]) for doc in stored(tmp_path))  # type: ignore[index]
    assert datasets == ["netflow", "syslog"]
    metrics = service.metrics.render()
    assert 'minisoc_input_records_total{input="netflow"} 2' in metrics
    assert 'minisoc_input_records_total{input="syslog"} 2' in metrics
    assert 'minisoc_input_malformed_total{input="syslog",reason="invalid_json"} 1' in metrics
    assert 'minisoc_input_receiving{input="netflow"} 1' in metrics
    assert (tmp_path / "state" / "dead-letter-syslog.jsonl").read_text().count("\n") == 1
    service.parts.alerts.close()


def test_restart_and_rotation_add_nothing_twice_and_lose_nothing(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    syslog = tmp_path / "syslog" / "syslog-2026-12-04.json"
    append(syslog, "".join(ssh_line("198.51.100.7", port) for port in range(4000, 4005)))
    first = run_once(config)
    first.parts.alerts.close()
    assert len(stored(tmp_path)) == 5
    os.rename(syslog, syslog.with_name("syslog-2026-12-04.json.1"))  # logrotate, then lines in a new file
    append(syslog.with_name("syslog-2026-12-04.json.1"), ssh_line("198.51.100.7", 4005))
    append(syslog, ssh_line("198.51.100.7", 4006))
    second = run_once(config)  # a new process: the checkpoint of the first
    second.parts.alerts.close()
    ports = sorted(doc["source"]["port"] for doc in stored(tmp_path))  # type: ignore[index]
    assert ports == list(range(4000, 4007))


def test_new_intel_is_retro_hunted_in_the_input_directories(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    append(tmp_path / "syslog" / "syslog-2026-12-04.json", ssh_line("203.0.113.9", 22))
    append(tmp_path / "netflow" / "flows-2026-12-04.json", flow_line("203.0.113.9"))
    service = run_once(config)
    assert stored(tmp_path) == []
    (tmp_path / "site.intel").write_text(MORE_INTEL)
    service.sync_intel()
    service.parts.alerts.close()
    docs = stored(tmp_path)
    assert sorted(str(doc["event"]["dataset"]) for doc in docs) == ["netflow", "syslog"]  # type: ignore[index]
    assert all(doc["minisoc"]["retro"] for doc in docs)  # type: ignore[index]
