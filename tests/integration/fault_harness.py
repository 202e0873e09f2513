"""A fault trial with real components and no Docker: the correlator service process (`minisoc correlate run
--config`, the container's entrypoint) and a real OpenSearch (opensearch_server.py), both SIGKILLed and
restarted at moments drawn from a seed, while real Zeek logs (../shared/data/zeek) are dropped into the
log directory one by one and more intel arrives half-way (so a retro-hunt runs under the kills too).

The alerts expected are computed here, without the correlator: every (file, line offset, planted value)
where a record of the file holds a planted IP address as a whole value (JSON scalar or list item, TSV
column or set item). They are compared with what the alerts index holds as (record's log.file.path,
log.offset, indicator name) triples, read from every record an alert lists (`minisoc.records`, one
connection's records in one alert) and the enrichments that record matched; older alerts without that
list give (log.file.path, log.offset, threat.enrichments[].indicator.name). A triple held by two documents
is a duplicate. Used by test_fault_kills.py (one bounded trial) and fault_trials.py (many seeds).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from opensearch_server import OpenSearchServer, free_port

REPO = Path(__file__).resolve().parents[2]
# Planted indicators: IPs seen in JSON and TSV, plain and gzip files of several captures and Zeek versions.
PLANTED_FIRST = ("192.168.56.1", "10.18.20.8", "54.230.86.87", "204.79.197.200", "10.47.8.200")
PLANTED_LATE = ("192.168.56.103", "72.21.91.29", "10.47.23.55", "69.147.64.34")
INTEL_HEADER = "#fields\tindicator\tindicator_type\tmeta.source\n"

Triple = tuple[str, int, str]  # (path relative to the log directory, line offset, planted value)


def log_files(zeek_dir: Path, *, large: bool) -> list[Path]:
    """The JSON and TSV sample logs (the multi-MB WRCCDC dns/ssl/weird archives only when `large`)."""
    found = sorted(p for p in [*zeek_dir.glob("json/**/*"), *zeek_dir.glob("tsv/**/*")] if p.is_file())
    if large:
        return found
    return [p for p in found if p.stat().st_size < 200_000]


# -- the independent expectation --


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    offset = 0
    for line in data.split(b"\n"):
        yield offset, line
        offset += len(line) + 1


def _record_values(path: Path) -> Iterator[tuple[int, set[str]]]:
    columns = False
    for offset, line in _lines(path):
        if not line.strip():
            continue
        if line.startswith(b"{"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            values: set[str] = set()
            for value in record.values():
                values.update(str(item) for item in (value if isinstance(value, list) else [value]))
            yield offset, values
        elif line.startswith(b"#fields"):
            columns = True
        elif not line.startswith(b"#") and columns:
            text = line.decode("utf-8", "replace")
            yield offset, {item for column in text.split("\t") for item in column.split(",")}


def expected_triples(files: dict[str, Path], planted: set[str]) -> set[Triple]:
    """{(name in the log dir, offset, value)} for every record holding a planted value."""
    expected: set[Triple] = set()
    for name, path in files.items():
        for offset, values in _record_values(path):
            expected.update((name, offset, value) for value in values & planted)
    return expected


def _doc_triples(doc: dict[str, Any], log_dir: Path) -> set[Triple]:
    """The triples one alert document holds: for each of its records (`minisoc.records`: every record of a
    grouped alert, one connection's conn, ssh and intel lines), the names of the enrichments that record
    matched (`matched` holds their `matched.id`s). A document without records (schema 2) is its one record
    (`log.*`) with every enrichment."""
    enrichments = doc["threat"].get("enrichments", [])
    refs = doc.get("minisoc", {}).get("records")
    if not refs:
        names = {item["indicator"]["name"] for item in enrichments}
        if "indicator" in doc["threat"]:
            names.add(doc["threat"]["indicator"]["name"])
        path = str(Path(doc["log"]["file"]["path"]).relative_to(log_dir))
        return {(path, int(doc["log"]["offset"]), name) for name in names}
    triples: set[Triple] = set()
    for ref in refs:
        path = str(Path(ref["log"]["file"]["path"]).relative_to(log_dir))
        ids = set(ref.get("matched", []))
        triples.update((path, int(ref["log"]["offset"]), item["indicator"]["name"])
                       for item in enrichments if item["matched"]["id"] in ids)
    return triples


def stored_triples(docs: list[dict[str, Any]], log_dir: Path) -> tuple[set[Triple], Counter[Triple]]:
    """What the alerts say, and how many documents say each triple (a triple in two documents: one record
    alerted twice, a duplicate)."""
    counts: Counter[Triple] = Counter()
    for doc in docs:
        counts.update(_doc_triples(doc, log_dir))
    return set(counts), counts


# -- the plan --


@dataclass(frozen=True)
class Event:
    at_s: float
    kind: str  # drop | kill-correlator | kill-opensearch | late-intel
    arg: str = ""
    pause_s: float = 0.0  # how long the killed component stays down


def plan(seed: int, names: list[str], kills: int, duration_s: float) -> list[Event]:
    """Seeded: file drop order and times, kill times and targets (both targets when kills >= 2)."""
    rng = random.Random(seed)
    order = names[:]
    rng.shuffle(order)
    events = [Event(rng.uniform(0, duration_s * 0.7), "drop", name) for name in order]
    targets = ["kill-correlator", "kill-opensearch"][: min(kills, 2)]
    targets += [rng.choice(["kill-correlator"] * 3 + ["kill-opensearch"]) for _ in range(kills - 2)]
    events += [Event(rng.uniform(1.0, duration_s), kind, pause_s=rng.uniform(0, 3)) for kind in targets]
    events.append(Event(rng.uniform(duration_s * 0.2, duration_s * 0.6), "late-intel"))
    return sorted(events, key=lambda event: event.at_s)


# -- the components --


class Correlator:
    """The service as a process of its own (own session: SIGKILL reaches nothing else)."""

    def __init__(self, config: Path, output: Path, port: int) -> None:
        self.config = config
        self.output = output
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(REPO / "installer"))
        env.pop("MINISOC_TEST_CRASH_AT", None)
        with self.output.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "minisoc", "correlate", "run", "--config", str(self.config)],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.starts += 1

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def health(self) -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as reply:
                return json.load(reply)  # type: ignore[no-any-return]
        except OSError:
            return None


def kill_opensearch(server: OpenSearchServer) -> None:
    if server.process is not None and server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=60)
    server.process = None


# -- one trial --


@dataclass
class TrialResult:
    seed: int
    files: int
    expected: int
    stored: int
    missing: list[Triple] = field(default_factory=list)
    unexpected: list[Triple] = field(default_factory=list)
    duplicated: list[Triple] = field(default_factory=list)
    correlator_kills: int = 0
    opensearch_kills: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.duplicated)

    def summary(self) -> str:
        return (
            f"seed {self.seed}: {self.files} files, {self.correlator_kills} correlator + "
            f"{self.opensearch_kills} OpenSearch SIGKILLs, {self.expected} alert triples expected, "
            f"{self.stored} stored, {len(self.missing)} missing, {len(self.duplicated)} duplicated, "
            f"{len(self.unexpected)} unexpected, {self.seconds:.0f}s"
        )


def write_config(work: Path, server: OpenSearchServer, seed: int, port: int) -> Path:
    config = work / "correlator.yaml"
    config.write_text(yaml.safe_dump({
        "site": "fault",
        "state_dir": str(work / "state"),
        "logs": {"dir": str(work / "logs"), "poll_interval_s": 0.2, "batch_lines": 2000},
        "intel": {"zeek_intel_files": [str(work / "planted.intel")], "sync_interval_s": 1},
        "sink": {"kind": "opensearch", "opensearch": {
            "url": server.url, "username": "admin", "verify_tls": False,
            "alerts_index": f"fault-alerts-{seed}", "logs_index_prefix": f"fault-zeek-{seed}",
        }},
        "export": {"zeek_intel_path": None},
        "http": {"bind": "127.0.0.1", "port": port},
    }))
    return config


def write_intel(path: Path, values: tuple[str, ...]) -> None:
    temporary = path.with_name(".planted.tmp")
    temporary.write_text(INTEL_HEADER + "".join(f"{value}\tIntel::ADDR\tplanted\n" for value in values))
    temporary.replace(path)


def caught_up(work: Path, correlator: Correlator, dropped: dict[str, Path]) -> bool:
    """Every dropped file read to its end and committed, every buffer empty, no retro-hunt owed."""
    if (work / "state" / "retro-pending.msgpack").exists():
        return False
    health = correlator.health()
    if health is None or any(health["components"]["sink"]["backlog"].values()):
        return False
    try:
        checkpoint = json.loads((work / "state" / "tail" / "zeek-tail.checkpoint.json").read_bytes())
    except (OSError, ValueError):
        return False
    by_path = {entry["path"]: entry for entry in checkpoint["files"].values()}
    for name in dropped:
        path = work / "logs" / name
        entry = by_path.get(str(path))
        if entry is None:
            return False
        size = path.stat().st_size
        if entry["compressed"] and not (entry["done"] and entry["size"] == size):
            return False
        if not entry["compressed"] and entry["offset"] != size:
            return False
    return True


def fetch_alerts(server: OpenSearchServer, index: str) -> list[dict[str, Any]]:
    def call(path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(
            f"{server.url}{path}", data=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json"}, method="POST" if body is not None else "GET",
        )
        with urllib.request.urlopen(request, timeout=60) as reply:
            return json.load(reply)

    call(f"/{index}/_refresh", {})
    docs: list[dict[str, Any]] = []
    reply = call(f"/{index}/_search?scroll=1m", {"size": 5000, "query": {"match_all": {}}})
    while reply["hits"]["hits"]:
        docs.extend(hit["_source"] for hit in reply["hits"]["hits"])
        reply = call("/_search/scroll", {"scroll": "1m", "scroll_id": reply["_scroll_id"]})
    return docs


def run_trial(
    seed: int, server: OpenSearchServer, work: Path, sources: list[Path], zeek_dir: Path,
    *, kills: int, duration_s: float, settle_timeout_s: float = 300.0, echo: Any = print,
) -> TrialResult:
    """One seeded trial; `server` is running on entry and on return."""
    started = time.monotonic()
    shutil.rmtree(work, ignore_errors=True)
    (work / "logs").mkdir(parents=True)
    files = {str(path.relative_to(zeek_dir)): path for path in sources}
    write_intel(work / "planted.intel", PLANTED_FIRST)
    port = free_port()
    correlator = Correlator(write_config(work, server, seed, port), work / "correlator.out", port)
    result = TrialResult(seed, len(files), 0, 0)
    correlator.start()
    dropped: dict[str, Path] = {}
    try:
        for event in plan(seed, sorted(files), kills, duration_s):
            delay = event.at_s - (time.monotonic() - started)
            if delay > 0:
                time.sleep(delay)
            if event.kind == "drop":
                target = work / "logs" / event.arg
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(files[event.arg], target)
                dropped[event.arg] = target
            elif event.kind == "late-intel":
                write_intel(work / "planted.intel", PLANTED_FIRST + PLANTED_LATE)
            elif event.kind == "kill-correlator":
                echo(f"  {time.monotonic() - started:6.1f}s SIGKILL correlator, down {event.pause_s:.1f}s")
                correlator.kill()
                result.correlator_kills += 1
                time.sleep(event.pause_s)
                correlator.start()
            else:
                echo(f"  {time.monotonic() - started:6.1f}s SIGKILL OpenSearch, down {event.pause_s:.1f}s")
                kill_opensearch(server)
                result.opensearch_kills += 1
                time.sleep(event.pause_s)
                server.start()
        deadline = time.monotonic() + settle_timeout_s
        while not caught_up(work, correlator, dropped):
            if not correlator.alive():
                raise AssertionError(f"seed {seed}: the correlator exited; see {correlator.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"seed {seed}: not caught up after {settle_timeout_s:.0f}s; "
                                     f"see {correlator.output} and {work / 'state'}")
            time.sleep(0.5)
    finally:
        correlator.stop()
    expected = expected_triples(dropped, set(PLANTED_FIRST + PLANTED_LATE))
    stored, counts = stored_triples(fetch_alerts(server, f"fault-alerts-{seed}"), work / "logs")
    result.expected, result.stored = len(expected), len(stored)
    result.missing = sorted(expected - stored)
    result.unexpected = sorted(stored - expected)
    result.duplicated = sorted(triple for triple, n in counts.items() if n > 1)
    result.seconds = time.monotonic() - started
    return result
