"""Zeek logs written with `Log::default_scope_sep = "_"` (a common setting for Elasticsearch): `id_orig_h`
instead of `id.orig_h`. The correlator reads Zeek's own dotted names; such a log's record fields are renamed
back on reading, so it is matched like any other (it once matched nothing, silently).

Only the names of record fields the correlator reads are renamed, from an explicit list: a prefix rule
would also rename Zeek's own underscore names (files.log `seen_bytes` is not intel.log's `seen.*`).
"""

from __future__ import annotations

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
