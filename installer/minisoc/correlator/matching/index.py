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

import re
from array import array
from collections.abc import Iterable
from typing import NamedTuple

from minisoc.correlator import model
from minisoc.correlator.intel.canonical import int_to_ip, parse_cidr
from minisoc.correlator.matching.compact_table import CompactTable
from minisoc.correlator.model import Indicator

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_BLOCK_BITS = 1 << 24  # IPv4 /24 blocks
_NO_UUID = bytes(16)


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
    if version == 4:
        return (length << 32) | network
    return hash(network.to_bytes(16, "big") + bytes((length,)))


class _RowColumns:
    """Per-row optional columns, filled in input order and permuted into table order."""

    def __init__(self) -> None:
        self.contexts: list[int] = []
        self.ports: list[int] = []
        self.timestamps: list[int] = []
        self.uuids: list[bytes] = []
        self.comments: list[int] = []
        self.odd_uuids: dict[int, str] = {}

    def add(self, indicator: Indicator, context: int, comment: int) -> None:
        position = len(self.contexts)
        self.contexts.append(context)
        self.ports.append(indicator.port or 0)
        self.timestamps.append(indicator.timestamp or 0)
        self.comments.append(comment)
        uuid = indicator.attribute_uuid
        if uuid is None:
            self.uuids.append(_NO_UUID)
        elif _UUID.match(uuid):
            self.uuids.append(bytes.fromhex(uuid.replace("-", "")))
        else:
            self.uuids.append(_NO_UUID)
            self.odd_uuids[position] = uuid


class RowStore:
    """The columns of one table, in table order. Columns that would be all-empty are not kept."""

    def __init__(self, columns: _RowColumns, order: list[int]) -> None:
        self.contexts = array("I", [columns.contexts[i] for i in order])
        self.ports = array("H", [columns.ports[i] for i in order]) if any(columns.ports) else None
        stamps = [columns.timestamps[i] for i in order]
        self.timestamps = array("q", stamps) if any(stamps) else None
        self.comments = array("I", [columns.comments[i] for i in order]) if any(columns.comments) else None
        uuids = b"".join(columns.uuids[i] for i in order)
        self.uuids = uuids if uuids.strip(b"\0") else None
        row_of = {position: row for row, position in enumerate(order)} if columns.odd_uuids else {}
        self.odd_uuids = {row_of[p]: uuid for p, uuid in columns.odd_uuids.items()}

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
        if raw == _NO_UUID:
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
        context_ids: dict[Context, int] = {}
        comment_ids: dict[str | None, int] = {None: 0}
        string_keys: list[int] = []
        string_columns = _RowColumns()
        cidr_keys: list[int] = []
        cidr_columns = _RowColumns()
        v4_lengths: set[int] = set()
        v6_lengths: set[int] = set()
        v4_blocks: bytearray | None = None
        for indicator in indicators:
            context = Context(indicator.kind, indicator.type, indicator.source, indicator.event_uuid,
                              indicator.event_info, indicator.reference, indicator.tags,
                              indicator.threat_level)
            context_id = context_ids.setdefault(context, len(context_ids))
            comment_id = comment_ids.setdefault(indicator.comment, len(comment_ids))
            if indicator.kind != model.KIND_CIDR:
                string_keys.append(hash(indicator.value))
                string_columns.add(indicator, context_id, comment_id)
                continue
            parsed = parse_cidr(indicator.value)
            if parsed is None:
                continue
            version, network, length = parsed
            cidr_keys.append(cidr_key(version, network, length))
            cidr_columns.add(indicator, context_id, comment_id)
            if version == 6:
                v6_lengths.add(length)
                continue
            v4_lengths.add(length)
            v4_blocks = v4_blocks if v4_blocks is not None else bytearray(_BLOCK_BITS >> 3)
            _mark_blocks(v4_blocks, network, length)
        strings, string_order = CompactTable.from_unsorted(string_keys)
        cidrs, cidr_order = CompactTable.from_unsorted(cidr_keys)
        return cls(strings, RowStore(string_columns, string_order), cidrs, RowStore(cidr_columns, cidr_order),
                   list(context_ids), list(comment_ids), tuple(sorted(v4_lengths, reverse=True)),
                   tuple(sorted(v6_lengths, reverse=True)), v4_blocks)

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
