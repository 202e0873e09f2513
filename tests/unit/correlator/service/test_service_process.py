"""`minisoc correlate run --config` as a real process: healthz, alerts in SQLite, new log lines picked up,
graceful SIGTERM (exit 0, checkpoint written), and a restart that adds no duplicates."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from minisoc.correlator.sinks import SqliteAlertSink

REPO = Path(__file__).resolve().parents[4]
INTEL = "#fields\tindicator\tindicator_type\tmeta.source\n69.147.64.34\tIntel::ADDR\tlab\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(predicate, what: str, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def healthz(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            return json.load(reply)  # type: ignore[no-any-return]
    except OSError:
        return None


def start(config: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "installer"))
    return subprocess.Popen(
        [sys.executable, "-m", "minisoc", "correlate", "run", "--config", str(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_service_process_end_to_end(tmp_path: Path, shared_data: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    http_log = logs / "http.log"
    shutil.copy(shared_data / "zeek" / "json" / "zat" / "http.log", http_log)
    (tmp_path / "lab.intel").write_text(INTEL)
    port = free_port()
    config = tmp_path / "correlator.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "site": "lab",
                "state_dir": str(tmp_path / "state"),
                "logs": {"dir": str(logs), "poll_interval_s": 0.2},
                "intel": {"zeek_intel_files": [str(tmp_path / "lab.intel")], "sync_interval_s": 1},
                "sink": {"kind": "sqlite", "sqlite": {"path": str(tmp_path / "alerts.db")}},
                "export": {"zeek_intel_path": str(tmp_path / "export" / "minisoc.intel")},
                "http": {"bind": "127.0.0.1", "port": port},
            }
        )
    )
    matching = [line for line in http_log.read_text().splitlines() if '"69.147.64.34"' in line]
    process = start(config)
    try:
        health = wait_for(lambda: healthz(port), "/healthz")
        store = SqliteAlertSink(tmp_path / "alerts.db")
        wait_for(lambda: store.count() == len(matching), f"{len(matching)} alerts")
        assert health["site"] == "lab"
        wait_for(lambda: (healthz(port) or {}).get("status") == "ok", "status ok")
        # a new matching line arrives in the live log
        with http_log.open("a") as out:
            out.write(matching[0].replace('"uid":"', '"uid":"Cnew') + "\n")
        wait_for(lambda: store.count() == len(matching) + 1, "the alert for the appended line")
        assert (tmp_path / "export" / "minisoc.intel").read_text().count("69.147.64.34") == 1

        def metrics() -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as reply:
                return str(reply.read().decode())

        # the counter moves just after the alert is durable: wait for it rather than read it once
        wait_for(lambda: f"minisoc_alerts_total {len(matching) + 1}" in metrics(), "alerts_total in /metrics")
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "correlator stopped" in output and "Traceback" not in output
    assert (tmp_path / "state" / "tail").is_dir()
    # restart: everything is already committed, nothing is duplicated
    again = start(config)
    try:
        wait_for(lambda: (healthz(port) or {}).get("status") == "ok", "status ok after restart")
        time.sleep(1.0)
    finally:
        again.send_signal(signal.SIGTERM)
        again.communicate(timeout=30)
    final = SqliteAlertSink(tmp_path / "alerts.db")
    assert final.count() == len(matching) + 1
