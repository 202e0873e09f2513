"""Run fault trials over a range of seeds against one real OpenSearch (see fault_harness.py):

    PYTHONPATH=installer python tests/integration/fault_trials.py --seeds 1-20 --kills 10 --duration 120

Prints one line per seed and exits 1 if any trial lost, duplicated or invented an alert (seed printed:
`--seeds N-N` replays it). `--large` adds the multi-MB WRCCDC archives (dns, ssl, weird).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fault_harness import REPO, log_files, run_trial
from opensearch_server import start_server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1-20", help="first-last (inclusive)")
    parser.add_argument("--kills", type=int, default=10, help="SIGKILLs per trial")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds over which events are spread")
    parser.add_argument("--large", action="store_true", help="also the multi-MB WRCCDC archives")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    first, _, last = args.seeds.partition("-")
    seeds = range(int(first), int(last or first) + 1)
    zeek = args.data / "zeek"
    sources = log_files(zeek, large=args.large)
    work = Path(tempfile.mkdtemp(prefix="minisoc-fault-"))
    server = start_server()
    failed = []
    try:
        for seed in seeds:
            result = run_trial(seed, server, work / f"seed-{seed}", sources, zeek,
                               kills=args.kills, duration_s=args.duration)
            print(result.summary(), flush=True)
            for name, items in (("missing", result.missing), ("duplicated", result.duplicated),
                                ("unexpected", result.unexpected)):
                for triple in items[:10]:
                    print(f"  {name}: {triple}", flush=True)
            if not result.ok:
                failed.append(seed)
            else:
                shutil.rmtree(work / f"seed-{seed}", ignore_errors=True)
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)
    print(f"{len(seeds) - len(failed)}/{len(seeds)} trials clean; failed seeds: {failed or 'none'}; "
          f"kept for inspection under {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
