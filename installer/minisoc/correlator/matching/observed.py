"""Decoding a Zeek JSON line into only what the matcher reads: a msgspec Struct per log type.

A hunt matches every line but alerts on very few, so building the whole dict of every record (20 to 40 fields,
most of them never read) is the largest cost of a hunt. `observed_type(log_type)` is a Struct holding `ts`,
`_path` and the fields of `observables.fields_read(log_type)`; msgspec skips the other keys while it checks
the JSON's syntax, without building their values. Values are typed `Any`, so a Struct holds exactly what the
dict would hold for those keys (same decoding, same duplicate-key rule: the last wins).

One difference remains, and the caller guards it: strings in skipped fields are not checked for valid UTF-8,
which a dict decode refuses. `zeek.scan` only decodes ASCII lines this way.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from minisoc.correlator.matching import observables as obs


def attribute_name(field: str) -> str:
    """The Struct attribute of a Zeek field (`id.orig_h` -> `z_id_orig_h`)."""
    return "z_" + field.replace(".", "_")


# every field any log type's Struct may hold (a log type without observables of its own: the connection's)
_ATTRIBUTES: Final = {
    field: attribute_name(field)
    for log_type in (*obs.PER_LOG_TYPE, "")
    for field in obs.fields_read(log_type)
}
if len(set(_ATTRIBUTES.values())) != len(_ATTRIBUTES):  # pragma: no cover - a new field name that collides
    raise AssertionError("two Zeek field names map to one Struct attribute")


class ObservedFields(msgspec.Struct, gc=False):
    """The base of every per-log-type Struct: `ts` and `_path` as a dict holds them (None if absent)."""

    ts: Any = None
    log_path: Any = msgspec.field(default=None, name="_path")

    def get(self, field: str, default: Any = None) -> Any:
        """`dict.get` by Zeek field name, for observers that read another field (a JSON null is absent)."""
        value = getattr(self, _ATTRIBUTES[field])
        return default if value is None else value


def observed_type(log_type: str) -> type[ObservedFields]:
    """A Struct type holding the fields the matcher reads in `log_type` records (a new class per call)."""
    fields = [
        (_ATTRIBUTES[field], Any, msgspec.field(default=None, name=field))
        for field in obs.fields_read(log_type)
    ]
    struct = msgspec.defstruct(f"Observed_{log_type}", fields, bases=(ObservedFields,), gc=False)
    return struct  # type: ignore[return-value]  # defstruct is typed as returning type[Struct]
