"""End to end on a trainer's lab: two copies of `training-lab` (MISP and Dashboards off: no registry here,
small heaps), created, brought up, verified and inspected together, one copy reset while the other keeps
its work, then taken down with their volumes.

Each copy gets an indicator of its own and a DNS record matching it (a student's work); `lab reset --only 2`
must remove copy 2's alert for good (its log and feed folders are back to the sample data) and leave copy
1's. The lab has its own name (`lab-e2e-*`, in every compose project) and a port block far above the usual
ports, checked free, so it runs beside other sites and labs on the host. The run time and the peak memory of
the lab's containers (sampled with `docker stats`) are printed.
"""

from __future__ import annotations

import json
import random
import secrets
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from e2e_support import (
    alerts_for_domain,
    cli,
    cli_ok,
    compose_project_containers,
    dns_line,
    publish_domains,
    remove_leftover_projects,
    wait_for,
    write_atomically,
)

from minisoc.lab import copies
from minisoc.ops import load_site
from minisoc.ops.host import port_is_free

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(2400)]
ALERT_TIMEOUT_S = 300
BASE_PORTS = (9200, 8088, 8089)  # training-lab's opensearch, correlator (and feed server) base ports
STRIDE = 10


def free_offset(count: int) -> int:
    """A --port-offset that puts every copy's ports in 40000-60000 where nothing listens now."""
    rng = random.Random(secrets.randbits(32))
    for _ in range(200):
        offset = rng.randrange(31000, 50000, 100)
        ports = [base + offset + number * STRIDE for base in BASE_PORTS for number in range(1, count + 1)]
        if all(port_is_free("127.0.0.1", port) for port in ports):
            return offset
    raise AssertionError("no free port block for the lab")


@dataclass
class MemorySampler:
    """The summed memory of the lab's containers, sampled every `interval_s` from `docker stats`."""

    name_part: str
    interval_s: float = 10.0
    peak_mib: float = 0.0
    samples: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> float:
        done = subprocess.run(
            ["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}"],
            capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        total = 0.0
        units = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1.0, "GiB": 1024.0}
        for line in done.stdout.splitlines():
            name, _, usage = line.partition(" ")
            if self.name_part not in name:
                continue
            used = usage.split("/")[0].strip()
            for unit, factor in sorted(units.items(), key=lambda item: -len(item[0])):
                if used.endswith(unit):
                    total += float(used.removesuffix(unit)) * factor
                    break
        return total

    def run(self) -> None:
        while not self.stop.wait(self.interval_s):
            self.peak_mib = max(self.peak_mib, self.sample())
            self.samples += 1


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, docker_engine: None) -> Iterator[Path]:
    removed = remove_leftover_projects("minisoc-lab-e2e-")  # a cut-off earlier run's copies hold ports
    print(f"[e2e] leftover copies removed: {removed or 'none'}")
    name = f"lab-e2e-{secrets.token_hex(3)}"
    lab_dir = tmp_path_factory.mktemp("lab-e2e") / "class"
    started = time.monotonic()
    sampler = MemorySampler(name)
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    cli_ok(
        "lab", "create", str(lab_dir), "--count", "2", "--name", name,
        "--port-offset", str(free_offset(2)), "--port-stride", str(STRIDE),
        "--set", "intel.misp.enabled=false",  # misp-docker's images need a registry
        "--set", "opensearch.dashboards.enabled=false",
        "--set", "images.opensearch=minisoc/opensearch:2.19.4",  # built by `minisoc images build`
        "--set", "opensearch.heap_mb=384",
        "--set", "intel.sync_interval=10s",
    )  # fmt: skip
    try:
        yield lab_dir
    finally:
        code, out, err = cli("lab", "down", str(lab_dir), "--volumes")
        sampler.stop.set()
        thread.join(timeout=90)
        print(f"\n[e2e lab] down --volumes exit {code} {out[-400:]} {err[-400:]}")
        print(f"[e2e lab] 2 copies: {time.monotonic() - started:.0f}s from create to down; peak memory of "
              f"the lab's containers {sampler.peak_mib:.0f} MiB ({sampler.samples} samples)")


def add_student_work(site_dir: Path, domain: str) -> None:
    """An indicator in the copy's feed and a DNS record that matches it: one alert to come."""
    site = load_site(site_dir)
    assert site.paths.local_feed_dir is not None
    publish_domains(site.paths.local_feed_dir, [domain], f"lab e2e: {domain}")
    record = dns_line(f"C{secrets.token_hex(8)}", domain, time.time())
    write_atomically(site.paths.log_dir / f"dns-lab-{secrets.token_hex(4)}.log", record.encode("utf-8"))


def test_two_copies_up_verified_reset_one_and_down(lab: Path) -> None:
    up = json.loads(cli_ok("lab", "up", str(lab), "--json"))
    assert up["ok"] and [c["copy"] for c in up["copies"]] == [1, 2]

    verified = json.loads(cli_ok("lab", "verify", str(lab), "--json"))
    assert verified["ok"] and len(verified["copies"]) == 2, verified

    status = json.loads(cli_ok("lab", "status", str(lab), "--json"))
    assert [c["ok"] for c in status["copies"]] == [True, True], status
    projects = {load_site(site).profile.project_name for site in copies(lab)}
    assert len(projects) == 2 and all("lab-e2e-" in project for project in projects)

    site_1, site_2 = copies(lab)
    domains = {site_dir: f"{secrets.token_hex(4)}.lab-e2e.example" for site_dir in (site_1, site_2)}
    for site_dir, domain in domains.items():
        add_student_work(site_dir, domain)
    for site_dir, domain in domains.items():
        wait_for(f"the alert for {domain}", lambda s=site_dir, d=domain: bool(alerts_for_domain(s, d)),
                 ALERT_TIMEOUT_S)  # fmt: skip
    # the copies are isolated: neither sees the other's indicator
    assert not alerts_for_domain(site_1, domains[site_2]) and not alerts_for_domain(site_2, domains[site_1])

    started = time.monotonic()
    reset = json.loads(cli_ok("lab", "reset", str(lab), "--only", "2", "--json"))
    took = time.monotonic() - started
    print(f"\n[e2e lab] reset of copy 2: {took:.1f}s")
    assert [c["copy"] for c in reset["copies"]] == [2] and reset["ok"], reset
    assert not alerts_for_domain(site_2, domains[site_2])
    # the correlator reads the sample data again: give it time to (not) raise the student's alert again
    time.sleep(45)
    assert not alerts_for_domain(site_2, domains[site_2])
    assert alerts_for_domain(site_1, domains[site_1])
    assert json.loads(cli_ok("lab", "status", str(lab), "--only", "2", "--json"))["ok"]

    down = json.loads(cli_ok("lab", "down", str(lab), "--volumes", "--json"))
    assert down["ok"]
    assert all(compose_project_containers(project) == [] for project in projects)
