"""Retro-hunt benchmark: pushed down to the log storage vs the file rescan, on the same logs, in one run.

    PYTHONPATH=installer python bench/retro_opensearch.py --logs /tmp/bench-retro-logs --lines 2000000 \\
        [--url http://127.0.0.1:9200 | --start-server] [--indicators 10000] [--repeat 3] [--reload]

The logs are bench/gen_logs.py's (real Zeek records from ../shared/data with their addresses, names and
times varied; generated into --logs when it holds no .log file). They are stored in OpenSearch as the
service stores them (ZeekLogIndexer, prefix `benchretro`, per-type daily indices), once: a later run reuses
them when the document count is the line count. `--start-server` runs the integration tests' single-node
OpenSearch (tests/integration/opensearch_server.py: the Maven Central zip on the local Java, 512 MiB heap).

The new indicators: --indicators of them, 40 % addresses, 40 % domains, 20 % sha256, with bench/planted.py's
addresses, CIDRs, domains and URLs among them (the values gen_logs.py planted in about one line in 1,000),
so that both hunts raise alerts; both must raise the same alert ids. Printed: each hunt's median wall time
over --repeat runs, documents fetched and alerts, and /proc/loadavg (the machine is shared).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from opensearchpy import OpenSearch

from minisoc.correlator.clients.opensearch import connect_opensearch
from minisoc.correlator.model import Indicator
from minisoc.correlator.service.retro import IndexedLogs, retro_hunt
from minisoc.correlator.sinks.opensearch_logs import ZeekLogIndexer
from minisoc.correlator.zeek import read_logs
from planted import planted

PREFIX = "benchretro"
DAYS = 36500  # the generated records are of 2023; the window takes them all
BULK = 5000


def new_indicators(count: int, seed: int = 1) -> list[Indicator]:
    rnd = random.Random(seed)
    bad = planted(seed)
    out = [Indicator(value=v, kind="ip", type="ip-dst", source="bench") for v in bad["ip"]]
    out += [Indicator(value=v, kind="cidr", type="ip-dst", source="bench") for v in bad["cidr"]]
    out += [Indicator(value=v, kind="domain", type="domain", source="bench") for v in bad["domain"]]
    out += [Indicator(value=v.removeprefix("http://"), kind="url", type="url", source="bench")
            for v in bad["url"]]
    rest = count - len(out)
    out += [Indicator(value=f"100.{rnd.randrange(64, 128)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}",
                      kind="ip", type="ip-dst", source="bench") for _ in range(rest * 2 // 5)]
    out += [Indicator(value=f"n{rnd.getrandbits(40):010x}.example.org", kind="domain", type="domain",
                      source="bench") for _ in range(rest * 2 // 5)]
    out += [Indicator(value=hashlib.sha256(str(n).encode()).hexdigest(), kind="sha256", type="sha256",
                      source="bench") for n in range(count - len(out))]
    return out


def load(client: OpenSearch, logs: Path, lines: int, reload: bool = False) -> float:
    """Store the logs once (seconds taken; 0 when the stored count is already the line count)."""
    lenient = {"ignore_unavailable": "true", "allow_no_indices": "true"}
    client.indices.refresh(index=f"{PREFIX}-*", params=lenient)
    if not reload and int(client.count(index=f"{PREFIX}-*", params=lenient)["count"]) == lines:
        return 0.0
    client.indices.delete(index=f"{PREFIX}-*", params=lenient)
    started = time.perf_counter()
    indexer = ZeekLogIndexer(client, PREFIX)
    batch = []
    for record in read_logs([logs]):
        batch.append(record)
        if len(batch) == BULK:
            indexer.write(indexer.documents(batch))
            batch = []
    indexer.write(indexer.documents(batch))
    client.indices.refresh(index=f"{PREFIX}-*")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=Path, required=True)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--url", default="http://127.0.0.1:9200")
    parser.add_argument("--start-server", action="store_true")
    parser.add_argument("--indicators", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reload", action="store_true", help="store the logs again even if they are there")
    args = parser.parse_args()
    server = None
    if args.start_server:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integration"))
        from opensearch_server import start_server  # the integration tests' OpenSearch

        server = start_server()
        args.url = server.url
    try:
        run(args)
    finally:
        if server is not None:
            server.stop()


def run(args: argparse.Namespace) -> None:
    if not any(args.logs.glob("*.log")):
        subprocess.run([sys.executable, str(Path(__file__).with_name("gen_logs.py")), str(args.logs),
                        "--lines", str(args.lines), "--parts", "1"], check=True)
    lines = sum(1 for path in sorted(args.logs.glob("*.log")) for _ in path.open("rb"))
    client = connect_opensearch(args.url, timeout_s=300)
    loaded = load(client, args.logs, lines, args.reload)
    print(f"logs: {lines} lines in {args.logs}; stored as {PREFIX}-*: "
          + (f"loaded in {loaded:.0f} s" if loaded else "reused"))
    indicators = new_indicators(args.indicators)
    now = time.time()
    results = {}
    for name, source in (("opensearch", lambda: IndexedLogs(client, PREFIX)), ("files", lambda: args.logs)):
        times, fetched, ids = [], 0, set()
        for _ in range(args.repeat):
            hunted = source()
            started = time.perf_counter()
            batches = retro_hunt(indicators, hunted, DAYS, site="bench", now=now)
            alerts = [alert for batch in batches for alert in batch]
            times.append(time.perf_counter() - started)
            ids = {alert.id for alert in alerts}
            fetched = hunted.stats.fetched if isinstance(hunted, IndexedLogs) else lines
        results[name] = ids
        extra = f", {fetched} documents fetched" if name == "opensearch" else f", {lines} lines read"
        print(f"retro-hunt {name}: {len(indicators)} new indicators, median {statistics.median(times):.2f} s "
              f"(runs {', '.join(f'{t:.2f}' for t in times)}), {len(ids)} alerts{extra}")
    print("same alert ids:", results["opensearch"] == results["files"])
    print("loadavg:", Path("/proc/loadavg").read_text().strip())


if __name__ == "__main__":
    main()
