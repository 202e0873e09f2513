"""Records per second per core for syslog and flow records through the correlator, against a `json.loads` loop
over the same lines (issue 15).

    PYTHONPATH=installer:bench python bench/inputs_figures.py --lines 100000 --repeat 3

Generates, in a temporary directory, `--lines` records of each kind, as the receivers write them
(docs/inputs.md): rsyslog JSON (sshd, postfix, nginx via syslog, kernel firewall, other programs' free text),
the same records as syslog text (an auth.log of RFC 3164 lines), and flow JSON (pmacct, goflow2, nfdump in
turn); 1 % of the records carry one of the indicators. The correlator's pipeline is `hunt_logs` (read, sniff,
parse, extract, match, alerts) with 10,000 address and domain indicators, one process, CPU time
(`time.process_time`); the baseline is `json.loads` of every line of the same file (for the text file: of its
JSON twin, the same records). Prints the median of `--repeat` runs and the ratio (baseline time / ours: above
1 is faster than the loop).
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from baseline import json_loads_loop
from minisoc.correlator.hunt import hunt_logs
from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.matcher import Matcher
from minisoc.correlator.model import Indicator
from minisoc.correlator.zeek.stats import ReadStats

PLANTED_IP, PLANTED_DOMAIN = "198.51.100.77", "planted-c2.example.net"


def _address(rng: random.Random) -> str:
    return f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _message(rng: random.Random, hit: bool) -> tuple[str, str]:
    """(program, message) of one syslog record."""
    peer = PLANTED_IP if hit else _address(rng)
    kind = rng.randrange(5)
    if kind == 0:
        port = rng.randrange(1024, 65535)
        return "sshd", f"Failed password for invalid user admin from {peer} port {port} ssh2"
    if kind == 1:
        queue, client = rng.randrange(10**6), rng.randrange(99)
        return "postfix/smtpd", f"4F2A{queue:06d}: client=mail{client}.example.org[{peer}]"
    if kind == 2:
        host = PLANTED_DOMAIN if hit else f"www{rng.randrange(99)}.example.com"
        return "nginx", (f'{_address(rng)} - - [04/Dec/2026:21:15:53 +0000] "GET /index.php?'
                         f'id={rng.randrange(999)} HTTP/1.1" 200 512 "http://{host}/" '
                         '"Mozilla/5.0 (X11; Linux x86_64)"')
    if kind == 3:
        return "kernel", (f"[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 "
                          f"SRC={peer} DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=50 "
                          f"ID={rng.randrange(65535)} DF PROTO=TCP SPT={rng.randrange(1024, 65535)} DPT=22 "
                          "WINDOW=64240 RES=0x00 SYN URGP=0")
    name = PLANTED_DOMAIN if hit else f"host{rng.randrange(999)}.example.org"
    return "cron", f"(root) CMD (/usr/local/bin/backup --to {name} --keep 7 > /dev/null 2>&1)"


def _flow(rng: random.Random, number: int, hit: bool) -> dict[str, object]:
    source, destination = _address(rng), PLANTED_IP if hit else _address(rng)
    sport, dport = rng.randrange(1024, 65535), rng.choice((53, 80, 123, 443, 8080))
    start = 1796418950 + number
    if number % 3 == 0:
        return {"event_type": "purge", "peer_ip_src": "192.0.2.1", "ip_src": source,
                "ip_dst": destination, "port_src": sport, "port_dst": dport, "ip_proto": "tcp", "tos": 0,
                "timestamp_start": "2026-12-04 21:15:50.000000",
                "timestamp_end": "2026-12-04 21:15:58.000000", "packets": 10, "bytes": 1234}
    if number % 3 == 1:
        return {"type": "IPFIX", "time_received_ns": start * 10**9, "sequence_num": number,
                "sampling_rate": 0, "sampler_address": "192.0.2.1", "time_flow_start_ns": start * 10**9,
                "time_flow_end_ns": (start + 3) * 10**9, "bytes": 1500, "packets": 3, "src_addr": source,
                "dst_addr": destination, "etype": "IPv4", "proto": "TCP", "src_port": sport,
                "dst_port": dport, "in_if": 1, "out_if": 2, "tcp_flags": 24}
    return {"type": "FLOW", "sampled": 0, "export_sysid": 1, "t_first": "2026-12-04T21:15:50.123",
            "t_last": "2026-12-04T21:15:53.456", "proto": 6, "src4_addr": source, "dst4_addr": destination,
            "src_port": sport, "dst_port": dport, "fwd_status": 0, "tcp_flags": "...AP.S.", "in_packets": 10,
            "in_bytes": 1234, "ip4_router": "192.0.2.1"}


def generate(root: Path, lines: int, seed: int = 15) -> dict[str, Path]:
    rng = random.Random(seed)
    paths = {"syslog JSON": root / "syslog-2026-12-04.json", "syslog text": root / "auth.log",
             "flows JSON": root / "flows-2026-12-04.json"}
    with paths["syslog JSON"].open("w") as as_json, paths["syslog text"].open("w") as as_text:
        for number in range(lines):
            program, message = _message(rng, number % 100 == 0)
            stamp = f"2026-12-04T21:{(number // 60) % 60:02d}:{number % 60:02d}+00:00"
            as_json.write(json.dumps({"minisoc_input": "syslog", "@timestamp": stamp, "host": "gw1",
                                      "from_ip": "192.0.2.7", "program": program, "pid": "812", "msgid": "-",
                                      "facility": "auth", "severity": "info", "sd": "-", "message": message,
                                      "input": "imudp", "protocol": "0"}) + "\n")
            clock = f"21:{(number // 60) % 60:02d}:{number % 60:02d}"
            as_text.write(f"Dec  4 {clock} gw1 {program}[812]: {message}\n")
    with paths["flows JSON"].open("w") as flows:
        for number in range(lines):
            flows.write(json.dumps(_flow(rng, number, number % 100 == 0)) + "\n")
    return paths


def indicators(count: int, seed: int = 16) -> list[Indicator]:
    rng = random.Random(seed)
    found = [Indicator(PLANTED_IP, "ip", "ip-dst", "bench"),
             Indicator(PLANTED_DOMAIN, "domain", "domain", "bench")]
    for number in range(count):
        if number % 2:
            found.append(Indicator(_address(rng), "ip", "ip-dst", "bench"))
        else:
            found.append(Indicator(f"bad{number}.example.biz", "domain", "domain", "bench"))
    return found


def ours(path: Path, matcher_index: IndicatorIndex) -> tuple[float, int, int]:
    """(CPU seconds, records, alerts) of the correlator's hunt over one file."""
    stats = ReadStats()
    matcher = Matcher(matcher_index)  # a fresh one: cold memo, as each run starts
    gc.collect()
    started = time.process_time()
    alerts = hunt_logs([path], matcher, stats=stats, site="bench", now=1.8e9)
    return time.process_time() - started, stats.lines_total, len(alerts)


