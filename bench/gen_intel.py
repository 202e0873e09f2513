"""Generate a MISP feed with N indicators (default 1M): IPs, CIDRs, domains, URLs and hashes.

    python bench/gen_intel.py OUT_DIR [--count 1000000] [--per-event 10000] [--seed 1]

The planted values of bench/planted.py (also written into the logs by gen_logs.py) are included, so a
benchmark run has real matches. Output: OUT_DIR/manifest.json, OUT_DIR/<uuid>.json, OUT_DIR/hashes.csv.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import uuid
from pathlib import Path

from planted import planted

MIX = (
    ("ip-dst", 0.40),
    ("ip-dst/cidr", 0.03),
    ("domain", 0.25),
    ("url", 0.15),
    ("md5", 0.07),
    ("sha1", 0.04),
    ("sha256", 0.06),
)
CIDR_LENGTHS = (20, 22, 24, 24, 24, 26, 28, 28)  # feeds list small networks


def random_value(rnd: random.Random, kind: str, serial: int) -> tuple[str, str]:
    if kind == "ip-dst":
        return (
            "ip-dst",
            f"{rnd.randrange(1, 223)}.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(256)}",
        )
    if kind == "ip-dst/cidr":
        length = rnd.choice(CIDR_LENGTHS)
        number = rnd.getrandbits(32) & ~((1 << (32 - length)) - 1) | (rnd.randrange(1, 223) << 24)
        octets = ".".join(str((number >> s) & 255) for s in (24, 16, 8, 0))
        return "ip-dst", f"{octets}/{length}"
    if kind == "domain":
        return "domain", f"{rnd.getrandbits(40):010x}.{rnd.choice(('com', 'net', 'org', 'ru', 'xyz', 'top'))}"
    if kind == "url":
        return "url", f"http://{rnd.getrandbits(36):09x}.com/{rnd.getrandbits(30):08x}/index.php?id={serial}"
    size = {"md5": 16, "sha1": 20, "sha256": 32}[kind]
    return kind, hashlib.blake2b(serial.to_bytes(8, "big"), digest_size=size).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--per-event", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    values: list[tuple[str, str]] = []
    bad = planted(args.seed)
    values += [("ip-dst", v) for v in bad["ip"]] + [("ip-dst", v) for v in bad["cidr"]]
    values += [("domain", v) for v in bad["domain"]] + [("url", v) for v in bad["url"]]
    values += [("md5", v) for v in bad["md5"]]
    for serial, kind in enumerate(rnd.choices(kinds, weights, k=args.count - len(values))):
        values.append(random_value(rnd, kind, serial))
    args.out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, object] = {}
    hash_rows: list[str] = []
    base_ts = 1_700_000_000
    for number, start in enumerate(range(0, len(values), args.per_event)):
        event_uuid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        stamp = str(base_ts + number)
        attributes = [
            {
                "uuid": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                "type": t,
                "category": "Network activity",
                "to_ids": True,
                "value": v,
                "timestamp": stamp,
                "comment": "",
            }
            for t, v in values[start : start + args.per_event]
        ]
        event = {
            "Event": {
                "uuid": event_uuid,
                "info": f"bench event {number}",
                "date": "2026-01-01",
                "timestamp": stamp,
                "threat_level_id": str(1 + number % 4),
                "published": True,
                "analysis": "2",
                "Orgc": {"name": "bench"},
                "Tag": [{"name": "tlp:clear"}, {"name": f"bench:event-{number % 10}"}],
                "Attribute": attributes,
            }
        }
        (args.out / f"{event_uuid}.json").write_text(json.dumps(event))
        manifest[event_uuid] = {
            "info": f"bench event {number}",
            "timestamp": stamp,
            "threat_level_id": "4",
            "Orgc": {"name": "bench"},
            "Tag": [{"name": "tlp:clear"}],
        }
        hash_rows.extend(f"{hashlib.md5(a['value'].encode()).hexdigest()},{event_uuid}" for a in attributes)
    (args.out / "manifest.json").write_text(json.dumps(manifest))
    (args.out / "hashes.csv").write_text("\n".join(hash_rows) + "\n")
    print(f"wrote {len(values)} indicators in {len(manifest)} events to {args.out}")


if __name__ == "__main__":
    main()
