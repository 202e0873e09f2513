"""IndicatorColumns: indicators as columns, the bulk form loaders fill and the index is built from.

One row per indicator: its canonical value, a context id, port, timestamp, attribute uuid and comment. The
context (kind, MISP type, source, event uuid/info, reference, tags, threat level) is shared by every row of
an event and type, so a million indicators cost a million short rows, not a million `Indicator` objects.
`indicator(row)` gives the row back as the `Indicator` it stands for; `append(indicator)` adds one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np

from minisoc.correlator import model
from minisoc.correlator.matching.packed import PackedRows, concatenate, pack_rows
from minisoc.correlator.model import Indicator

PACK_ROWS = 1 << 16  # a lean IndicatorColumns packs its lists once they hold this many rows


class Context(NamedTuple):
    kind: str
    type: str
    source: str
    event_uuid: str | None
    event_info: str | None
    reference: str | None
    tags: tuple[str, ...]
    threat_level: int | None


class IndicatorColumns:
    """Rows in input order, one list per column (`indicator(row)` gives back exactly what was appended).

    A lean one (`minisoc hunt` without warninglists: nothing reads its rows back but the index) packs its
    rows into arrays (matching.packed) whenever loaders call `compact` and it holds PACK_ROWS rows or more:
    a million rows then never exist as a million Python strings at once. Packed rows can only be indexed
    (`packed_rows`) and counted (`len`, `count_by_type`)."""

    def __init__(self, *, lean: bool = False) -> None:
        self.lean = lean
        self.packed: list[PackedRows] = []
        self.packed_count = 0
        self.comment_ids: dict[str | None, int] = {None: 0}  # comment -> id in packed rows, first use first
        self.contexts: list[Context] = []
        self._context_ids: dict[tuple[Any, ...], int] = {}
        self.values: list[str] = []
        self.context_ids: list[int] = []
        self.ports: list[int | None] = []
        self.timestamps: list[int | None] = []
        self.uuids: list[str | None] = []
        self.comments: list[str | None] = []

    @classmethod
    def from_indicators(cls, indicators: Iterable[Indicator]) -> IndicatorColumns:
        columns = cls()
        columns.extend(indicators)
        return columns

    def __len__(self) -> int:
        return self.packed_count + len(self.values)

    def _pack_lists(self) -> PackedRows:
        kinds = [context.kind for context in self.contexts]
        cidrs = np.array([kind == model.KIND_CIDR for kind in kinds], dtype=np.bool_)
        urls = np.array([kind == model.KIND_URL for kind in kinds], dtype=np.bool_)
        return pack_rows(self.values, self.context_ids, self.ports, self.timestamps, self.uuids,
                         self.comments, self.comment_ids, cidrs, urls)

    def compact(self) -> None:
        """Pack the rows held in lists when lean and there are PACK_ROWS of them (loaders call this between
        blocks of rows)."""
        if self.lean and len(self.values) >= PACK_ROWS:
            self.packed.append(self._pack_lists())
            self.packed_count += len(self.values)
            for column in (self.values, self.context_ids, self.ports, self.timestamps, self.uuids,
                           self.comments):
                column.clear()

    def packed_rows(self) -> PackedRows:
        """Every row packed, in order (the rows still in lists are packed too, and stay in their lists)."""
        blocks = [*self.packed, self._pack_lists()] if self.values or not self.packed else self.packed
        rows = concatenate(blocks)
        if len(self.packed) > 1 and not self.values:
            self.packed = [rows]  # the blocks are no longer needed twice over
        return rows

    def _unpacked(self) -> None:
        if self.packed:
            raise ValueError("the rows of a lean IndicatorColumns are packed: they can only be indexed")

    def context_id(self, context: Context) -> int:
        """The id of `context`, added when new. Tags are compared by identity (a fresh tuple with equal tags
        only costs a duplicate context entry), which saves hashing the tags of every row."""
        key = (*context[:6], id(context.tags), context.threat_level)
        number = self._context_ids.get(key)
        if number is None:
            number = self._context_ids[key] = len(self.contexts)
            self.contexts.append(context)
        return number

    def append_row(self, value: str, context_id: int, port: int | None, timestamp: int | None,
                   attribute_uuid: str | None, comment: str | None) -> None:
        self.values.append(value)
        self.context_ids.append(context_id)
        self.ports.append(port)
        self.timestamps.append(timestamp)
        self.uuids.append(attribute_uuid)
        self.comments.append(comment)

    def extend_rows(self, values: list[str], context_ids: list[int]) -> None:
        """Rows without port, timestamp, attribute uuid or comment (Zeek intel files, value lists)."""
        count = len(values)
        self.values.extend(values)
        self.context_ids.extend(context_ids)
        for column in (self.ports, self.timestamps, self.uuids, self.comments):
            column.extend(repeat(None, count))

    def append(self, indicator: Indicator) -> None:
        context = Context(indicator.kind, indicator.type, indicator.source, indicator.event_uuid,
                          indicator.event_info, indicator.reference, indicator.tags, indicator.threat_level)
        self.append_row(indicator.value, self.context_id(context), indicator.port, indicator.timestamp,
                        indicator.attribute_uuid, indicator.comment)

    def extend(self, indicators: Iterable[Indicator]) -> None:
        for indicator in indicators:
            self.append(indicator)

    def indicator(self, row: int) -> Indicator:
        self._unpacked()
        context = self.contexts[self.context_ids[row]]
        return Indicator(self.values[row], context.kind, context.type, context.source, context.event_uuid,
                         context.event_info, self.uuids[row], context.reference, context.tags,
                         context.threat_level, self.comments[row], self.ports[row], self.timestamps[row])

    def indicators(self) -> list[Indicator]:
        self._unpacked()
        return [self.indicator(row) for row in range(len(self.values))]

    def select(self, rows: Sequence[int]) -> IndicatorColumns:
        """A new IndicatorColumns with only `rows` (in that order); contexts are shared."""
        self._unpacked()
        chosen = IndicatorColumns()
        chosen.contexts, chosen._context_ids = list(self.contexts), dict(self._context_ids)
        for name in ("values", "context_ids", "ports", "timestamps", "uuids", "comments"):
            column = getattr(self, name)
            setattr(chosen, name, [column[row] for row in rows])
        return chosen

    def count_by_type(self) -> dict[str, int]:
        """Rows per MISP type."""
        per_context = np.bincount(np.array(self.context_ids, dtype=np.intp), minlength=len(self.contexts))
        for block in self.packed:
            per_context += np.bincount(block.context_ids, minlength=len(self.contexts))
        counts: dict[str, int] = {}
        for context, count in zip(self.contexts, per_context, strict=True):
            if count:
                counts[context.type] = counts.get(context.type, 0) + int(count)
        return counts
