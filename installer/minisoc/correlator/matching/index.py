"""IndicatorIndex: every indicator in compact arrays, looked up by hash in constant time.

- Names, URLs, hashes, emails, user agents, exact IPs: one CompactTable keyed by Python's 64-bit `hash()`
  of the canonical value. The value itself is not stored: a hit is a lookup of the observed canonical value,
  so it is that value. A false hit needs two different strings with equal 64-bit hashes: with N indicators,
  the probability per lookup is about N / 2**64 (5e-14 at 1M indicators). Python's str hash is randomised per
  process: an index is only valid in the process that built it (or its forks).
- CIDRs: a second table keyed by (prefix length, network); IPv4 keys are exact integers, IPv6 keys a hash.
  A lookup tries each prefix length present (cost bounded by distinct lengths, not by CIDR count), behind a
  2 MiB bitmap of /24 blocks touched by any IPv4 CIDR, so most addresses cost one bit test.
- Per row: a context id (kind, MISP type, source, event uuid/info, reference, tags, threat level: shared by
  all attributes of an event), and optional port, timestamp, attribute uuid (16 bytes) and comment id.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from minisoc.correlator import model
from minisoc.correlator.intel.canonical import int_to_ip, parse_cidr
from minisoc.correlator.matching.compact_table import CompactTable
from minisoc.correlator.model import Indicator

_NUMPY_TYPES = {"I": np.uint32, "H": np.uint16, "q": np.int64}
_GOLDEN = 0x9E3779B97F4A7C15  # odd: multiplying by it modulo 2**64 is a bijection
_MASK64 = (1 << 64) - 1
_BLOCK_BITS = 1 << 24  # IPv4 /24 blocks


class Context(NamedTuple):
    kind: str
    type: str
    source: str
    event_uuid: str | None
    event_info: str | None
    reference: str | None
    tags: tuple[str, ...]
    threat_level: int | None


def cidr_key(version: int, network: int, length: int) -> int:
    """The table key of a network: IPv4 exact (a bijective scramble, so buckets stay even), IPv6 hashed."""
    if version == 4:
        scrambled = (((length << 32) | network) * _GOLDEN) & _MASK64
        return scrambled - (1 << 64) if scrambled >> 63 else scrambled
    return hash(network.to_bytes(16, "big") + bytes((length,)))


_HEX_VALUES = np.full(256, 255, dtype=np.uint8)
_HEX_VALUES[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.uint8)
_UUID_HEX_COLUMNS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


class _RowColumns:
    """Per-row columns of a group of indicators, in input order (permuted into table order later)."""

    def __init__(self, group: list[Indicator], context_of: Callable[[Indicator], int],
                 comment_ids: dict[str | None, int]) -> None:
        self.contexts = [context_of(i) for i in group]
        self.ports = [i.port or 0 for i in group]
        self.timestamps = [i.timestamp or 0 for i in group]
        self.comments = [comment_ids.setdefault(i.comment, len(comment_ids)) for i in group]
        self.uuids, self.odd_uuids = _pack_uuids([i.attribute_uuid for i in group])


def _pack_uuids(texts: list[str | None]) -> tuple[npt.NDArray[np.uint8], dict[int, str]]:
    """(n, 16) bytes of canonical (lower-case, hyphenated) UUIDs, zeros for None; others returned as text."""
    packed = np.zeros((len(texts), 16), dtype=np.uint8)
    odd = {p: t for p, t in enumerate(texts) if t is not None and len(t) != 36}
    positions = [p for p, t in enumerate(texts) if t is not None and len(t) == 36]
    if positions:
        joined = "".join([texts[p] for p in positions])  # type: ignore[misc]
        raw = np.frombuffer(joined.encode("ascii", "replace"), dtype=np.uint8).reshape(-1, 36)
        hyphens_ok = (raw[:, [8, 13, 18, 23]] == ord("-")).all(axis=1)
        nibbles = _HEX_VALUES[raw[:, _UUID_HEX_COLUMNS]]
        valid = hyphens_ok & (nibbles != 255).all(axis=1)
        where = np.asarray(positions)
        packed[where[valid]] = (nibbles[valid, 0::2] << 4) | nibbles[valid, 1::2]
        for position in where[~valid]:
            odd[int(position)] = str(texts[position])
    return packed, odd


def _permuted(values: list[int], order: npt.NDArray[np.intp], typecode: str) -> array[int] | None:
    """`values` in table order as a compact array, or None when every value is 0 (column not kept)."""
    column = np.array(values, dtype=np.int64)
    if not column.any():
        return None
    result = array(typecode)
    result.frombytes(column[order].astype(_NUMPY_TYPES[typecode]).tobytes())
    return result


class RowStore:
    """The columns of one table, in table order. Columns that would be all-empty are not kept."""

    def __init__(self, columns: _RowColumns, order: npt.NDArray[np.intp]) -> None:
        self.contexts = _permuted(columns.contexts, order, "I") or array("I", bytes(4 * len(order)))
        self.ports = _permuted(columns.ports, order, "H")
        self.timestamps = _permuted(columns.timestamps, order, "q")
        self.comments = _permuted(columns.comments, order, "I")
        self.uuids = columns.uuids[order].tobytes() if columns.uuids.any() else None
        row_of = np.empty(len(order), dtype=np.int64)
        row_of[order] = np.arange(len(order))
        self.odd_uuids = {int(row_of[p]): uuid for p, uuid in columns.odd_uuids.items()}

    def nbytes(self) -> int:
        size = len(self.contexts) * 4
        for column in (self.ports, self.timestamps, self.comments):
            size += 0 if column is None else len(column) * column.itemsize
        return size + (len(self.uuids) if self.uuids else 0)

    def attribute_uuid(self, row: int) -> str | None:
        if row in self.odd_uuids:
            return self.odd_uuids[row]
        if self.uuids is None:
            return None
        raw = self.uuids[row * 16: row * 16 + 16]
        if not any(raw):
            return None
        text = raw.hex()
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


class IndicatorIndex:
    """Read-only; build a new one when the indicator set changes (sources give complete or delta updates)."""

    def __init__(self, strings: CompactTable, string_rows: RowStore, cidrs: CompactTable, cidr_rows: RowStore,
                 contexts: list[Context], comments: list[str | None], v4_lengths: tuple[int, ...],
                 v6_lengths: tuple[int, ...], v4_blocks: bytearray | None) -> None:
        self.strings, self.string_rows = strings, string_rows
        self.cidrs, self.cidr_rows = cidrs, cidr_rows
        self.contexts = contexts
        self.context_kinds = [c.kind for c in contexts]
        self.comments = comments
        self.v4_lengths = v4_lengths  # longest first
        self.v6_lengths = v6_lengths
        self.v4_blocks = v4_blocks

    @classmethod
    def build(cls, indicators: Iterable[Indicator]) -> IndicatorIndex:
        context_ids: dict[tuple[Any, ...], int] = {}
        context_list: list[Context] = []
        comment_ids: dict[str | None, int] = {None: 0}

        def context_of(i: Indicator) -> int:
            # tags by identity: every indicator is alive during the build, so ids are unique; equal tags in
            # two tuple objects only cost a duplicate context entry. Saves hashing the tags per indicator.
            key = (i.kind, i.type, i.source, i.event_uuid, i.event_info, i.reference, id(i.tags),
                   i.threat_level)
            number = context_ids.get(key)
            if number is None:
                number = context_ids[key] = len(context_list)
                context_list.append(Context(i.kind, i.type, i.source, i.event_uuid, i.event_info, i.reference,
                                            i.tags, i.threat_level))
            return number

        everything = indicators if isinstance(indicators, list) else list(indicators)
        exact = [i for i in everything if i.kind != model.KIND_CIDR]
        ranges: list[Indicator] = []
        cidr_keys: list[int] = []
        v4_lengths: set[int] = set()
        v6_lengths: set[int] = set()
        v4_blocks: bytearray | None = None
        for indicator in everything:
            if indicator.kind != model.KIND_CIDR:
                continue
            parsed = parse_cidr(indicator.value)
            if parsed is None:
                continue
            version, network, length = parsed
            ranges.append(indicator)
            cidr_keys.append(cidr_key(version, network, length))
            if version == 6:
                v6_lengths.add(length)
                continue
            v4_lengths.add(length)
            v4_blocks = v4_blocks if v4_blocks is not None else bytearray(_BLOCK_BITS >> 3)
            _mark_blocks(v4_blocks, network, length)
        strings, string_order = CompactTable.from_unsorted([hash(i.value) for i in exact])
        cidrs, cidr_order = CompactTable.from_unsorted(cidr_keys)
        string_rows = RowStore(_RowColumns(exact, context_of, comment_ids), string_order)
        cidr_rows = RowStore(_RowColumns(ranges, context_of, comment_ids), cidr_order)
        return cls(strings, string_rows, cidrs, cidr_rows, context_list, list(comment_ids),
                   tuple(sorted(v4_lengths, reverse=True)), tuple(sorted(v6_lengths, reverse=True)),
                   v4_blocks)

    def __len__(self) -> int:
        return len(self.strings) + len(self.cidrs)

    def nbytes(self) -> int:
        """Bytes held by the arrays (the shared context and comment tables excluded)."""
        blocks = len(self.v4_blocks) if self.v4_blocks is not None else 0
        return (self.strings.nbytes() + self.string_rows.nbytes() + self.cidrs.nbytes()
                + self.cidr_rows.nbytes() + blocks)

    def indicator(self, rows: RowStore, row: int, value: str) -> Indicator:
        """Rebuild the Indicator of `row` (whose canonical value the caller knows: it looked it up)."""
        context = self.contexts[rows.contexts[row]]
        return Indicator(
            value=value, kind=context.kind, type=context.type, source=context.source,
            event_uuid=context.event_uuid, event_info=context.event_info,
            attribute_uuid=rows.attribute_uuid(row), reference=context.reference, tags=context.tags,
            threat_level=context.threat_level,
            comment=self.comments[rows.comments[row]] if rows.comments is not None else None,
            port=(rows.ports[row] or None) if rows.ports is not None else None,
            timestamp=(rows.timestamps[row] or None) if rows.timestamps is not None else None,
        )

    def cidr_hits(self, version: int, number: int) -> list[tuple[int, str]]:
        """(row, `net/len`) of every CIDR containing the address `number`."""
        hits: list[tuple[int, str]] = []
        if version == 4:
            blocks = self.v4_blocks
            if blocks is None or not blocks[number >> 11] & (1 << ((number >> 8) & 7)):
                return hits
            lengths, bits = self.v4_lengths, 32
        else:
            lengths, bits = self.v6_lengths, 128
        for length in lengths:
            network = (number >> (bits - length)) << (bits - length)
            rows = self.cidrs.find(cidr_key(version, network, length))
            if rows:
                text = f"{int_to_ip(version, network)}/{length}"
                hits.extend((row, text) for row in rows)
        return hits


def _mark_blocks(blocks: bytearray, network: int, length: int) -> None:
    """Set the bits of every /24 block that `network/length` overlaps."""
    first = network >> 8
    count = 1 << (24 - length) if length < 24 else 1
    last = first + count - 1
    while first <= last and first & 7:
        blocks[first >> 3] |= 1 << (first & 7)
        first += 1
    while first + 8 <= last + 1:
        blocks[first >> 3] = 0xFF
        first += 8
    while first <= last:
        blocks[first >> 3] |= 1 << (first & 7)
        first += 1
