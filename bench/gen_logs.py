"""Generate realistic mixed Zeek JSON logs (conn/dns/http/ssl) at scale from the real sample files.

    python bench/gen_logs.py OUT_DIR [--lines 1000000] [--parts 4] [--seed 1] [--data ../shared/data]

Every record is a real record from ../shared/data (zat JSON logs, Zeek 6.2 wrccdc dns/ssl) with its addresses,
names, uid, ports and timestamp varied: internal hosts from a pool of 2,000, external hosts and names drawn
with a Zipf-like skew from pools of 50,000 (as real traffic repeats its peers), and about one line in 1,000
carrying a value from bench/planted.py, which bench/gen_intel.py puts in the intel. Mix by lines: conn 50%,
dns 30%, http 12%, ssl 8%. Files: OUT_DIR/<type>.<part>.log (JSON lines, float-epoch ts).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import string
from itertools import accumulate
from pathlib import Path
from typing import Any

from planted import planted

MIX = {"conn": 0.50, "dns": 0.30, "http": 0.12, "ssl": 0.08}
SOURCES = {
    "conn": ["zeek/json/zat/conn.log"],
    "dns": ["zeek/json/zat/dns.log", "zeek/json/wrccdc-zeek6.2/dns.json.gz"],
    "http": ["zeek/json/zat/http.log"],
    "ssl": ["zeek/json/zat/ssl.log", "zeek/json/wrccdc-zeek6.2/ssl.json.gz"],
}
TLDS = ("com", "net", "org", "edu", "de", "io", "ru", "cn", "uk", "fr")
PLANT_RATE = 0.001


def templates(data: Path, log_type: str, limit: int = 3000) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for relative in SOURCES[log_type]:
        path = data / relative
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
            for number, line in enumerate(handle):
                if number >= limit:
                    break
                record = json.loads(line)
                record.pop("_path", None)
                record.pop("_write_ts", None)
                found.append(record)
    return found


class Pools:
    """Hosts and names, drawn with a Zipf-like skew (cumulative weights 1/rank)."""

    def __init__(self, rnd: random.Random, size: int = 50_000) -> None:
        self.rnd = rnd
        self.internal = [
            f"10.{rnd.randrange(8)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}" for _ in range(2000)
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
        if "answers" in out:
            out["answers"] = [pools.external_ip() for _ in range(rnd.randrange(1, 3))]
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--parts", type=int, default=4, help="files per log type (for --workers)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    pools = Pools(rnd)
    bad = planted(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    ts = 1_700_000_000.0
    planted_lines = 0
    for log_type, share in MIX.items():
        records = templates(args.data, log_type)
        count = int(args.lines * share)
        per_part = -(-count // args.parts)
        for part in range(args.parts):
            lines = []
            for _ in range(min(per_part, count - part * per_part)):
                ts += rnd.expovariate(2000.0)
                is_bad = rnd.random() < PLANT_RATE
                planted_lines += is_bad
                lines.append(
                    json.dumps(
                        vary(rnd.choice(records), log_type, pools, rnd, ts, bad if is_bad else None),
                        separators=(",", ":"),
                    )
                )
            (args.out / f"{log_type}.{part:02d}.log").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.lines} lines ({planted_lines} with planted indicators) to {args.out}")


if __name__ == "__main__":
    main()
