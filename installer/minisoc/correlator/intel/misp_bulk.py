"""The bulk load of one plain MISP event: every attribute's rows added column by column, at C speed.

An event is plain when every attribute (its own and its live objects') is for IDS, not deleted, untagged,
of a single-value type we match, with a str value and a str timestamp of at most 18 decimal digits (so it
fits int64; others take the per-attribute loop, which drops a timestamp out of range): the shape of feeds and
exports. Such an event is grouped by MISP type (a stable sort), each group canonicalised with
`canonicalise_many`, and the results scattered back to input order, so the rows, their order, the contexts
(created in order of first use) and the counts are those of the per-attribute loop in `add_event_rows`,
which every other event takes.
"""

from __future__ import annotations

from collections import deque
from itertools import compress, repeat
from operator import attrgetter, contains, is_, itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from minisoc.correlator.intel.convert import SINGLE_PART, LoadCounts, Provenance, is_short_decimal
from minisoc.correlator.matching.columns import Context, IndicatorColumns
from minisoc.correlator.model import KIND_CIDR, KIND_IP
from minisoc.correlator.values.canonical import NAME_KINDS, address_of_name
from minisoc.correlator.values.canonical_bulk import canonicalise_many

if TYPE_CHECKING:
    from minisoc.correlator.intel.misp_structs import MispAttribute

_MIN_ROWS = 64  # below this the per-attribute loop is as fast
_FIELDS = tuple(map(attrgetter, ("to_ids", "deleted", "Tag", "type", "value", "timestamp", "uuid",
                                  "comment")))


def _all_are(column: list[Any], constant: object) -> bool:
    return all(map(is_, column, repeat(constant)))


def _only(column: list[Any], kind: type) -> bool:
    return list(map(type, column)).count(kind) == len(column)  # identity first: no hashing, no __eq__


def addresses_of_names(names: list[str]) -> npt.NDArray[np.bool_] | None:
    """Which canonical names are IP addresses (each replaced in `names` by its canonical address), or None
    when none is; only names ending in a digit are tried (a real name ends in a letter)."""
    ends_in_digit = list(map(str.isdigit, map(itemgetter(-1), names)))
    if True not in ends_in_digit:
        return None
    is_address = np.zeros(len(names), dtype=np.bool_)
    for position in compress(range(len(names)), ends_in_digit):
        address = address_of_name(names[position], names[position])
        if address is not None:
            names[position] = address
            is_address[position] = True
    return is_address if is_address.any() else None


def add_plain_event_rows(attributes: list[MispAttribute], provenance: Provenance, counts: LoadCounts,
                         columns: IndicatorColumns) -> bool:
    """Add the rows of `attributes` when the event is plain and large enough; False (nothing done) if not."""
    count = len(attributes)
    if count < _MIN_ROWS:
        return False
    fields = (list(map(get, attributes)) for get in _FIELDS)
    to_ids, deleted, tags, types, values, stamps, uuids, comments = fields
    if not (_all_are(to_ids, True) and _all_are(deleted, False) and tags.count(None) == count
            and _only(values, str)):
        return False
    try:  # types and timestamps are checked on their few distinct values (a list or dict: TypeError)
        distinct_types, distinct_stamps = set(types), set(stamps)
    except TypeError:
        return False
    if not all(name.__class__ is str and name in SINGLE_PART for name in distinct_types):
        return False
    if not all(stamp.__class__ is str and is_short_decimal(stamp) for stamp in distinct_stamps):
        return False
    type_names = sorted(distinct_types)
    code_of = {name: code for code, name in enumerate(type_names)}
    codes = np.fromiter(map(code_of.__getitem__, types), dtype=np.intp, count=count)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=len(type_names)).tolist()
    order_list = order.tolist()
    grouped_values = list(map(values.__getitem__, order_list))
    texts_sorted: list[str] = []
    row_keys = np.empty(count, dtype=np.intp)
    firsts: list[tuple[int, str, str, int]] = []  # (first input row, kind, MISP type, key number)
    start = 0
    for name, size in zip(type_names, sizes, strict=True):
        kind = SINGLE_PART[name][0]
        group = canonicalise_many(kind, grouped_values[start:start + size])
        if None in group:  # an invalid value: the per-attribute loop counts it where it stands
            return False
        positions = order[start:start + size]
        split: tuple[tuple[str, npt.NDArray[np.bool_]], ...] = ()  # (kind, rows) when the group has two kinds
        if kind == KIND_CIDR:
            is_range = np.fromiter(map(contains, group, repeat("/")), dtype=np.bool_,  # type: ignore[arg-type]
                                   count=size)
            split = ((KIND_IP, ~is_range), (KIND_CIDR, is_range))
        elif kind in NAME_KINDS:
            is_address = addresses_of_names(group)  # type: ignore[arg-type]
            if is_address is not None:
                split = ((KIND_IP, is_address), (kind, ~is_address))
        texts_sorted.extend(group)  # type: ignore[arg-type]  # no None in it (checked above)
        if split:
            for split_kind, mask in split:
                if mask.any():
                    row_keys[positions[mask]] = len(firsts)
                    firsts.append((int(positions[mask][0]), split_kind, name, len(firsts)))
        else:
            row_keys[positions] = len(firsts)
            firsts.append((int(positions[0]), kind, name, len(firsts)))
        start += size
    texts: list[str] = [""] * count
    deque(map(texts.__setitem__, order_list, texts_sorted), maxlen=0)
    source, event_uuid, event_info = provenance.source, provenance.event_uuid, provenance.event_info
    reference, event_tags, threat_level = provenance.reference, provenance.tags, provenance.threat_level
    context_of_key = [0] * len(firsts)
    for _first, kind, name, key in sorted(firsts):  # contexts in order of first use
        context_of_key[key] = columns.context_id(
            Context(kind, name, source, event_uuid, event_info, reference, event_tags, threat_level))
    context_ids = np.asarray(context_of_key, dtype=np.intp)[row_keys].tolist()
    timestamps = list(map({text: int(text) for text in distinct_stamps}.__getitem__, stamps))
    uuid_column = list(uuids) if _only(uuids, str) and all(uuids) else [
        u if u.__class__ is str and u else None for u in uuids]
    if comments.count(None) + comments.count("") == count:  # feeds: no comments (C-level counts)
        comment_column: list[str | None] = [None] * count
    else:
        comment_column = [c if c.__class__ is str and c else None for c in comments]
    per_type, size_of = counts.per_type, dict(zip(type_names, sizes, strict=True))
    for _first, _kind, name, _key in sorted(firsts):  # first use first, as the per-attribute loop counts
        if name in size_of:
            per_type[name] = per_type.get(name, 0) + size_of.pop(name)
    columns.values.extend(texts)
    columns.context_ids.extend(context_ids)
    columns.ports.extend(repeat(None, len(texts)))
    columns.timestamps.extend(timestamps)
    columns.uuids.extend(uuid_column)
    columns.comments.extend(comment_column)
    return True
