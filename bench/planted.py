"""Values that bench/gen_logs.py plants in the logs and bench/gen_intel.py puts in the intel (same seed).

So the benchmark has real hits: every planted value must produce alerts.
"""

from __future__ import annotations

import hashlib
import random


def planted(seed: int, count: int = 200) -> dict[str, list[str]]:
    """Deterministic bad values per kind: IPs, CIDR members, domains (matched as parents), URLs, hashes."""
    rnd = random.Random(seed * 7919 + 1)
    ips = [f"203.{rnd.randrange(0, 113)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}" for _ in range(count)]
    nets = [f"198.{rnd.randrange(18, 20)}.{rnd.randrange(256)}.0/24" for _ in range(count // 4)]
    domains = [f"bad{rnd.getrandbits(32):08x}.example-{i % 7}.net" for i in range(count)]
    urls = [f"http://{d}/gate/{rnd.getrandbits(24):06x}.php" for d in domains[: count // 2]]
    hashes = [hashlib.md5(f"{seed}-{i}".encode()).hexdigest() for i in range(count)]
    return {"ip": ips, "cidr": nets, "domain": domains, "url": urls, "md5": hashes}
