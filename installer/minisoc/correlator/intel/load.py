"""`minisoc hunt --intel PATH_OR_URL...`: load intel from paths and URLs, whatever their format.

A URL is a MISP feed; a directory with `manifest.json` is a feed directory, any other directory contributes
every `*.json`, `*.intel`, `*.dat`, `*.csv` and `*.txt` file in it; a file is recognised by its content.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import msgspec

from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.intel.intel_file import read_intel_file
from minisoc.correlator.intel.misp_feed import MispFeedSource, is_url
from minisoc.correlator.model import Indicator
from minisoc.errors import IntelError

INTEL_SUFFIXES = (".json", ".intel", ".dat", ".csv", ".txt")


class IntelLoad(msgspec.Struct):
    """Indicators loaded for a hunt, with what was counted on the way."""

    indicators: list[Indicator]
    counts: LoadCounts
    sources: list[str]  # one entry per file or feed read


def _load_feed(location: str, name: str, counts: LoadCounts) -> list[Indicator]:
    with tempfile.TemporaryDirectory(prefix="minisoc-feed-") as state_dir:
        source = MispFeedSource(name, location, Path(state_dir), track_removals=False)
        try:
            update = source.sync()
        finally:
            source.fetcher.close()
    counts.add(source.last_counts)
    return update.added


def _load_directory(path: Path, counts: LoadCounts, sources: list[str]) -> list[Indicator]:
    if (path / "manifest.json").is_file():
        sources.append(str(path))
        return _load_feed(str(path), path.name, counts)
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in INTEL_SUFFIXES)
    if not files:
        raise IntelError(f"{path}: no intel file in this directory",
                         "expected a MISP feed (manifest.json) or files ending in "
                         + ", ".join(INTEL_SUFFIXES))
    found: list[Indicator] = []
    for file in files:
        sources.append(str(file))
        found.extend(read_intel_file(file, counts))
    return found


def load_intel(specs: Sequence[str]) -> IntelLoad:
    """Every indicator named by `specs` (paths or http(s) feed URLs). Raises IntelError with a hint."""
    counts = LoadCounts()
    sources: list[str] = []
    indicators: list[Indicator] = []
    for spec in specs:
        if is_url(spec):
            sources.append(spec)
            indicators.extend(_load_feed(spec, spec.rstrip("/").rsplit("/", 1)[-1] or spec, counts))
            continue
        path = Path(spec)
        if path.is_dir():
            indicators.extend(_load_directory(path, counts, sources))
        elif path.is_file() and path.name == "manifest.json":
            sources.append(str(path.parent))
            indicators.extend(_load_feed(str(path.parent), path.parent.name, counts))
        elif path.exists():
            sources.append(str(path))
            indicators.extend(read_intel_file(path, counts))
        else:
            raise IntelError(f"{spec}: no such file, directory or feed URL",
                             "give a path to intel files or an http(s):// MISP feed URL")
    return IntelLoad(indicators=indicators, counts=counts, sources=sources)
