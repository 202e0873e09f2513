"""Generate one indicator set (default 1M: 40 % IPv4 addresses, 40 % domains, 20 % sha256) in the four
intel formats `minisoc hunt --intel` reads, for bench/intel_load.py and bench/duckdb_peer.py.

    python bench/gen_intel_formats.py OUT_DIR [--count 1000000] [--seed 1]

Output (the same values, in the same order, in each):
- OUT_DIR/zeek/intel.dat   Zeek intel file (#fields indicator indicator_type meta.source meta.desc
                           meta.do_notice)
- OUT_DIR/feed/            MISP feed directory (manifest.json + one event per 10,000 attributes)
- OUT_DIR/list.csv         CSV list with a header (value,type)
- OUT_DIR/event.json       one MISP event JSON ({"Event": {..., "Attribute": [...]}})
- OUT_DIR/values.txt       the values, one a line (what DuckDB's peer joins against)

The planted values of bench/planted.py (addresses, domains, hashes; also written into the logs by
bench/gen_logs.py with the same seed) come first, so a hunt over those logs has real matches.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import uuid
from pathlib import Path

from planted import planted

TLDS = ("com", "net", "org", "ru", "xyz", "top", "io", "de")
ZEEK_TYPES = {"ip-dst": "Intel::ADDR", "domain": "Intel::DOMAIN", "sha256": "Intel::FILE_HASH"}
PER_EVENT = 10_000


def indicator_values(count: int, seed: int) -> list[tuple[str, str]]:
    """(MISP type, value): 40 % addresses, 40 % domains, 20 % sha256, the planted values first."""
    rnd = random.Random(seed)
    bad = planted(seed)
    values = [("ip-dst", v) for v in bad["ip"]] + [("domain", v) for v in bad["domain"]]
    values += [("sha256", hashlib.sha256(v.encode()).hexdigest()) for v in bad["md5"]]
    for serial in range(count - len(values)):
        slot = serial % 5
        if slot < 2:
            values.append(("ip-dst", f"{rnd.randrange(1, 223)}.{rnd.randrange(256)}.{rnd.randrange(256)}."
                                     f"{rnd.randrange(1, 255)}"))
        elif slot < 4:
            words = rnd.randrange(1, 3)
            labels = ".".join(f"{rnd.getrandbits(28 + 8 * i):x}" for i in range(words))
            values.append(("domain", f"{labels}.{rnd.choice(TLDS)}"))
        else:
            values.append(("sha256", hashlib.sha256(serial.to_bytes(8, "big")).hexdigest()))
    return values


def attribute(rnd: random.Random, misp_type: str, value: str, stamp: str) -> dict[str, object]:
    return {"uuid": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "type": misp_type,
            "category": "Network activity" if misp_type != "sha256" else "Payload delivery",
            "to_ids": True, "value": value, "timestamp": stamp, "comment": ""}


def event(rnd: random.Random, number: int, attributes: list[dict[str, object]]) -> dict[str, object]:
    return {"Event": {"uuid": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                      "info": f"bench event {number}", "date": "2026-01-01",
                      "timestamp": str(1_700_000_000 + number), "threat_level_id": str(1 + number % 4),
                      "published": True, "analysis": "2", "Orgc": {"name": "bench"},
                      "Tag": [{"name": "tlp:clear"}], "Attribute": attributes}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    values = indicator_values(args.count, args.seed)
    out: Path = args.out
    (out / "zeek").mkdir(parents=True, exist_ok=True)
    (out / "feed").mkdir(exist_ok=True)
    sources = ("abuse", "bench", "cps")
    with (out / "zeek" / "intel.dat").open("w") as zeek:
        zeek.write("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.do_notice\n")
        for number, (misp_type, value) in enumerate(values):
            zeek.write(f"{value}\t{ZEEK_TYPES[misp_type]}\t{sources[number % 3]}\t-\tF\n")
    with (out / "list.csv").open("w") as listed:
        listed.write("value,type\n")
        listed.writelines(f"{value},{misp_type}\n" for misp_type, value in values)
    (out / "values.txt").write_text("".join(f"{value}\n" for _, value in values))
    rnd = random.Random(args.seed + 1)
    manifest: dict[str, object] = {}
    everything: list[dict[str, object]] = []
    for number, start in enumerate(range(0, len(values), PER_EVENT)):
        stamp = str(1_700_000_000 + number)
        attributes = [attribute(rnd, t, v, stamp) for t, v in values[start:start + PER_EVENT]]
        document = event(rnd, number, attributes)
        body = document["Event"]
        assert isinstance(body, dict)
        (out / "feed" / f"{body['uuid']}.json").write_text(json.dumps(document))
        manifest[str(body["uuid"])] = {"info": body["info"], "timestamp": stamp, "threat_level_id": "4",
                                       "Orgc": {"name": "bench"}, "Tag": [{"name": "tlp:clear"}]}
        everything.extend(attributes)
    (out / "feed" / "manifest.json").write_text(json.dumps(manifest))
    (out / "event.json").write_text(json.dumps(event(rnd, 0, everything)))
    print(f"wrote {len(values)} indicators in 4 formats to {out}")


if __name__ == "__main__":
    main()
