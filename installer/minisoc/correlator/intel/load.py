"""`minisoc hunt --intel PATH_OR_URL...`: load intel from paths and URLs, whatever their format.

A URL whose path ends in a file name with an intel suffix (`.../event.json`, `.../list.csv`) is that one file,
fetched and recognised by its content like a local file (`.../manifest.json` is the feed it belongs to); any
other URL is a MISP feed. A directory with `manifest.json` is a feed directory, any other directory
contributes every `*.json`, `*.intel`, `*.dat`, `*.csv` and `*.txt` file in it; a file is recognised by its
content.
"""

from __future__ import annotations

import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import msgspec

from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.intel.fetch import HttpFetcher
from minisoc.correlator.intel.intel_file import add_intel_file_rows, parse_intel_bytes, read_intel_file
from minisoc.correlator.intel.misp_feed import MispFeedSource, is_url
from minisoc.correlator.matching.columns import IndicatorColumns
from minisoc.correlator.model import Indicator
from minisoc.errors import IntelError

INTEL_SUFFIXES = (".json", ".intel", ".dat", ".csv", ".txt")


class IntelLoad(msgspec.Struct):
    """Indicators loaded for a hunt, with what was counted on the way."""

    indicators: list[Indicator]
    counts: LoadCounts
    sources: list[str]  # one entry per file or feed read
    empty_sources: dict[str, str] = {}  # source -> why it yielded no indicator (`why_empty`)


class IntelColumnsLoad(msgspec.Struct):
    """The same as IntelLoad, in columns (IndicatorIndex.from_columns builds the index from them)."""

    columns: IndicatorColumns
    counts: LoadCounts
    sources: list[str]
    empty_sources: dict[str, str] = {}


_LEFT_OUT = ("invalid", "of an unsupported type", "not for IDS", "deleted", "feed event file(s) missing")


def why_empty(before: tuple[int, ...], after: tuple[int, ...]) -> str:
    """Why a source that yielded no indicator did not: what was left out while it was read (the difference
    of `LoadCounts.tally()` before and after), or that it held nothing at all."""
    reasons = [f"{now - then} {label}" for label, then, now in zip(_LEFT_OUT, before, after, strict=True)
               if now != then]
    return ", ".join(reasons) or "empty: nothing in it"


def _load_feed(location: str, name: str, counts: LoadCounts) -> list[Indicator]:
    with tempfile.TemporaryDirectory(prefix="minisoc-feed-") as state_dir:
        source = MispFeedSource(name, location, Path(state_dir), track_removals=False)
        try:
            update = source.sync()
        finally:
            source.fetcher.close()
    counts.add(source.last_counts)
    return update.added


def _load_feed_columns(location: str, name: str, counts: LoadCounts, columns: IndicatorColumns) -> None:
    with tempfile.TemporaryDirectory(prefix="minisoc-feed-") as state_dir:  # load_columns writes no state
        source = MispFeedSource(name, location, Path(state_dir), track_removals=False)
        try:
            source.load_columns(columns)
        finally:
            source.fetcher.close()
    counts.add(source.last_counts)


def _read_url_file(url: str, name: str, counts: LoadCounts) -> list[Indicator]:
    """The indicators of one intel file fetched from `url`, named `name` (its file name) as their source."""
    fetcher = HttpFetcher()
    try:
        data = fetcher.get(url)
    finally:
        fetcher.close()
    return parse_intel_bytes(data, url, name, counts)


def _url_file_name(url: str) -> str | None:
    """The file name a URL's path ends in when it has an intel suffix (`event.json`, `a.csv`), else None."""
    name = PurePosixPath(urlsplit(url).path).name
    return name if name.lower().endswith(INTEL_SUFFIXES) else None


