"""Zeek record fields (`id.orig_h`, `san.dns`, ...) written under other names than Zeek's dotted ones, read
back under those, so such logs are matched like any other (they once matched nothing, silently):

- `Log::default_scope_sep = "_"` (a common setting for Elasticsearch): `id_orig_h`. Only the names of record
  fields the correlator reads are renamed, from an explicit list: a prefix rule would also rename Zeek's own
  underscore names (files.log `seen_bytes` is not intel.log's `seen.*`).
- nested objects, as some pipelines re-serialise Zeek JSON: `"id": {"orig_h": ...}`. Every object value is
  flattened with dots, as Zeek itself writes records.

`reshaper_for(first_record)` decides for a whole JSON stream from its first record (a file has one shape).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DOTTED_NAMES = (
    "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p",  # every connection log
    "seen.indicator", "seen.indicator_type", "seen.where", "seen.node",  # intel.log
    "san.dns", "san.email", "san.ip", "san.uri",  # x509.log
    "certificate.subject", "certificate.issuer", "certificate.serial", "certificate.version",
    "certificate.not_valid_before", "certificate.not_valid_after", "certificate.key_alg",
    "certificate.sig_alg", "certificate.key_type", "certificate.key_length", "certificate.exponent",
    "basic_constraints.ca", "basic_constraints.path_len",
)
DOTTED_BY_UNDERSCORED = {name.replace(".", "_"): name for name in DOTTED_NAMES}


def uses_underscore_scopes(names: Any) -> bool:
    """True when `names` (a record's keys) are written with `_` as the scope separator."""
    return not DOTTED_BY_UNDERSCORED.keys().isdisjoint(names)


def dotted_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with its underscored scope names renamed to Zeek's dotted ones (in place; returned)."""
    for underscored in DOTTED_BY_UNDERSCORED.keys() & fields.keys():
        dotted = DOTTED_BY_UNDERSCORED[underscored]
        if dotted not in fields:
            fields[dotted] = fields.pop(underscored)
    return fields


def dotted_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """TSV `#fields` names with the underscored scope names renamed (unless the dotted one is there too)."""
    present = set(names)
    return tuple(
        dotted if (dotted := DOTTED_BY_UNDERSCORED.get(name)) is not None and dotted not in present else name
        for name in names
    )


def flattened_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` with every object value spread into dotted keys (`{"id": {"orig_h": x}}` -> `id.orig_h`); a
    key already present wins over a nested one (in place; returned)."""
    nested = [key for key, value in fields.items() if value.__class__ is dict]
    for key in nested:
        for name, value in _flat(key, fields.pop(key)):
            fields.setdefault(name, value)
    return fields


def _flat(prefix: str, value: dict[str, Any]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for key, item in value.items():
        name = f"{prefix}.{key}"
        pairs.extend(_flat(name, item) if item.__class__ is dict else ((name, item),))
    return pairs


Reshaper = Callable[[dict[str, Any]], dict[str, Any]]


def reshaper_for(fields: dict[str, Any]) -> Reshaper | None:
    """What a stream whose first record is `fields` needs done to each record (None: Zeek's own names)."""
    if any(value.__class__ is dict for value in fields.values()):
        return lambda record: dotted_fields(flattened_fields(record))
    if uses_underscore_scopes(fields):
        return dotted_fields
    return None
