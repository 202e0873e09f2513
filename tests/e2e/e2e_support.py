"""Helpers for the end-to-end suite: drive the installed CLI, read OpenSearch, build feeds and log lines.

Expected matches are computed here independently of the correlator (plain string comparisons on the raw
JSON records), so the suite can catch the correlator missing or inventing alerts.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymisp import MISPEvent, MISPOrganisation

from log_lines import read_lines
from minisoc.cli.main import main
from minisoc.ops import load_site
from minisoc.ops.feed_dir import publish_event

ALERTS = "minisoc-alerts*"

# The release check (docs/operations.md): MINISOC_E2E_IMAGES=upstream runs the same suite against the official
# images, with MISP and Dashboards in the site as in the small-site template, on a machine with a registry.
IMAGES_ENV = "MINISOC_E2E_IMAGES"
IMAGE_MODES = ("local", "upstream")


def images_mode(environ: Mapping[str, str] | None = None) -> str:
    """`local` (the default: CI here, no registry) or `upstream`; anything else is refused, not ignored."""
    value = (os.environ if environ is None else environ).get(IMAGES_ENV, "") or "local"
    if value not in IMAGE_MODES:
        raise ValueError(f"{IMAGES_ENV}={value!r}: expected one of {', '.join(IMAGE_MODES)}")
    return value


def init_args(
    site_dir: Path, mode: str, ports: list[int], syslog_ports: list[int] | None = None
) -> list[str]:
    """`minisoc init` arguments of the suite's site. Both modes start from `first-contact` (its sample logs
    and feed, and an external sensor, are what the tests read and write); `upstream` adds what small-site
    runs: the local MISP (official misp-docker images) and Dashboards, and drops the locally built
    OpenSearch image for the official one. The correlator and feed server are this repository's images
    either way. `ports`: 3 free ports (local), 5 (upstream)."""
    args = [
        "init", str(site_dir), "--template", "first-contact", "--non-interactive",
        "--set", "intel.sync_interval=10s",  # the tests wait a few sync periods
        "--set", f"ports.opensearch.port={ports[0]}",
        "--set", f"ports.correlator.port={ports[1]}",
        "--set", f"ports.feedserver.port={ports[2]}",
    ]  # fmt: skip
    if mode == "upstream":
        args += [
            "--set", "images.opensearch=null",  # the official image pinned in stacks/images.yaml
            "--set", "intel.misp.enabled=true",
            "--set", f"ports.misp.port={ports[3]}",
            "--set", "opensearch.dashboards.enabled=true",
            "--set", f"ports.dashboards.port={ports[4]}",
            "--set", "resources.ram_budget_mb=8192",  # small-site's budget: MISP and Dashboards need it
        ]  # fmt: skip
    elif mode != "local":
        raise ValueError(f"unknown e2e image mode {mode!r}")
    if syslog_ports:  # the syslog receiver, so verify's canary also goes through it (udp, tcp, tls)
        args += ["--set", "inputs.syslog.enabled=true"]
        for key, port in zip(("syslog_udp", "syslog_tcp", "syslog_tls"), syslog_ports, strict=True):
            args += ["--set", f"ports.{key}.port={port}"]
    return args


def cli(*args: str) -> tuple[int, str, str]:
    """Run the minisoc CLI in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def cli_ok(*args: str) -> str:
    code, out, err = cli(*args)
    assert code == 0, f"minisoc {' '.join(args)} exited {code}\nstdout: {out[-3000:]}\nstderr: {err[-3000:]}"
    return out


def search_alerts(site_dir: Path, query: dict[str, Any], size: int = 10000, *,
                  with_ids: bool = False) -> list[dict[str, Any]]:
    """The alerts' sources (`_id` added to each `with_ids`)."""
    client = load_site(site_dir).opensearch(timeout_s=30)
    client.request("POST", f"/{ALERTS}/_refresh")
    status, body = client.request("POST", f"/{ALERTS}/_search", {"size": size, "query": query})
    assert status == 200, body
    hits = body["hits"]["hits"]
    return [dict(hit["_source"], _id=hit["_id"]) if with_ids else hit["_source"] for hit in hits]


def alerts_for_domain(site_dir: Path, suffix: str) -> list[dict[str, Any]]:
    """Alerts whose matched value ends with `suffix` (the nested ECS enrichments)."""
    query = {
        "nested": {
            "path": "threat.enrichments",
            "query": {"wildcard": {"threat.enrichments.matched.atomic": f"*{suffix}"}},
        }
    }
    return search_alerts(site_dir, query)


