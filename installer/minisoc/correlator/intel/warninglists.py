"""MISP warninglists (the JSON of MISP/misp-warninglists): known benign values, reported as suppressed.

List types: cidr (per prefix length hash sets: cost bounded by the distinct prefix lengths, never a scan of
the 62k entries of public-dns-v4), string (exact, case-insensitive), hostname (the name and names below it),
substring, regex (PHP preg `/pattern/flags`, any delimiter or bracket pair; entries Python cannot
use are kept in `unusable` and reported). `matching_attributes` restricts a list to those MISP types.
A URL indicator is checked whole and, for string/hostname lists, by its host as MISP does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from minisoc.correlator import model
from minisoc.correlator.intel.fetch import read_file_bytes
from minisoc.correlator.matching.columns import IndicatorColumns
from minisoc.correlator.model import Indicator, Suppressed
from minisoc.correlator.values.canonical import ip_to_int, parse_cidr
from minisoc.errors import IntelError

_HINT = "warninglists are the list.json files of MISP/misp-warninglists (name, type, list)"
_PHP_BRACKETS = {"(": ")", "[": "]", "{": "}", "<": ">"}
# PHP preg modifiers with a Python equivalent; A (anchored) is `match` instead of `search`. The rest (U
# ungreedy, n no-auto-capture, e, r, ...) make an entry unusable, counted per list.
_PHP_FLAGS = {
    "i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE,
    "u": 0,  # UTF-8: Python str patterns are Unicode already
    "D": 0,  # `$` only at the very end, not before a final newline: canonical values never end in one
    "S": 0,  # extra study: speed only
    "X": 0,  # unknown escapes are errors: Python refuses unknown letter escapes already
    "J": 0,  # duplicate group names allowed: Python refuses them, and the entry is reported unusable
}


class CidrSet:
    """Networks by (ip version, prefix length): a lookup costs one set probe per distinct length."""

    def __init__(self) -> None:
        self._by_length: dict[tuple[int, int], dict[int, str]] = {}

    def add(self, version: int, network: int, length: int, entry: str) -> None:
        self._by_length.setdefault((version, length), {}).setdefault(network, entry)

    def buckets(self) -> dict[tuple[int, int], int]:
        """Entries per (ip version, prefix length): what a lookup walks."""
        return {key: len(networks) for key, networks in self._by_length.items()}

    def covering(self, version: int, network: int, length: int) -> str | None:
        """The entry of a listed network that contains `network/length`, if any."""
        bits = 32 if version == 4 else 128
        for (list_version, list_length), networks in self._by_length.items():
            if list_version != version or list_length > length:
                continue
            shift = bits - list_length
            entry = networks.get((network >> shift) << shift)
            if entry is not None:
                return entry
        return None


class UnusableEntry(ValueError):
    """A list entry that cannot be used here (an invalid regex, a PHP flag Python has no equivalent for)."""


def _php_pattern(entry: str) -> tuple[str, str]:
    """(pattern, modifiers) of a PHP preg pattern, as preg_match reads it: leading whitespace skipped, any
    non-alphanumeric delimiter, and the bracket pairs () [] {} <> (nested brackets belong to the pattern)."""
    text = entry.lstrip()
    if not text:
        raise UnusableEntry("empty pattern")
    opening = text[0]
    if opening.isalnum() or opening == "\\":
        raise UnusableEntry("delimiter must not be alphanumeric or backslash")
    closing = _PHP_BRACKETS.get(opening, opening)
    depth = 1
    position = 1
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
            continue
        if char == closing:
            depth -= 1
            if depth == 0:
                return text[1:position], text[position + 1:]
        elif char == opening:
            depth += 1
        position += 1
    raise UnusableEntry(f"no ending delimiter {closing!r}")


def _php_regex(entry: str) -> Callable[[str], re.Match[str] | None]:
    """`search` (or `match`, for the A modifier) of a PHP preg pattern. Raises UnusableEntry."""
    pattern, modifiers = _php_pattern(entry)
    flags = 0
    anchored = False
    for modifier in modifiers:
        if modifier == "A":
            anchored = True
        elif modifier in _PHP_FLAGS:
            flags |= _PHP_FLAGS[modifier]
        elif modifier not in " \n\r":  # preg_match skips these between modifiers
            raise UnusableEntry(f"PHP modifier {modifier!r} has no Python equivalent")
    try:
        compiled = re.compile(pattern, flags)
    except (re.error, OverflowError, RecursionError) as error:
        raise UnusableEntry(f"not a regex Python can use ({error})") from None
    return compiled.match if anchored else compiled.search


def _host_of(indicator: Indicator) -> str | None:
    if indicator.kind != model.KIND_URL:
        return None
    host = indicator.value.split("/", 1)[0]
    return host.rsplit(":", 1)[0] if not host.startswith("[") else host


def _regex_subjects(indicator: Indicator) -> tuple[str, ...]:
    """What MISP would run a regex on: the attribute value as stored. A URL is kept without its scheme (and
    matches logs of either), so it is tried as kept and with https:// and http:// put back."""
    if indicator.kind != model.KIND_URL:
        return (indicator.value,)
    return (indicator.value, f"https://{indicator.value}", f"http://{indicator.value}")


