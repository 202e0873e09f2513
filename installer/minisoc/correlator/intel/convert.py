"""Turning one typed value (a MISP attribute, a Zeek intel line) into Indicators, with counts.

Nothing here raises on bad intel: invalid values and unsupported types are counted in LoadCounts.
"""

from __future__ import annotations

import msgspec

from minisoc.correlator.intel.misp_types import MISP_TYPE_PARTS, PORT
from minisoc.correlator.model import KIND_CIDR, KIND_IP, Indicator
from minisoc.correlator.values.canonical import CANONICALISERS, NAME_KINDS, address_of_name, canonicalise

SINGLE_PART = {misp_type: (parts[0], CANONICALISERS[parts[0]])
                for misp_type, parts in MISP_TYPE_PARTS.items() if len(parts) == 1 and parts[0] is not None}


def is_short_decimal(stamp: str) -> bool:
    """A str timestamp that `int` takes and that fits int64 whatever its digits (at most 18 of them)."""
    return stamp.isdecimal() and len(stamp) < 19


# Why a value was refused (Refusal.reason): the `--dead-letter` file of `minisoc hunt` names it per value.
REFUSED_INVALID = "invalid_indicator"  # not valid for its type (or of no recognisable kind)
REFUSED_UNSUPPORTED = "unsupported_type"  # a type we do not match
REFUSED_MISSING_EVENT = "missing_event"  # a feed event the manifest names whose file is missing


class Refusal(msgspec.Struct, frozen=True, gc=False):
    """One value (or feed event) a load left out, and why: what the summary's counts are made of."""

    source: str  # the file or feed it came from
    type: str  # its MISP (or Zeek) type, `freetext` for a value list without one
    value: str
    reason: str  # a REFUSED_* constant


class LoadCounts(msgspec.Struct):
    """What a load saw: indicators per MISP type, and what was left out and why (`refused`: each value)."""

    per_type: dict[str, int] = {}
    unsupported: dict[str, int] = {}  # MISP (or Zeek) types we do not match
    invalid: dict[str, int] = {}  # values that are not valid for their type
    not_for_ids: int = 0  # MISP attributes with to_ids false
    deleted: int = 0  # MISP attributes (or objects) flagged deleted
    missing_events: int = 0  # feed events named in the manifest whose file is missing (skipped, retried)
    refused: list[Refusal] = []  # every unsupported or invalid value and missing event, in load order

    def add(self, other: LoadCounts) -> None:
        for mine, theirs in ((self.per_type, other.per_type), (self.unsupported, other.unsupported),
                             (self.invalid, other.invalid)):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        self.not_for_ids += other.not_for_ids
        self.deleted += other.deleted
        self.missing_events += other.missing_events
        self.refused.extend(other.refused)

    def tally(self) -> tuple[int, int, int, int, int]:
        """(invalid, unsupported, not for IDS, deleted, missing events): what was left out, in numbers."""
        return (sum(self.invalid.values()), sum(self.unsupported.values()), self.not_for_ids, self.deleted,
                self.missing_events)

    @property
    def indicators(self) -> int:
        return sum(self.per_type.values())

    def count_unsupported(self, misp_type: str, value: str = "", source: str = "") -> None:
        self.unsupported[misp_type] = self.unsupported.get(misp_type, 0) + 1
        self.refused.append(Refusal(source, misp_type, value, REFUSED_UNSUPPORTED))

    def count_invalid(self, misp_type: str, value: str = "", source: str = "") -> None:
        self.invalid[misp_type] = self.invalid.get(misp_type, 0) + 1
        self.refused.append(Refusal(source, misp_type, value, REFUSED_INVALID))

    def count_missing_event(self, uuid: str, source: str) -> None:
        self.missing_events += 1
        self.refused.append(Refusal(source, "event", uuid, REFUSED_MISSING_EVENT))


class Provenance(msgspec.Struct, frozen=True):
    """Where an indicator comes from: shared by every attribute of one event."""

    source: str
    event_uuid: str | None = None
    event_info: str | None = None
    reference: str | None = None
    tags: tuple[str, ...] = ()
    threat_level: int | None = None


def _port(text: str) -> int | None:
    text = text.strip()
    if not text.isdecimal():
        return None
    port = int(text)
    return port if 0 < port < 65536 else None


def indicators_for(
    misp_type: str,
    value: str,
    provenance: Provenance,
    counts: LoadCounts,
    *,
    attribute_uuid: str | None = None,
    tags: tuple[str, ...] = (),
    comment: str | None = None,
    timestamp: int | None = None,
) -> list[Indicator]:
    """The indicators one typed value yields: none (counted), one, or two for `domain|ip`."""
    single = SINGLE_PART.get(misp_type)
    if single is not None:  # the common case, kept short: it runs once per indicator
        single_kind, canonicaliser = single
        text = canonicaliser(value)
        if single_kind in NAME_KINDS and (text is None or text[-1].isdigit()):
            address = address_of_name(value, text)
            if address is not None:
                text, single_kind = address, KIND_IP
        if text is None:
            if misp_type == "uri" and value.lstrip().startswith("/"):
                # a path without a host: not matched (docs/intel.md)
                counts.count_unsupported(misp_type, value, provenance.source)
            else:
                counts.count_invalid(misp_type, value, provenance.source)
            return []
        if single_kind == KIND_CIDR and "/" not in text:
            single_kind = KIND_IP
        per_type = counts.per_type
        per_type[misp_type] = per_type.get(misp_type, 0) + 1
        if tags:
            tags = provenance.tags + tuple(t for t in tags if t not in provenance.tags)
        return [Indicator(text, single_kind, misp_type, provenance.source, provenance.event_uuid,
                          provenance.event_info, attribute_uuid, provenance.reference,
                          tags or provenance.tags, provenance.threat_level, comment or None, None, timestamp)]
    parts_kinds = MISP_TYPE_PARTS.get(misp_type)
    if parts_kinds is None:
        counts.count_unsupported(misp_type, value, provenance.source)
        return []
    parts = value.split("|") if len(parts_kinds) > 1 else [value]
    if len(parts) != len(parts_kinds):
        counts.count_invalid(misp_type, value, provenance.source)
        return []
    port: int | None = None
    if PORT in parts_kinds:
        port = _port(parts[parts_kinds.index(PORT)])
        if port is None:
            counts.count_invalid(misp_type, value, provenance.source)
            return []
    found: list[tuple[str, str]] = []
    for part, kind in zip(parts, parts_kinds, strict=True):
        if kind is None or kind == PORT:
            continue
        canonical = canonicalise(kind, part)
        if canonical is None:
            counts.count_invalid(misp_type, value, provenance.source)
            return []
        found.append(canonical)
    all_tags = provenance.tags
    if tags:
        all_tags += tuple(t for t in tags if t not in provenance.tags)
    counts.per_type[misp_type] = counts.per_type.get(misp_type, 0) + 1
    return [
        Indicator(
            value=canonical_value, kind=kind, type=misp_type, source=provenance.source,
            event_uuid=provenance.event_uuid, event_info=provenance.event_info,
            attribute_uuid=attribute_uuid, reference=provenance.reference, tags=all_tags,
            threat_level=provenance.threat_level, comment=comment or None, port=port, timestamp=timestamp,
        )
        for kind, canonical_value in found
    ]
