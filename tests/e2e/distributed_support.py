"""Helpers for the distributed end-to-end test: the hosts' compose projects, the correlators' health as
they see it, the sensor's log folder written the way Zeek appends, and what OpenSearch holds."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from e2e_support import search_alerts

from log_lines import log_type_of, read_lines
from minisoc.compose.runner import ComposeProject
from minisoc.correlator.hunt import HuntRequest, run_hunt
from minisoc.errors import ServiceError
from minisoc.ops import load_site
from minisoc.ops.hosts import distributed_site, site_host

CORRELATORS = ("correlator-1", "correlator-2")


def project(site_dir: Path, host: str) -> ComposeProject:
    return site_host(distributed_site(site_dir), host).project()


def compose(site_dir: Path, host: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`docker compose ARGS` in one host's project, never raising (the caller asserts)."""
    return subprocess.run(project(site_dir, host).argv(*args), capture_output=True, text=True, timeout=300,
                          check=False)


def healthz(site_dir: Path, service: str) -> dict[str, Any]:
    """The correlator's /healthz as seen inside its container ({} while it does not answer)."""
    done = compose(site_dir, "hub1", "exec", "-T", service, "curl", "-sS", "--max-time", "3",
                   "http://127.0.0.1:8080/healthz")
    try:
        return dict(json.loads(done.stdout)) if done.returncode == 0 else {}
    except ValueError:
        return {}


def partitions(health: dict[str, Any]) -> int:
    return len(health.get("components", {}).get("kafka", {}).get("partitions", []))


def running(site_dir: Path, host: str) -> set[str]:
    return {state.service for state in project(site_dir, host).ps() if state.state == "running"}


def shipped_types(site_dir: Path, host: str = "sensor1") -> set[str]:
    """The log types the sensor's shipper tails (its rendered rsyslog.conf: `file="/logs/zeek/X.log"`)."""
    conf = (site_dir / "hosts" / host / "config" / "shipper" / "rsyslog.conf").read_text()
    return {part.split(".log", 1)[0] for part in conf.split('file="/logs/zeek/')[1:]}


def lines_by_type(files: Iterable[Path], types: set[str]) -> dict[str, list[bytes]]:
    """type -> the JSON lines of every file of that type (files named `conn.log` or `dns.json.gz`)."""
    found: dict[str, list[bytes]] = {}
    for path in files:
        log_type = log_type_of(path)
        if log_type not in types:
            continue
        found.setdefault(log_type, []).extend(line for line in read_lines(path) if line.startswith(b"{"))
    return found


def append_slice(log_dir: Path, lines: dict[str, list[bytes]], part: int, parts: int) -> int:
    """Append every `parts`-th line (from `part`) of each type to LOG_DIR/<type>.log, as Zeek appends."""
    written = 0
    for log_type, all_lines in lines.items():
        chosen = all_lines[part::parts]
        if not chosen:
            continue
        path = log_dir / f"{log_type}.log"
        with path.open("ab") as out:
            out.write(b"".join(line + b"\n" for line in chosen))
        path.chmod(0o644)
        written += len(chosen)
    return written


def distinct_records(lines: dict[str, list[bytes]], parts: int, upto: int) -> int:
    """How many log documents the first `upto` slices make (a document's id is its type and line)."""
    return len({(t, line) for t, all_lines in lines.items() for k in range(upto)
                for line in all_lines[k::parts]})


def count(site_dir: Path, indices: str) -> int:
    """Documents in `indices`; -1 while OpenSearch does not answer (it is starting again)."""
    client = load_site(site_dir).opensearch(timeout_s=30)
    try:
        client.request("POST", f"/{indices}/_refresh")
        status, body = client.request("GET", f"/{indices}/_count")
    except ServiceError:
        return -1
    return int(body["count"]) if status == 200 else -1


def stored_alerts(site_dir: Path) -> list[dict[str, Any]]:
    """Every stored alert, with its document `_id`."""
    return search_alerts(site_dir, {"match_all": {}}, with_ids=True)


def file_hunt(log_dir: Path, intel: Path) -> dict[str, dict[str, Any]]:
    """The alerts `minisoc hunt` raises on the sensor's files with the same indicators (id -> document)."""
    found: dict[str, dict[str, Any]] = {}
    logs = sorted(str(p) for p in log_dir.glob("*.log"))
    run_hunt(HuntRequest(logs=logs, intel=[str(intel)], site="dci"),
             lambda alerts: found.update((a.id, a.doc) for a in alerts))
    return found


def records_of(doc: dict[str, Any]) -> list[str]:
    return sorted(record["id"] for record in doc["minisoc"]["records"])
