"""Lines/s through Kafka with 1 vs 2 correlator processes (issue 16): prints one JSON line, never asserts.

    PYTHONPATH=installer:bench:tests:tests/integration python bench/kafka_consumers.py --copies 4 --repeat 3

One broker (the local image, as tests/integration/kafka_broker.py starts it), the real Zeek JSON logs of
../shared/data (zat, Zeek 8 captures, WRCCDC 2018: ~130k lines) produced `--copies` times into
`minisoc.zeek.<type>` topics of `--partitions` partitions. Then, per run, N real `minisoc correlate run`
processes (Kafka mode, a fresh consumer group per run, intel files loaded by each (`intel_role: off`):
the CPS abuse.ch IP blocklist, the Amnesty NSO domains and the test's planted indicators; alerts to a SQLite
store per process, Zeek logs not indexed) read everything. Lines/s = lines / (time the group's committed
offsets reached the end - time they passed 20% of it): start-up, group join and the first rebalance are
left out. Peak RSS:
VmHWM of each process at the end. Medians over --repeat runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Consumer, KafkaException, TopicPartition
from kafka_broker import KafkaBroker, free_port
from kafka_data import INTEL, LARGE, SMALL, log_files, messages_by_topic

from baseline import peak_rss_mib

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("MINISOC_SHARED_DATA", REPO.parent / "shared" / "data"))


def committed_total(consumer: Consumer, partitions: list[TopicPartition]) -> int:
    """The group's committed offsets summed (0 while its coordinator is not there yet)."""
    try:
        return sum(max(tp.offset, 0) for tp in consumer.committed(partitions, timeout=10))
    except KafkaException:
        return 0


def run_once(broker: KafkaBroker, workdir: Path, processes: int, run: int, total: int,
             partitions: list[TopicPartition], intel_files: list[str], batch_lines: int) -> dict[str, Any]:
    group = f"bench-{processes}-{run}-{os.getpid()}"
    procs = []
    for n in range(processes):
        home = workdir / f"{group}-{n}"
        config = {
            "site": "bench", "state_dir": str(home / "state"),
            "logs": {"dir": str(home / "none"), "batch_lines": batch_lines, "poll_interval_s": 0.2},
            "intel": {"zeek_intel_files": intel_files, "sync_interval_s": 3600},
            "sink": {"kind": "sqlite", "sqlite": {"path": str(home / "alerts.db")}},
            "sightings": {"enabled": False}, "export": {"zeek_intel_path": None},
            "http": {"bind": "127.0.0.1", "port": free_port()},
            "kafka": {"bootstrap_servers": [broker.bootstrap], "security_protocol": "PLAINTEXT",
                      "group_id": group, "intel_role": "off", "session_timeout_ms": 10000},
        }
        home.mkdir(parents=True)
        (home / "c.yaml").write_text(yaml.safe_dump(config))
        env = {**os.environ, "PYTHONPATH": str(REPO / "installer")}
        with (home / "log").open("wb") as out:
            procs.append(subprocess.Popen([sys.executable, "-m", "minisoc", "correlate", "run", "--config",
                                           str(home / "c.yaml"), "--log-level", "warning"],
                                          stdout=out, stderr=subprocess.STDOUT, env=env))
    samples: list[tuple[float, int]] = []
    deadline = time.monotonic() + 900
    watcher = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group,
                        "enable.auto.commit": False})
    while time.monotonic() < deadline:
        samples.append((time.monotonic(), committed_total(watcher, partitions)))
        if samples[-1][1] >= total:
            break
        time.sleep(0.2)
    watcher.close()
    rss = [peak_rss_mib(p.pid) for p in procs]
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(60)
    if samples[-1][1] < total:
        raise SystemExit(f"run {group}: not finished ({samples[-1][1]} of {total})")
    # the steady rate: from 20% to 100% of the lines committed (start-up, the group join and the first
    # rebalance of a second member fall before)
    start = next(s for s in samples if s[1] >= total * 0.2)
    seconds = max(samples[-1][0] - start[0], 1e-3)
    return {"lines_per_s": (samples[-1][1] - start[1]) / seconds, "seconds": seconds, "peak_rss_mib": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=4, help="times the logs are produced (default 4)")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-lines", type=int, default=5000)
    args = parser.parse_args()
    broker = KafkaBroker(prefix="msbench-kafka")
    broker.start()
    try:
        topics = messages_by_topic(log_files(DATA, SMALL + LARGE))
        broker.create_topics(topics, args.partitions)
        for _ in range(args.copies):
            for topic, lines in topics.items():
                broker.produce(topic, lines, args.partitions)
        total = args.copies * sum(len(lines) for lines in topics.values())
        partitions = [TopicPartition(t, p) for t in topics for p in range(args.partitions)]
        with tempfile.TemporaryDirectory(prefix="msbench-") as tmp:
            workdir = Path(tmp)
            (workdir / "planted.intel").write_text(INTEL)
            intel = [str(workdir / "planted.intel"), str(DATA / "intel/cps-feeds/abuse-ch-ipblocklist.intel"),
                     str(DATA / "intel/cps-feeds/Amnesty_NSO_Domains.intel")]
            results: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
            for run in range(args.repeat):
                for processes in (1, 2):  # alternating: a slow moment of the machine hits both
                    results[processes].append(run_once(broker, workdir, processes, run, total, partitions,
                                                       intel, args.batch_lines))
    finally:
        broker.stop()
    figures: dict[str, Any] = {"benchmark": "kafka_consumers", "lines": total, "topics": len(topics),
                               "partitions_per_topic": args.partitions, "repeat": args.repeat,
                               "cpus": os.cpu_count()}
    for processes, runs in results.items():
        figures[f"lines_per_s_{processes}"] = round(statistics.median(r["lines_per_s"] for r in runs))
        figures[f"peak_rss_mib_{processes}"] = round(max(max(r["peak_rss_mib"]) for r in runs), 1)
        figures[f"runs_{processes}"] = [round(r["lines_per_s"]) for r in runs]
    figures["scaling_2_over_1"] = round(figures["lines_per_s_2"] / figures["lines_per_s_1"], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