def baseline(path: Path) -> tuple[float, int]:
    gc.collect()
    started = time.process_time()
    count = json_loads_loop([path])
    return time.process_time() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000, help="records of each kind (default 100000)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--indicators", type=int, default=10_000)
    arguments = parser.parse_args()
    index = IndicatorIndex.build(indicators(arguments.indicators))
    with tempfile.TemporaryDirectory(prefix="minisoc-inputs-bench-") as folder:
        paths = generate(Path(folder), arguments.lines)
        twins = {"syslog JSON": paths["syslog JSON"], "syslog text": paths["syslog JSON"],
                 "flows JSON": paths["flows JSON"]}
        print(f"{arguments.lines} records per kind, {arguments.indicators} indicators, "
              f"median of {arguments.repeat}, CPU time of one process")
        print(f"{'input':12} {'records':>8} {'alerts':>7} {'minisoc rec/s':>14} {'json.loads rec/s':>17} "
              f"{'ratio':>6}")
        for name, path in paths.items():
            runs = [ours(path, index) for _ in range(arguments.repeat)]
            loops = [baseline(twins[name]) for _ in range(arguments.repeat)]
            seconds = statistics.median(run[0] for run in runs)
            loop_seconds = statistics.median(loop[0] for loop in loops)
            records, alerts = runs[0][1], runs[0][2]
            print(f"{name:12} {records:8d} {alerts:7d} {records / seconds:14,.0f} "
                  f"{loops[0][1] / loop_seconds:17,.0f} {loop_seconds / seconds:6.2f}")


if __name__ == "__main__":
    main()
