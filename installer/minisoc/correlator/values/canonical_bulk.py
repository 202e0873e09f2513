"""Canonical text for a whole list of values of one kind at once: the bulk load path.

`canonicalise_many(kind, values)` gives exactly `[CANONICALISERS[kind](v) for v in values]`, but checks
the common, already canonical spellings at C level (`map` of `inet_pton` or of a regular expression, or
one string test over the joined list) and calls the per-value function only for the values that fail that
check. Each fast check accepts only values that the per-value function returns unchanged (IPv4, names,
hashes) or as the text after `scheme://` (URLs); anything else takes the per-value function.
"""

from __future__ import annotations

import re
import socket
from collections import deque
from collections.abc import Callable
from functools import partial
from itertools import compress, repeat
from operator import contains, itemgetter, not_

from minisoc.correlator import model
from minisoc.correlator.values.canonical import _HASH_LENGTHS, CANONICALISERS

_NAME_LIST = re.compile(r"[a-z0-9_.\n-]*")
_BAD_EDGES = ("\n.", ".\n", "\n-", "-\n", "\n\n")
_PTON4 = partial(socket.inet_pton, socket.AF_INET)
_LONG_LABEL = re.compile(r"[^.\n]{64}")  # a DNS label is at most 63 characters
_NOT_IN_URL = re.compile(r"[\s#\x00-\x1f\x7f]")  # the ASCII characters the URL fast path refuses
_FIRST, _SECOND, _THIRD = itemgetter(0), itemgetter(1), itemgetter(2)
_SCHEMES = {"http", "https"}  # other spellings (HTTP://) take the per-value function


def _addresses(values: list[str], kind: str) -> list[str | None]:
    """IPv4 without `/`: canonical when `inet_pton` takes them all (it refuses spaces, brackets, colons and
    leading zeros); CIDRs and anything else take the per-value function."""
    slow = CANONICALISERS[kind]
    with_slash = list(map(contains, values, repeat("/")))
    plain = list(compress(values, map(not_, with_slash))) if True in with_slash else values
    try:
        deque(map(_PTON4, plain), maxlen=0)
    except (OSError, ValueError):
        return list(map(slow, values))
    if len(plain) == len(values):
        return list(values)
    ranges = iter(list(map(slow, compress(values, with_slash))))
    return [next(ranges) if slash else value for value, slash in zip(values, with_slash, strict=True)]


def _canonical_names(values: list[str]) -> bool:
    """Every value is a name `canonical_hostname` returns unchanged: lower-case ASCII `[a-z0-9_.-]`, no
    `..`, no dot or hyphen at either end, labels of at most 63 and names of 1-253 characters (one test of the
    joined list)."""
    joined = "\n".join(values)
    longest = max(map(len, values), default=0)
    return bool(values and joined.isascii() and joined.count("\n") == len(values) - 1
                and _NAME_LIST.fullmatch(joined) and ".." not in joined
                and (longest < 64 or not _LONG_LABEL.search(joined))  # a label is never longer than its name
                and min(map(len, values)) > 0 and longest <= 253
                and joined[0] not in ".-" and joined[-1] not in ".-"
                and not any(edge in joined for edge in _BAD_EDGES))


def _names(values: list[str], kind: str) -> list[str | None]:
    return list(values) if _canonical_names(values) else list(map(CANONICALISERS[kind], values))


def _columns(parts: list[tuple[str, str, str]]) -> tuple[list[str], list[str], list[str]]:
    """The three columns of `str.partition` results (itemgetter maps: zip(*...) is several times slower)."""
    return list(map(_FIRST, parts)), list(map(_SECOND, parts)), list(map(_THIRD, parts))


def _urls(values: list[str], kind: str) -> list[str | None]:
    """`http(s)://host/path` with a canonical host and a path without whitespace, controls or `#`: the text
    after `://`, checked on the whole list at once; otherwise the per-value function for each."""
    joined = "".join(values)
    if not joined.isascii() or _NOT_IN_URL.search(joined):
        return list(map(CANONICALISERS[kind], values))
    schemes, separators, rests = _columns(list(map(str.partition, values, repeat("://"))))
    hosts, slashes, paths = _columns(list(map(str.partition, rests, repeat("/"))))
    if (all(separators) and set(schemes) <= _SCHEMES and all(slashes)
            and max(map(len, paths)) < 8000 and _canonical_names(hosts)):
        return list(rests)
    return list(map(CANONICALISERS[kind], values))


def _hashes(values: list[str], kind: str) -> list[str | None]:
    length = _HASH_LENGTHS[kind]
    if set(map(len, values)) == {length}:
        joined = "".join(values)
        try:
            if joined.isascii() and bytes.fromhex(joined).hex() == joined:  # all lower-case hex, no spaces
                return list(values)
        except ValueError:
            pass
    return list(map(CANONICALISERS[kind], values))


_BULK: dict[str, Callable[[list[str], str], list[str | None]]] = {
    model.KIND_IP: _addresses,
    model.KIND_CIDR: _addresses,
    model.KIND_DOMAIN: _names,
    model.KIND_HOSTNAME: _names,
    model.KIND_URL: _urls,
    **{kind: _hashes for kind in _HASH_LENGTHS},
}


def canonicalise_many(kind: str, values: list[str]) -> list[str | None]:
    """`[CANONICALISERS[kind](value) for value in values]`, faster for the common kinds (str values only)."""
    bulk = _BULK.get(kind)
    if bulk is None:
        return list(map(CANONICALISERS[kind], values))
    return bulk(values, kind)
