"""Generate Zeek logs shaped like real ones, at scale, from the records of four captures in ../shared/data.

    python bench/gen_logs.py OUT_DIR [--lines 500000] [--parts 4] [--seed 1] [--data ../shared/data]

Every record is a real record (ssl subjects and issuers, http user agents, dns answers and TTLs as Zeek wrote
them) of one of four captures: zat's JSON logs (Zeek 3.x, 2019), zat's TSV logs (Bro 2.x, 2013), the
WRCCDC 2018 capture through Zeek 6.2 (json-streaming-logs) and the Zeek 8.0 output of the shared pcaps
(`zeek/*/zeek8-pcaps`). Addresses, names, uid, ports and timestamp are varied: internal hosts from a pool of
2,000, external hosts and names drawn with a Zipf-like skew from pools of 50,000 (real traffic repeats its
peers), and about one line in 1,000 carries a value of bench/planted.py, which bench/gen_intel.py puts in
the intel. Mix by lines: conn 50 %, dns 30 %, http 12 %, ssl 8 %. The same records are written three ways:

- OUT_DIR/dir/<type>.<part>.log: a Zeek log directory (plain LogAscii JSON: no `_path`, float-epoch ts);
- OUT_DIR/path/stream.<part>.json: one interleaved stream whose every record carries `_path` and
  `_write_ts` first (json-streaming-logs, as shipped through Kafka or syslog);
- OUT_DIR/mixed/stream.<part>.json: the same interleaved stream without `_path` (records typed by their
  fields: the file name says no log type);

and OUT_DIR/storm.intel: a Zeek intel file naming half of the internal hosts, so about half the lines hit
(an alert storm).
"""

from __future__ import annotations

import argparse
import random
import string
import time
from collections.abc import Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

import orjson

from minisoc.correlator.zeek.reader import read_logs
from planted import planted

MIX = {"conn": 0.50, "dns": 0.30, "http": 0.12, "ssl": 0.08}
CAPTURES = {  # capture -> the folders under zeek/ holding its logs
    "zat-json": ["json/zat"],
    "zat-tsv": ["tsv/zat"],
    "wrccdc-zeek6.2": ["json/wrccdc-zeek6.2", "tsv/wrccdc-zeek6.2"],
    "zeek8-pcaps": [
        "json/zeek8-pcaps/heartbleed-success",
        "json/zeek8-pcaps/sshguess",
        "json/zeek8-pcaps/merlinc2_Zeek_example",
    ],
}
TLDS = ("com", "net", "org", "edu", "de", "io", "ru", "cn", "uk", "fr")
PLANT_RATE = 0.001
TEMPLATES_PER_FILE = 3000
INTERNAL_HOSTS = 2000


def templates(data: Path, log_type: str) -> list[dict[str, Any]]:
    """Records of this log type from every capture that has it (read by minisoc's own reader, so TSV values
    come typed as JSON would have them), without `_path`/`_write_ts`; at most TEMPLATES_PER_FILE a file."""
    found: list[dict[str, Any]] = []
    for folders in CAPTURES.values():
        for folder in folders:
            for path in sorted((data / "zeek" / folder).glob(f"{log_type}.*")):
                for number, record in enumerate(read_logs([path])):
                    if number >= TEMPLATES_PER_FILE:
                        break
                    fields = dict(record.fields)
                    fields.pop("_path", None)
                    fields.pop("_write_ts", None)
                    found.append(fields)
    if not found:
        raise SystemExit(f"no {log_type} records under {data}/zeek: pass --data ../shared/data")
    return found