def wait_for(what: str, check: Callable[[], bool], timeout_s: float, interval_s: float = 2.0,
             on_fail: Callable[[], str] | None = None) -> float:
    """Seconds until check() held; on timeout an AssertionError with `on_fail()`'s report, when given."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout_s:
            report = "" if on_fail is None else f"\n{on_fail()}"
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}{report}")
        time.sleep(interval_s)
    return time.monotonic() - started


def stable_count(count: Callable[[], int], expected: int, timeout_s: float, settle_s: float = 12.0) -> int:
    """Wait until count() reaches `expected`, then keep watching `settle_s` more seconds for extras."""
    with contextlib.suppress(AssertionError):
        wait_for(f"{expected} alerts", lambda: count() >= expected, timeout_s)
    time.sleep(settle_s)
    return count()


def publish_domains(feed_dir: Path, domains: Iterable[str], info: str) -> str:
    """Publish one MISP feed event holding `domains` (to_ids) via PyMISP's feed export; return its uuid."""
    return publish_attributes(feed_dir, [("domain", domain) for domain in sorted(set(domains))], info)


def publish_attributes(feed_dir: Path, attributes: Iterable[tuple[str, str]], info: str) -> str:
    """Publish one MISP feed event holding (MISP type, value) attributes, all to_ids; return its uuid."""
    event = MISPEvent()
    event.uuid = str(uuid.uuid4())
    event.info = info
    organisation = MISPOrganisation()
    organisation.name = "minisoc-e2e"
    organisation.uuid = "0d5e7c1a-2b3c-4d5e-8f90-6d696e69736f"
    event.Orgc = organisation
    event.published = True
    event.threat_level_id = 2
    event.analysis = 2
    event.set_date(datetime.now(UTC).date())
    event.timestamp = datetime.now(UTC)
    for misp_type, value in attributes:
        event.add_attribute(misp_type, value, to_ids=True)
    exported = event.to_feed(with_meta=True)["Event"]
    manifest = exported.pop("_manifest")[event.uuid]
    hashes = exported.pop("_hashes")
    publish_event(feed_dir, event.uuid, exported, manifest, hashes)
    return str(event.uuid)


def dns_line(uid: str, query: str, ts: float) -> str:
    record = {
        "ts": ts,
        "uid": uid,
        "id.orig_h": "192.0.2.20",
        "id.orig_p": 40000,
        "id.resp_h": "198.51.100.53",
        "id.resp_p": 53,
        "proto": "udp",
        "query": query,
        "qtype_name": "A",
        "rcode_name": "NOERROR",
    }
    return json.dumps(record, separators=(",", ":")) + "\n"


def write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name("." + path.name + ".part")
    partial.write_bytes(data)
    partial.chmod(0o644)
    partial.replace(path)


@dataclass(frozen=True)
class Expected:
    indicators: tuple[str, ...]
    keys: frozenset[tuple[str, str, str]]  # (file name, zeek uid, matched query)


def normalise(name: str) -> str:
    return name.lower().rstrip(".")


def domain_matches(query: str, indicator: str) -> bool:
    return query == indicator or query.endswith("." + indicator)


def choose_indicators(dns_files: list[Path], other_files: list[Path], wanted: int = 6) -> tuple[str, ...]:
    """Domains that occur in the corpus ONLY as the `query` of JSON dns records, on distinct lines.

    Exact queries (preferring ones seen on several lines) and one parent domain (parent-domain matching);
    each matching line has its own (uid, query) pair. Chosen by sorting: the choice depends only on the data.
    """
    queries: dict[str, list[bytes]] = {}
    elsewhere: list[str] = []
    for path in dns_files:
        for line in read_lines(path):
            record = json.loads(line)
            query = normalise(str(record.pop("query", "")))
            if query:
                queries.setdefault(query, []).append(line)
            elsewhere.append(json.dumps(record).lower())
    for path in other_files:
        elsewhere.extend(line.decode("utf-8", "replace").lower() for line in read_lines(path))
    rest = "\n".join(elsewhere)

    def usable(domain: str, lines: list[bytes]) -> bool:
        pairs = {
            (json.loads(line).get("uid"), normalise(str(json.loads(line).get("query")))) for line in lines
        }
        return (
            domain.count(".") >= 1
            and len(set(lines)) == len(lines) == len(pairs)
            and not domain.endswith((".arpa", ".local"))
            and domain not in rest
        )

    chosen: list[str] = []
    for query, lines in sorted(queries.items(), key=lambda item: (-min(len(item[1]), 8), item[0])):
        if len(chosen) == wanted - 1:
            break
        if len(lines) <= 40 and usable(query, lines):
            chosen.append(query)
    parents: dict[str, list[bytes]] = {}
    for query, lines in queries.items():
        labels = query.split(".")
        if len(labels) >= 3:
            parents.setdefault(".".join(labels[-2:]), []).extend(lines)
    for parent, lines in sorted(parents.items(), key=lambda item: (len(item[1]), item[0])):
        if (
            2 <= len(lines) <= 200
            and not any(domain_matches(c, parent) for c in chosen)
            and usable(parent, lines)
        ):
            chosen.append(parent)
            break
    return tuple(chosen)


