"""The whole chain for the two new inputs, on one real site (`first-contact` with `inputs.syslog` and
`inputs.netflow` on, free loopback ports, a 384 MB OpenSearch heap): an address and a domain planted in the
site's local feed; util-linux `logger` sends sshd and generic lines over TCP and UDP (RFC 3164 and 5424) to
rsyslog; softflowd replays a pcap holding the planted address as NetFlow v9 and IPFIX to nfacctd; then alerts
with event.dataset syslog and netflow for the planted indicators are searchable, the records are in the
`*-syslog-*` / `*-netflow-*` log indices, `status` shows both inputs receiving, `verify` passes (its syslog
and flow canaries included), `down --volumes` cleans up. Prints the run time and the containers' peak memory.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from e2e_support import cli, cli_ok, free_ports, search_alerts, wait_for
from pymisp import MISPEvent, MISPOrganisation

from minisoc.ops import load_site
from minisoc.ops.feed_dir import publish_event

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.timeout(2400)]
ALERT_TIMEOUT_S = 300
PCAP = "sshguess.pcap"
PLANTED_ADDRESS = "192.168.56.1"  # the client in sshguess.pcap (its Zeek conn.log: id.orig_h of every conn)
PORT_KEYS = ("opensearch", "correlator", "feedserver", "syslog_udp", "syslog_tcp", "syslog_tls", "netflow",
             "ipfix")


class MemoryWatch:
    """Peak memory per container of the site's compose project, sampled by `docker stats` every few s."""

    def __init__(self, project: str) -> None:
        self.project, self.peak_mib = project, {}  # type: dict[str, float]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            label = f"label=com.docker.compose.project={self.project}"
            ids = subprocess.run(["docker", "ps", "-q", "--filter", label],
                                 capture_output=True, text=True, timeout=30, check=False).stdout.split()
            if ids:
                stats = ["docker", "stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", *ids]
                done = subprocess.run(stats, capture_output=True, text=True, timeout=60, check=False)
                for line in done.stdout.splitlines():
                    name, usage = line.split(" ", 1)
                    mib = to_mib(usage.split("/")[0].strip())
                    self.peak_mib[name] = max(mib, self.peak_mib.get(name, 0.0))
            self._stop.wait(3)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=90)


def to_mib(text: str) -> float:
    units = {"B": 1 / 2**20, "KiB": 1 / 1024, "kB": 1 / 1024, "MiB": 1.0, "MB": 1.0, "GiB": 1024.0,
             "GB": 1024.0}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    return 0.0


def plant(feed_dir: Path, address: str, domain: str) -> str:
    """One MISP feed event (PyMISP's feed export, as ops/verify.py publishes its canary) with the address as
    ip-src and ip-dst (an sshd client is a source, the reverse flow's destination) and the domain."""
    event = MISPEvent()
    event.uuid = str(uuid.uuid4())
    event.info = "minisoc e2e inputs: planted indicators"
    organisation = MISPOrganisation()
    organisation.name = "minisoc-e2e-inputs"
    organisation.uuid = "5b2c6f0e-4a1d-4c8e-9b7a-696e70757473"
    event.Orgc = organisation
    event.published = True
    event.threat_level_id = 2
    event.analysis = 2
    event.set_date(datetime.now(UTC).date())
    event.timestamp = datetime.now(UTC)
    event.add_attribute("ip-src", address, to_ids=True)
    event.add_attribute("ip-dst", address, to_ids=True)
    event.add_attribute("domain", domain, to_ids=True)
    exported = event.to_feed(with_meta=True)["Event"]
    manifest = exported.pop("_manifest")[event.uuid]
    hashes = exported.pop("_hashes")
    publish_event(feed_dir, event.uuid, exported, manifest, hashes)
    return str(event.uuid)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, docker_engine: None) -> Iterator[Path]:
    started = time.monotonic()
    site_dir = tmp_path_factory.mktemp("inputs") / "site"
    ports = dict(zip(PORT_KEYS, free_ports(len(PORT_KEYS)), strict=True))
    args = ["init", str(site_dir), "--template", "first-contact", "--non-interactive",
            "--set", "site.name=e2e-inputs", "--set", "intel.sync_interval=10s",
            "--set", "opensearch.heap_mb=384",
            "--set", "inputs.syslog.enabled=true", "--set", "inputs.netflow.enabled=true"]
    for key, port in ports.items():
        args += ["--set", f"ports.{key}.port={port}"]
    cli_ok(*args)
    cli_ok("render", str(site_dir))
    cli_ok("images", "build", str(site_dir))
    project = load_site(site_dir).profile.project_name
    with MemoryWatch(project) as memory:
        try:
            cli_ok("up", str(site_dir), "--json")
            yield site_dir
        finally:
            code, _, err = cli("down", str(site_dir), "--volumes")
            print(f"\n[e2e inputs] down --volumes exit {code} {err[-300:]}")
    peaks = ", ".join(f"{name} {mib:.0f} MiB" for name, mib in sorted(memory.peak_mib.items()))
    print(f"[e2e inputs] run time {time.monotonic() - started:.0f}s (images build, up, tests, down); "
          f"peak memory: {peaks}; sum of peaks {sum(memory.peak_mib.values()):.0f} MiB")