class Warninglist:
    """One compiled warninglist."""

    def __init__(self, name: str, list_type: str, entries: Sequence[str], matching_attributes: Iterable[str]):
        self.name = name
        self.type = list_type
        self.matching_attributes = frozenset(matching_attributes)
        self.cidrs = CidrSet()
        self.strings: dict[str, str] = {}
        self.substrings: list[tuple[str, str]] = []
        self.regexes: list[tuple[Callable[[str], re.Match[str] | None], str]] = []
        self.unusable: list[tuple[str, str]] = []  # (entry, why): reported, never silently ignored
        for entry in entries:
            self._add(str(entry))

    def _add(self, entry: str) -> None:
        if self.type == "cidr":
            parsed = parse_cidr(entry)
            if parsed is not None:
                self.cidrs.add(*parsed, entry)
            elif entry.strip():
                self.unusable.append((entry, "not an IPv4/IPv6 address or network"))
        elif self.type == "string":
            self.strings.setdefault(entry.strip().lower(), entry)
        elif self.type == "hostname":
            # as MISP reads a hostname list: dots trimmed at both ends, so `.duckdns.org` (dynamic-dns) names
            # duckdns.org and every name below it
            key = entry.strip().strip(".").lower()
            if key:
                self.strings.setdefault(key, entry)
        elif self.type == "substring":
            self.substrings.append((entry.lower(), entry))
        elif self.type == "regex":
            try:
                self.regexes.append((_php_regex(entry), entry))
            except UnusableEntry as error:
                self.unusable.append((entry, str(error)))

    def applies_to(self, indicator: Indicator) -> bool:
        return not self.matching_attributes or indicator.type in self.matching_attributes

    def entry_for(self, indicator: Indicator) -> str | None:
        """The list entry that names this indicator as benign, or None."""
        value = indicator.value.lower()
        if self.type == "cidr":
            if indicator.kind not in (model.KIND_IP, model.KIND_CIDR):
                return None
            if indicator.kind == model.KIND_IP:
                version, number = ip_to_int(indicator.value)
                return self.cidrs.covering(version, number, 32 if version == 4 else 128)
            parsed = parse_cidr(indicator.value)
            return self.cidrs.covering(*parsed) if parsed else None
        if self.type == "string":
            host = _host_of(indicator)
            return self.strings.get(value) or (self.strings.get(host) if host else None)
        if self.type == "hostname":
            return self._hostname_entry(_host_of(indicator) or value)
        if self.type == "substring":
            return next((entry for needle, entry in self.substrings if needle in value), None)
        if self.type == "regex":
            subjects = _regex_subjects(indicator)
            return next((entry for matches, entry in self.regexes if any(map(matches, subjects))), None)
        return None

    def _hostname_entry(self, name: str) -> str | None:
        while name:
            entry = self.strings.get(name)
            if entry is not None:
                return entry
            name = name.partition(".")[2]
        return None