def expected_matches(dns_files: list[Path], indicators: tuple[str, ...]) -> Expected:
    keys = set()
    for path in dns_files:
        for line in read_lines(path):
            record = json.loads(line)
            query = normalise(str(record.get("query", "")))
            for indicator in indicators:
                if domain_matches(query, indicator):
                    keys.add((path.name, str(record.get("uid")), query))
    return Expected(indicators, frozenset(keys))


def alert_keys(alerts: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    keys = []
    for alert in alerts:
        file_name = Path(str(alert.get("log", {}).get("file", {}).get("path", ""))).name
        uid = str(alert.get("zeek", {}).get("uid"))
        for enrichment in alert.get("threat", {}).get("enrichments", []):
            keys.append((file_name, uid, normalise(str(enrichment["matched"]["atomic"]))))
    return keys


def compose_project_containers(project: str) -> list[str]:
    done = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def compose_project_networks(project: str) -> list[str]:
    done = subprocess.run(
        ["docker", "network", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def remove_leftover_projects(prefix: str) -> list[str]:
    """Remove the containers, networks and volumes of compose projects named `prefix`... (a test-owned name).

    A run cut off before its teardown (a timeout, a killed CI machine whose disk is reused) leaves stopped
    containers that still hold their published ports: `minisoc lab create` rightly refuses those ports. Only
    projects whose name starts with a prefix the suite owns are touched. Returns the projects removed.
    """
    label = "com.docker.compose.project"
    listed = subprocess.run(["docker", "ps", "-a", "--filter", f"label={label}", "--format",
                             f'{{{{.Label "{label}"}}}}'], capture_output=True, text=True, check=True)
    projects = sorted({name for name in listed.stdout.split() if name.startswith(prefix)})
    for project in projects:
        volumes = subprocess.run(["docker", "volume", "ls", "-q", "--filter", f"label={label}={project}"],
                                 capture_output=True, text=True, check=True).stdout.split()
        for removal, ids in ((["container", "rm", "-f", "-v"], compose_project_containers(project)),
                             (["network", "rm"], compose_project_networks(project)),
                             (["volume", "rm"], volumes)):
            if ids:
                subprocess.run(["docker", *removal, *ids], capture_output=True, check=True, timeout=300)
    return projects


def container_ids(site_dir: Path) -> dict[str, str]:
    site = load_site(site_dir)
    done = subprocess.run(
        [
            "docker",
            "ps",
            "--no-trunc",
            "--filter",
            f"label=com.docker.compose.project={site.profile.project_name}",
            "--format",
            '{{.Label "com.docker.compose.service"}} {{.ID}}',
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(line.split() for line in done.stdout.splitlines() if line.strip())


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (the suite runs beside other sites, e.g. a newcomer's on 9200)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def sample_matches(log_dir: Path, indicators: set[str]) -> Counter[str]:
    """Per log file: how many alerts the sample indicators must raise, computed without the correlator.

    One alert per line that matches at least one indicator (its other matches are enrichments of that
    alert): an IP equals a field value, a domain equals one or is its parent.
    """
    expected: Counter[str] = Counter()
    for path in sorted(log_dir.glob("*.log")):
        for line in read_lines(path):
            values: list[object] = []
            for value in json.loads(line).values():
                values.extend(value if isinstance(value, list) else [value])
            texts = [normalise(v) for v in values if isinstance(v, str)]
            expected[path.name] += any(domain_matches(t, i) for i in indicators for t in texts)
    return +expected
