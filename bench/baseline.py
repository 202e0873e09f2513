"""The baseline every pipeline figure is compared with: a plain `json.loads` loop over the same log files."""

from __future__ import annotations

import json
from pathlib import Path


def json_loads_loop(files: list[Path]) -> int:
    """Lines parsed with the standard library's json.loads, file by file (nothing else done with them)."""
    count = 0
    for path in files:
        with path.open("rb") as handle:
            for line in handle:
                json.loads(line)
                count += 1
    return count
