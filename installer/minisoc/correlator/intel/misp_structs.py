"""The MISP event fields minisoc reads, as msgspec Structs: what the per-event reader (`misp_event`) and its
bulk twin (`misp_bulk`) both decode into, below both of them so neither imports the other for it."""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["MispAttribute", "MispEvent", "MispObject", "WrappedEvent"]


class MispAttribute(msgspec.Struct, gc=False):
    """The attribute fields we use (typed decoding skips the rest, and is several times faster than dicts).

    gc=False (also on the other structs): decoded JSON holds no reference cycles, and a million untracked
    attributes do not make the cyclic collector walk them again and again during a load."""

    type: Any = None
    value: Any = None
    to_ids: Any = False
    deleted: Any = False
    uuid: Any = None
    comment: Any = None
    timestamp: Any = None
    Tag: Any = None


class MispObject(msgspec.Struct, gc=False):
    deleted: Any = False
    Attribute: list[MispAttribute] = []


class MispEvent(msgspec.Struct, gc=False):
    uuid: Any = None
    info: Any = None
    threat_level_id: Any = None
    Tag: Any = None
    Attribute: list[MispAttribute] = []
    Object: list[MispObject] = []


class WrappedEvent(msgspec.Struct, gc=False):
    Event: MispEvent | None = None