def _intel_inputs(specs: Sequence[str], sources: list[str]) -> Iterator[tuple[str, str, str]]:
    """("feed", location, name), ("file", path, "") or ("url", url, file name) for each input of `specs`, in
    order; each one is added to `sources` as it is reached. Raises IntelError (with a hint) when a spec names
    nothing."""
    for spec in specs:
        if is_url(spec):
            file_name = _url_file_name(spec)
            if file_name is not None and file_name != "manifest.json":
                sources.append(spec)
                yield "url", spec, file_name
                continue
            feed = spec[:spec.rfind("/manifest.json")] if file_name == "manifest.json" else spec
            sources.append(feed)
            yield "feed", feed, feed.rstrip("/").rsplit("/", 1)[-1] or feed
            continue
        path = Path(spec)
        try:
            mode: int | None = path.stat().st_mode
        except FileNotFoundError:
            mode = None
        except OSError as error:  # a directory on the way that we may not search (EACCES), a loop, ...
            raise IntelError(f"{spec}: cannot be reached ({error.strerror or error})",
                             "run as a user that can read it and every directory above it") from None
        if mode is not None and stat.S_ISDIR(mode):
            try:
                is_feed = (path / "manifest.json").is_file()
                files = [] if is_feed else sorted(
                    p for p in path.iterdir() if p.is_file() and p.suffix.lower() in INTEL_SUFFIXES)
            except OSError as error:  # a directory we may not list (EACCES)
                raise IntelError(f"{spec}: cannot list this directory ({error.strerror or error})",
                                 "run as a user that can read it") from None
            if is_feed:
                sources.append(str(path))
                yield "feed", str(path), path.name
                continue
            if not files:
                raise IntelError(f"{path}: no intel file in this directory",
                                 "expected a MISP feed (manifest.json) or files ending in "
                                 + ", ".join(INTEL_SUFFIXES))
            for file in files:
                sources.append(str(file))
                yield "file", str(file), ""
        elif mode is not None and stat.S_ISREG(mode) and path.name == "manifest.json":
            sources.append(str(path.parent))
            yield "feed", str(path.parent), path.parent.name
        elif mode is not None:
            sources.append(str(path))
            yield "file", str(path), ""
        else:
            raise IntelError(f"{spec}: no such file, directory or feed URL",
                             "give a path to intel files, an http(s):// MISP feed URL or the URL of an intel"
                             " file")


def load_intel(specs: Sequence[str]) -> IntelLoad:
    """Every indicator named by `specs` (paths or http(s) feed URLs). Raises IntelError with a hint."""
    counts = LoadCounts()
    sources: list[str] = []
    indicators: list[Indicator] = []
    empty: dict[str, str] = {}
    for form, location, name in _intel_inputs(specs, sources):
        before, size = counts.tally(), len(indicators)
        if form == "feed":
            indicators.extend(_load_feed(location, name, counts))
        elif form == "url":
            indicators.extend(_read_url_file(location, name, counts))
        else:
            indicators.extend(read_intel_file(Path(location), counts))
        if len(indicators) == size:
            empty[location] = why_empty(before, counts.tally())
    return IntelLoad(indicators=indicators, counts=counts, sources=sources, empty_sources=empty)


def load_intel_columns(specs: Sequence[str], *, lean: bool = False) -> IntelColumnsLoad:
    """`load_intel`, in columns: the same rows, in the same order, without one Indicator per value for
    MISP feeds, MISP event files and Zeek intel files (the bulk path of `minisoc hunt`); `lean`: rows packed
    as they come (IndicatorColumns), for a caller that only indexes them."""
    counts = LoadCounts()
    sources: list[str] = []
    columns = IndicatorColumns(lean=lean)
    empty: dict[str, str] = {}
    for form, location, name in _intel_inputs(specs, sources):
        before, size = counts.tally(), len(columns)
        if form == "feed":
            _load_feed_columns(location, name, counts, columns)
        elif form == "url":
            columns.extend(_read_url_file(location, name, counts))
        else:
            add_intel_file_rows(Path(location), counts, columns)
        columns.compact()
        if len(columns) == size:
            empty[location] = why_empty(before, counts.tally())
    return IntelColumnsLoad(columns=columns, counts=counts, sources=sources, empty_sources=empty)