def alerts(site_dir: Path, dataset: str, value: str) -> list[dict[str, Any]]:
    return search_alerts(site_dir, {"bool": {"filter": [
        {"term": {"event.dataset": dataset}},
        {"nested": {"path": "threat.enrichments",
                    "query": {"term": {"threat.enrichments.matched.atomic": value}}}},
    ]}})


def log_records(site_dir: Path, pattern: str, text: str) -> int:
    client = load_site(site_dir).opensearch(timeout_s=30)
    client.request("POST", f"/{pattern}/_refresh")
    status, body = client.request("POST", f"/{pattern}/_search",
                                  {"size": 0, "query": {"query_string": {"query": f'"{text}"'}}})
    return int(body["hits"]["total"]["value"]) if status == 200 else 0


def logger(port: int, transport: str, message: str, *extra: str) -> None:
    subprocess.run(["logger", "--server", "127.0.0.1", "--port", str(port), transport, "-t", "sshd",
                    "-p", "auth.info", *extra, message], check=True, capture_output=True, timeout=30)


def softflowd(pcap: Path, port: int, version: int) -> str:
    done = subprocess.run(["softflowd", "-r", str(pcap), "-n", f"127.0.0.1:{port}", "-v", str(version)],
                          check=True, capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def exported_records(softflowd_output: str) -> int:
    found = re.search(r"Flows exported: \d+ \((\d+) records\)", softflowd_output)
    assert found, softflowd_output
    return int(found.group(1))


def test_syslog_and_flows_alert_are_stored_and_verify_passes(site: Path, shared_data: Path) -> None:
    loaded = load_site(site)
    assert loaded.paths.local_feed_dir is not None
    domain = f"phish-{uuid.uuid4().hex[:10]}.example.com"  # an ICANN TLD: the generic extractor keeps it
    plant(loaded.paths.local_feed_dir, PLANTED_ADDRESS, domain)
    time.sleep(25)  # two intel sync periods: the indicators are loaded before the records come
    ports = {key: binding.port for key, binding in loaded.profile.ports if binding is not None}
    tcp, udp = ports["syslog_tcp"], ports["syslog_udp"]
    logger(tcp, "--tcp", f"Failed password for root from {PLANTED_ADDRESS} port 4711 ssh2", "--rfc3164")
    logger(udp, "--udp", f"Failed password for root from {PLANTED_ADDRESS} port 4711 ssh2", "--rfc5424")
    logger(tcp, "--tcp", f"session opened by proxy for https://{domain}/login", "--rfc5424")
    logger(udp, "--udp", f"session opened by proxy for https://{domain}/login", "--rfc3164")

    assert shutil.which("softflowd"), "softflowd (Debian) is installed by .ci/test"
    pcap = shared_data / "pcaps" / PCAP
    exported = exported_records(softflowd(pcap, ports["netflow"], 9))
    exported += exported_records(softflowd(pcap, ports["ipfix"], 10))
    assert exported == 44  # 11 TCP connections, a record per direction, twice (v9 and IPFIX)

    waited = wait_for("syslog alerts for the planted address and domain",
                      lambda: bool(alerts(site, "syslog", PLANTED_ADDRESS))
                      and bool(alerts(site, "syslog", domain)),
                      ALERT_TIMEOUT_S, 5)
    print(f"\n[e2e inputs] syslog alerts searchable after {waited:.0f}s")
    waited = wait_for("netflow alerts for the planted address",
                      lambda: bool(alerts(site, "netflow", PLANTED_ADDRESS)), ALERT_TIMEOUT_S, 5)
    print(f"[e2e inputs] netflow alerts searchable after {waited:.0f}s more")
    sshd = alerts(site, "syslog", PLANTED_ADDRESS)
    assert any(a.get("source", {}).get("ip") == PLANTED_ADDRESS for a in sshd), sshd[:1]

    wait_for("the syslog records in the *-syslog-* log indices",
             lambda: log_records(site, "*-syslog-*", domain) >= 2, 120, 5)
    flows = alerts(site, "netflow", PLANTED_ADDRESS)
    assert {(a["source"]["ip"], a["destination"]["port"]) for a in flows} & {(PLANTED_ADDRESS, 22)}, flows[:1]
    # count in = count stored: every record softflowd exported is in the log storage, none twice
    wait_for("the flow records in the *-netflow-* log indices",
             lambda: log_records(site, "*-netflow-*", PLANTED_ADDRESS) >= exported, 120, 5)
    time.sleep(10)
    assert log_records(site, "*-netflow-*", PLANTED_ADDRESS) == exported

    status = json.loads(cli_ok("status", str(site), "--json"))
    text = json.dumps(status)
    assert "syslog_receiver" in status and "netflow" in status, text[:2000]
    lines = "\n".join(cli_ok("status", str(site)).splitlines())
    assert "syslog: receiving" in lines and "netflow: receiving" in lines, lines

    report = cli_ok("verify", str(site))
    print(f"[e2e inputs] verify:\n{report}")
