"""The service process dies (os._exit, as under SIGKILL) at each named crash point of a log batch and of a
retro-hunt (MINISOC_TEST_CRASH_AT, read only when a test sets it); the restart loses and duplicates
nothing. Alerts are compared with the offline hunt's over the same logs and intel, per alert id."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_service_process import free_port, healthz, wait_for

from minisoc.correlator import Alert
from minisoc.correlator.hunt import HuntRequest, run_hunt
from minisoc.correlator.service.faults import CRASH_ENV, CRASH_EXIT_CODE
from minisoc.correlator.sinks import SqliteAlertSink

REPO = Path(__file__).resolve().parents[4]
FIELDS = "#fields\tindicator\tindicator_type\tmeta.source\n"
FIRST = FIELDS + "10.18.20.8\tIntel::ADDR\tlab\n"
MORE = FIRST + "192.168.33.10\tIntel::ADDR\tlab\n"


def run(config: Path, crash_at: str | None) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "installer"))
    env.pop(CRASH_ENV, None)
    if crash_at is not None:
        env[CRASH_ENV] = crash_at
    return subprocess.Popen([sys.executable, "-m", "minisoc", "correlate", "run", "--config", str(config)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def make_site(tmp_path: Path, shared_data: Path) -> tuple[Path, int]:
    logs = tmp_path / "logs"
    logs.mkdir()
    for sub in ("json", "tsv"):
        for name in ("conn.log", "dns.log", "files.log"):
            shutil.copy(shared_data / "zeek" / sub / "zat" / name, logs / f"{sub}-{name}")
    (tmp_path / "lab.intel").write_text(FIRST)
    port = free_port()
    (tmp_path / "correlator.yaml").write_text(yaml.safe_dump({
        "site": "lab",
        "state_dir": str(tmp_path / "state"),
        "logs": {"dir": str(logs), "poll_interval_s": 0.1, "batch_lines": 50},
        "intel": {"zeek_intel_files": [str(tmp_path / "lab.intel")], "sync_interval_s": 0.2},
        "sink": {"kind": "sqlite", "sqlite": {"path": str(tmp_path / "alerts.db")}},
        "export": {"zeek_intel_path": None},
        "http": {"bind": "127.0.0.1", "port": port},
    }))
    return tmp_path, port


def hunt_ids(site: Path) -> set[str]:
    alerts: list[Alert] = []
    run_hunt(HuntRequest(logs=[str(site / "logs")], intel=[str(site / "lab.intel")]), alerts.extend)
    return {alert.id for alert in alerts}


def stored_ids(site: Path) -> list[str]:
    return [doc["event"]["id"] for doc in SqliteAlertSink(site / "alerts.db").list_alerts(limit=100_000)]


def crash_then_recover(site: Path, port: int, point: str) -> None:
    dying = run(site / "correlator.yaml", point)
    output = dying.communicate(timeout=60)[0].decode()
    assert dying.returncode == CRASH_EXIT_CODE, output
    recovering = run(site / "correlator.yaml", None)
    try:
        expected = hunt_ids(site)
        wait_for(lambda: set(stored_ids(site)) == expected, f"all {len(expected)} alerts after the restart")
        wait_for(lambda: not (site / "state" / "retro-pending.msgpack").exists(), "the retro debt cleared")
        wait_for(lambda: (healthz(port) or {}).get("status") == "ok", "status ok")
    finally:
        recovering.terminate()
        recovering.communicate(timeout=30)
    assert len(stored_ids(site)) == len(set(stored_ids(site)))


@pytest.mark.parametrize("point", ["alerts-durable", "logs-durable", "committed"])
def test_a_crash_at_each_point_of_a_batch_loses_nothing(
    tmp_path: Path, shared_data: Path, point: str
) -> None:
    site, port = make_site(tmp_path, shared_data)
    crash_then_recover(site, port, point)


@pytest.mark.parametrize("point", ["retro-owed", "retro-delivered"])
def test_a_crash_during_a_retro_hunt_loses_nothing(tmp_path: Path, shared_data: Path, point: str) -> None:
    site, port = make_site(tmp_path, shared_data)
    first = run(site / "correlator.yaml", None)
    try:
        expected = hunt_ids(site)
        wait_for(lambda: set(stored_ids(site)) == expected, "the live alerts")
    finally:
        first.terminate()
        first.communicate(timeout=30)
    (site / "lab.intel").write_text(MORE)  # read while the service is down: new at its next sync
    crash_then_recover(site, port, point)
    retro = [doc for doc in SqliteAlertSink(site / "alerts.db").list_alerts(limit=100_000)
             if doc["minisoc"]["retro"]]
    assert retro and {e["indicator"]["name"] for doc in retro for e in doc["threat"]["enrichments"]} == {
        "192.168.33.10"}