class Warninglists:
    """A set of warninglists: `partition` splits indicators into kept and suppressed (with list and entry)."""

    def __init__(self, lists: Sequence[Warninglist], skipped_files: Sequence[str] = ()) -> None:
        self.lists = list(lists)
        self.skipped_files = list(skipped_files)  # JSON files met in a directory that are not warninglists

    def check(self, indicator: Indicator) -> Suppressed | None:
        for warninglist in self.lists:
            if warninglist.applies_to(indicator):
                entry = warninglist.entry_for(indicator)
                if entry is not None:
                    return Suppressed(indicator=indicator, warninglist=warninglist.name, matched_entry=entry)
        return None

    @staticmethod
    def count_per_list(suppressed: Iterable[Suppressed]) -> dict[str, int]:
        """How many of `suppressed` each warninglist named."""
        per_list: dict[str, int] = {}
        for verdict in suppressed:
            per_list[verdict.warninglist] = per_list.get(verdict.warninglist, 0) + 1
        return per_list

    def partition(self, indicators: Iterable[Indicator]) -> tuple[list[Indicator], list[Suppressed]]:
        kept: list[Indicator] = []
        suppressed: list[Suppressed] = []
        for indicator in indicators:
            verdict = self.check(indicator)
            if verdict is None:
                kept.append(indicator)
            else:
                suppressed.append(verdict)
        return kept, suppressed


    def partition_columns(self, columns: IndicatorColumns) -> tuple[IndicatorColumns, list[Suppressed]]:
        """`partition` on columns: the kept rows (in order; `columns` itself when none is suppressed)."""
        kept: list[int] = []
        suppressed: list[Suppressed] = []
        for row in range(len(columns)):
            verdict = self.check(columns.indicator(row))
            if verdict is None:
                kept.append(row)
            else:
                suppressed.append(verdict)
        return (columns.select(kept) if suppressed else columns), suppressed


def parse_warninglist(document: Any, where: str) -> Warninglist:
    if not is_warninglist(document):
        raise IntelError(f"{where}: not a MISP warninglist (no `list` array)", _HINT)
    list_type = document.get("type", "string")
    if list_type not in ("cidr", "string", "hostname", "substring", "regex"):
        raise IntelError(f"{where}: type: unknown warninglist type {list_type!r}",
                         "use one of cidr, string, hostname, substring, regex")
    matching = document.get("matching_attributes") or []
    return Warninglist(str(document.get("name") or Path(where).stem), list_type, document["list"],
                       [str(m) for m in matching] if isinstance(matching, list) else [])


def is_warninglist(document: Any) -> bool:
    """Has the shape of a warninglist: an object with a `list` array."""
    return isinstance(document, dict) and isinstance(document.get("list"), list)


def load_warninglists(paths: Sequence[str | Path]) -> Warninglists:
    """Warninglist files, or directories searched recursively for `*.json`. Raises IntelError.

    In a directory, a JSON file that is not a warninglist (a clone of misp-warninglists has `schema.json` next
    to `lists/`) is skipped and named in `skipped_files`; a file named directly must be a warninglist."""
    files: list[tuple[Path, bool]] = []  # (file, found in a directory)
    for item in map(Path, paths):
        if item.is_dir():
            files.extend((file, True) for file in sorted(item.rglob("*.json")))
        elif item.is_file():
            files.append((item, False))
        else:
            raise IntelError(f"{item}: no such warninglist file or directory", _HINT)
    lists: list[Warninglist] = []
    skipped: list[str] = []
    for file, found_in_directory in files:
        try:
            document = msgspec.json.decode(read_file_bytes(file))
        except (msgspec.DecodeError, RecursionError) as error:  # RecursionError: nested too deeply
            raise IntelError(f"{file}: not valid JSON ({error})", _HINT) from None
        if found_in_directory and not is_warninglist(document):
            skipped.append(str(file))
            continue
        lists.append(parse_warninglist(document, str(file)))
    return Warninglists(lists, skipped)
