"""Real Zeek log files (../shared/data, plain or gzipped) as lines: what the integration and end-to-end
suites append to sensors and produce to Kafka."""

from __future__ import annotations

import gzip
from pathlib import Path


def read_lines(path: Path) -> list[bytes]:
    """The file's non-blank lines (Zeek's TSV headers included), gunzipped when it ends in `.gz`."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        return [line for line in handle.read().splitlines() if line.strip()]


def log_type_of(path: Path) -> str:
    """`conn.log` and `dns.json.gz` -> `conn`, `dns`."""
    return path.name.split(".", 1)[0]