class Pools:
    """Hosts and names, drawn with a Zipf-like skew (cumulative weights 1/rank)."""

    def __init__(self, rnd: random.Random, size: int = 50_000) -> None:
        self.rnd = rnd
        self.internal = [
            f"10.{rnd.randrange(8)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
            for _ in range(INTERNAL_HOSTS)
        ]
        self.external = [
            f"{rnd.randrange(11, 223)}.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
            for _ in range(size)
        ]
        words = [
            "".join(rnd.choices(string.ascii_lowercase, k=rnd.randrange(4, 11))) for _ in range(size // 5)
        ]
        self.names = [
            ".".join(
                [
                    *rnd.sample(
                        ["www", "api", "cdn", "mail", "static", words[rnd.randrange(len(words))]],
                        k=rnd.randrange(0, 3),
                    ),
                    rnd.choice(words),
                    rnd.choice(TLDS),
                ]
            )
            for _ in range(size)
        ]
        self.weights = list(accumulate(1.0 / rank for rank in range(1, size + 1)))

    def external_ip(self) -> str:
        return self.rnd.choices(self.external, cum_weights=self.weights)[0]

    def name(self) -> str:
        return self.rnd.choices(self.names, cum_weights=self.weights)[0]


def vary(
    record: dict[str, Any],
    log_type: str,
    pools: Pools,
    rnd: random.Random,
    ts: float,
    bad: dict[str, list[str]] | None,
) -> dict[str, Any]:
    out = dict(record)
    out["ts"] = round(ts, 6)
    out["uid"] = "C" + "".join(rnd.choices(string.ascii_letters + string.digits, k=17))
    out["id.orig_h"] = rnd.choice(pools.internal)
    out["id.orig_p"] = rnd.randrange(1024, 65535)
    out["id.resp_h"] = pools.external_ip()
    if log_type == "dns":
        out["query"] = pools.name()
        if out.get("answers"):
            out["answers"] = [pools.external_ip() for _ in range(rnd.randrange(1, 3))]
            out["TTLs"] = [float(rnd.randrange(30, 86400)) for _ in out["answers"]]
    elif log_type == "http":
        out["host"] = pools.name()
        out["uri"] = f"/{rnd.choice(['', 'img/', 'api/v1/', 'static/'])}{rnd.getrandbits(24):06x}.html"
    elif log_type == "ssl":
        out["server_name"] = pools.name()
    if bad is not None:
        plant(out, log_type, rnd, bad)
    return out


def plant(out: dict[str, Any], log_type: str, rnd: random.Random, bad: dict[str, list[str]]) -> None:
    if log_type == "conn":
        if rnd.random() < 0.5:
            out["id.resp_h"] = rnd.choice(bad["ip"])
        else:
            network = rnd.choice(bad["cidr"]).split("/")[0].rsplit(".", 1)[0]
            out["id.resp_h"] = f"{network}.{rnd.randrange(1, 255)}"
    elif log_type == "dns":
        out["query"] = f"{rnd.choice(['www', 'mail', 'x1'])}.{rnd.choice(bad['domain'])}"
    elif log_type == "http":
        url = rnd.choice(bad["url"])
        host, _, path = url.removeprefix("http://").partition("/")
        out["host"], out["uri"] = host, f"/{path}?session={rnd.getrandbits(16)}"
    else:
        out["server_name"] = rnd.choice(bad["domain"])


def records(
    args: argparse.Namespace, pools: Pools, rnd: random.Random
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(log type, record) in time order, the types interleaved by the mix."""
    bad = planted(args.seed)
    sources = {log_type: templates(args.data, log_type) for log_type in MIX}
    types, weights = list(MIX), list(MIX.values())
    ts = 1_700_000_000.0
    for _ in range(args.lines):
        log_type = rnd.choices(types, weights)[0]
        ts += rnd.expovariate(2000.0)
        is_bad = rnd.random() < PLANT_RATE
        yield log_type, vary(rnd.choice(sources[log_type]), log_type, pools, rnd, ts, bad if is_bad else None)


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts % 1 * 1e6):06d}Z"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=500_000)
    parser.add_argument(
        "--parts", type=int, default=4, help="files per log type / per stream (for --workers)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    pools = Pools(rnd)
    for layout in ("dir", "path", "mixed"):
        (args.out / layout).mkdir(parents=True, exist_ok=True)
    per_part = -(-args.lines // args.parts)
    dir_lines: dict[str, list[bytes]] = {log_type: [] for log_type in MIX}
    dir_part = {log_type: 0 for log_type in MIX}
    path_lines: list[bytes] = []
    mixed_lines: list[bytes] = []
    planted_values = {value for values in planted(args.seed).values() for value in values}

    def flush_dir(log_type: str) -> None:
        target = args.out / "dir" / f"{log_type}.{dir_part[log_type]:02d}.log"
        target.write_bytes(b"".join(dir_lines[log_type]))
        dir_lines[log_type].clear()
        dir_part[log_type] += 1

    for total_written, (log_type, record) in enumerate(records(args, pools, rnd), start=1):
        line = orjson.dumps(record) + b"\n"
        dir_lines[log_type].append(line)
        if len(dir_lines[log_type]) >= per_part * MIX[log_type]:
            flush_dir(log_type)
        head = {"_path": log_type, "_write_ts": iso(record["ts"])}
        path_lines.append(orjson.dumps({**head, **record}) + b"\n")
        mixed_lines.append(line)
        if total_written % per_part == 0 or total_written == args.lines:
            part = (total_written - 1) // per_part
            (args.out / "path" / f"stream.{part:02d}.json").write_bytes(b"".join(path_lines))
            (args.out / "mixed" / f"stream.{part:02d}.json").write_bytes(b"".join(mixed_lines))
            path_lines.clear()
            mixed_lines.clear()
    for log_type in MIX:
        if dir_lines[log_type]:
            flush_dir(log_type)
    storm = sorted(pools.internal)[: INTERNAL_HOSTS // 2]
    (args.out / "storm.intel").write_text(
        "#fields\tindicator\tindicator_type\tmeta.source\n"
        + "".join(f"{host}\tIntel::ADDR\tbench-storm\n" for host in storm if host not in planted_values)
    )
    print(f"wrote {args.lines} lines x 3 layouts (dir, path, mixed) and storm.intel to {args.out}")


if __name__ == "__main__":
    main()
