"""End to end, a trainer's class on two copies: `minisoc lab create` (training-lab, MISP off: the scenario's
intel goes to each copy's feed, small heaps, a high port block of its own), `lab up`, `scenario run sshguess`
at real speed, a scripted student who acknowledges every alert and answers on copy 1 only, `scenario grade`
(table, --json, --html: copy 1 scores 100 %, copy 2 the passive 10 %), `scenario reset` (copy 1 back to the
scenario's start: its acks and answers gone, the alerts raised again), `lab down --volumes`.

Without a MISP, false positives are graded from the correlator's own record (the alert's mark): sshguess has
none to report; tests/integration/test_scenarios_offline.py grades phishing's against the MISP fake.
Prints the run time and the peak memory of the lab's containers (`docker stats`, sampled every few seconds).
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import cli, cli_ok, compose_project_containers, remove_leftover_projects, wait_for

from minisoc.ops import load_site
from minisoc.scenarios import find_scenario

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]
NAME = "scenarios-e2e"  # the copies' names and compose projects: minisoc-scenarios-e2e-NN-<id>
SETS = [
    "intel.misp.enabled=false",  # the intel goes to each copy's feed folder, served by its feed server
    "opensearch.dashboards.enabled=false",
    "opensearch.heap_mb=256",
    "resources.ram_budget_mb=2048",
    "intel.sync_interval=10s",
    "images.opensearch=minisoc/opensearch:2.19.4",  # the locally built one (no registry in CI)
]
TEMPLATE_PORTS = (9200, 8088)  # training-lab's opensearch and correlator ports (MISP and Dashboards off)
STRIDE = 10
ALERT_TIMEOUT_S = 300
_UNITS = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "kB": 1e3, "MB": 1e6, "GB": 1e9}


def free_offset(count: int) -> int:
    """A port offset, high and unlikely to be another lab's, whose every copy's ports are free now."""
    for offset in range(47000, 65535 - max(TEMPLATE_PORTS) - STRIDE * count, 130):
        ports = [port + offset + number * STRIDE for port in TEMPLATE_PORTS for number in range(1, count + 1)]
        if all(_free(port) for port in ports):
            return offset
    raise AssertionError("no free port block for the lab")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def memory_bytes(text: str) -> float:
    """`123.4MiB` (docker stats' MemUsage, its first half) in bytes."""
    number = text.rstrip("BKMGikb")
    return float(number) * _UNITS[text[len(number):]]


class MemoryPeak:
    """The peak of the summed memory of the containers whose name holds NAME, sampled in a thread."""

    def __init__(self, interval_s: float = 5.0) -> None:
        self.peak = 0.0
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            done = subprocess.run(["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}"],
                                  capture_output=True, text=True, timeout=60, check=False)
            total = sum(memory_bytes(line.split()[1]) for line in done.stdout.splitlines()
                        if NAME in line.split()[0])
            self.peak = max(self.peak, total)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> MemoryPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=90)


@pytest.fixture
def lab(tmp_path: Path, docker_engine: None) -> Iterator[Path]:
    lab_dir = tmp_path / "lab"
    sets = [part for item in SETS for part in ("--set", item)]
    removed = remove_leftover_projects(f"minisoc-{NAME}-")  # a cut-off earlier run's copies hold our ports
    print(f"[e2e] leftover copies removed: {removed or 'none'}")
    cli_ok("lab", "create", str(lab_dir), "--count", "2", "--name", NAME, "--port-offset",
           str(free_offset(2)), *sets)
    try:
        yield lab_dir
    finally:
        code, out, err = cli("lab", "down", str(lab_dir), "--volumes")
        print(f"[e2e] lab down --volumes exit {code} {out[-300:]} {err[-300:]}")
        for copy in ("copy-01", "copy-02"):
            project = load_site(lab_dir / copy).profile.project_name
            assert compose_project_containers(project) == [], f"{project} left containers behind"


def grade(lab_dir: Path, *extra: str) -> list[dict[str, Any]]:
    document = json.loads(cli_ok("scenario", "grade", "sshguess", str(lab_dir), "--json", *extra))
    copies: list[dict[str, Any]] = document["copies"]
    return copies


def alerts_earned(copy: dict[str, Any]) -> float:
    return sum(item["earned"] for item in copy["items"] if item["kind"] == "alerts")


def test_a_trainers_class_on_two_copies(lab: Path, tmp_path: Path) -> None:
    scenario = find_scenario("sshguess").scenario
    started = time.monotonic()
    with MemoryPeak() as memory:
        cli_ok("lab", "up", str(lab))
        up_s = time.monotonic() - started

        run = json.loads(cli_ok("scenario", "run", "sshguess", str(lab), "--json"))  # real speed: ~66 s
        assert [r["copy"] for r in run] == ["copy-01", "copy-02"] and all(r["records"] == 23 for r in run)
        waited = wait_for("every alert of the scenario in both copies",
                          lambda: all(alerts_earned(c) == 10 for c in grade(lab)), ALERT_TIMEOUT_S, 5.0)

        # the student of copy 1: acknowledges the scenario's alerts and answers; copy 2's does nothing
        site = lab / "copy-01"
        listed = json.loads(cli_ok("alerts", "list", str(site), "--json"))
        ours = [a for a in listed if "/scenarios/sshguess/" in json.dumps(a.get("minisoc", {}))]
        assert len(ours) == 12  # the 11 SSH connections and Zeek's notice
        for doc in ours:
            cli_ok("alerts", "ack", doc["event"]["id"], str(site))
        answers = {q.id: q.answer for q in scenario.questions}
        (site / "answers.yaml").write_text(yaml.safe_dump({"sshguess": answers}), encoding="utf-8")

        html = tmp_path / "grades.html"
        first, second = grade(lab, "--html", str(html))
        assert (first["copy"], first["percent"]) == ("copy-01", 100.0), first
        assert (second["copy"], second["percent"]) == ("copy-02", scenario.passive_score), second
        page = html.read_text(encoding="utf-8")
        assert page.count("<rect ") == 2 and "copy-01: 100.0 %" in page
        table = cli_ok("scenario", "grade", "sshguess", str(lab))
        assert "100.0 %" in table and "10.0 %" in table

        reset_started = time.monotonic()
        reset = json.loads(cli_ok("scenario", "reset", "sshguess", str(lab), "--only", "1", "--json"))
        reset_s = time.monotonic() - reset_started
        assert reset["reset"][0] | {"problems": []} == {
            "copy": "copy-01", "run_dirs": 1, "events": 1, "alerts": 12, "answers": True, "problems": []}
        assert not (site / "answers.yaml").exists()
        wait_for("the scenario's alerts again in copy 1, unacknowledged",
                 lambda: alerts_earned(grade(lab, "--only", "1")[0]) == 10, ALERT_TIMEOUT_S, 5.0)
        (again,) = grade(lab, "--only", "1")
        assert again["percent"] == scenario.passive_score, again
        assert grade(lab, "--only", "2")[0]["percent"] == scenario.passive_score  # copy 2 untouched
    total_s = time.monotonic() - started
    print(f"\n[e2e] lab up {up_s:.0f}s; alerts {waited:.0f}s after the run; reset {reset_s:.1f}s; "
          f"class total {total_s:.0f}s; peak memory of the lab's containers {memory.peak / 2**20:.0f} MiB")
