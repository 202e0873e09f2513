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
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from minisoc.correlator import model
from minisoc.correlator.matching.columns import Context, IndicatorColumns
from minisoc.correlator.matching.compact_table import CompactTable
from minisoc.correlator.matching.packed import PackedRows
from minisoc.correlator.model import Indicator
from minisoc.correlator.values.canonical import int_to_ip, parse_cidr

__all__ = ["Context", "IndicatorIndex", "RowStore", "cidr_key"]

_NUMPY_TYPES = {"I": np.uint32, "H": np.uint16, "q": np.int64}
_GOLDEN = 0x9E3779B97F4A7C15  # odd: multiplying by it modulo 2**64 is a bijection
_MASK64 = (1 << 64) - 1
_BLOCK_BITS = 1 << 24  # IPv4 /24 blocks


def cidr_key(version: int, network: int, length: int) -> int:
    """The table key of a network: IPv4 exact (a bijective scramble, so buckets stay even), IPv6 hashed."""
    if version == 4:
        scrambled = (((length << 32) | network) * _GOLDEN) & _MASK64
        return scrambled - (1 << 64) if scrambled >> 63 else scrambled
    return hash(network.to_bytes(16, "big") + bytes((length,)))


class _RowColumns:
    """Per-row columns of the rows of one table, in input order (permuted into table order later); a column
    no row has is None."""

    def __init__(self, rows: npt.NDArray[np.intp], every_row: bool, packed: PackedRows) -> None:
        def pick(column: npt.NDArray[Any] | None) -> npt.NDArray[Any] | None:
            return column if column is None or every_row else column[rows]

        self.contexts: npt.NDArray[Any] = pick(packed.context_ids)  # type: ignore[assignment]
        self.ports, self.timestamps = pick(packed.ports), pick(packed.timestamps)
        self.comments, self.uuids = pick(packed.comment_ids), pick(packed.uuids)
        self.odd_uuids: dict[int, str] = dict(packed.odd_uuids) if every_row else {}  # by position in it
        for row, text in ({} if every_row else packed.odd_uuids).items():
            position = int(np.searchsorted(rows, row))  # rows is ascending
            if position < len(rows) and rows[position] == row:
                self.odd_uuids[position] = text


def _permuted(column: npt.NDArray[Any] | None, order: npt.NDArray[np.intp], typecode: str,
              ) -> array[int] | None:
    """`column` in table order as a compact array, or None when every value is 0 (column not kept)."""
    if column is None or not column.any():
        return None
    result = array(typecode)
    result.frombytes(column[order].astype(_NUMPY_TYPES[typecode], copy=False).data.cast("B"))
    return result


class RowStore:
    """The columns of one table, in table order. Columns that would be all-empty are not kept."""

    def __init__(self, columns: _RowColumns, order: npt.NDArray[np.intp]) -> None:
        self.contexts = _permuted(columns.contexts, order, "I") or array("I", bytes(4 * len(order)))
        self.ports = _permuted(columns.ports, order, "H")
        self.timestamps = _permuted(columns.timestamps, order, "q")
        self.comments = _permuted(columns.comments, order, "I")
        self.uuids = (columns.uuids[order].tobytes() if columns.uuids is not None and columns.uuids.any()
                      else None)
        self.odd_uuids: dict[int, str] = {}
        if columns.odd_uuids:
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
                 v6_lengths: tuple[int, ...], v4_blocks: bytearray | None,
                 url_hosts: bytearray | None = None) -> None:
        self.strings, self.string_rows = strings, string_rows
        self.cidrs, self.cidr_rows = cidrs, cidr_rows
        self.contexts = contexts
        self.context_kinds = [c.kind for c in contexts]
        self.comments = comments
        self.v4_lengths = v4_lengths  # longest first
        self.v6_lengths = v6_lengths
        self.v4_blocks = v4_blocks
        self.url_hosts = url_hosts  # a bit per hash of the host part of URL indicators (None: no URLs)
        self._url_hosts_mask = len(url_hosts) - 1 if url_hosts is not None else 0

    def may_have_url_host(self, host: str) -> bool:
        """False when no URL indicator is on `host` (the text before a canonical URL's first `/`)."""
        if self.url_hosts is None:
            return False
        key = hash(host)
        return bool(self.url_hosts[(key >> 3) & self._url_hosts_mask] & (1 << (key & 7)))

    @classmethod
    def build(cls, indicators: Iterable[Indicator]) -> IndicatorIndex:
        return cls.from_columns(IndicatorColumns.from_indicators(indicators))

    @classmethod
    def from_columns(cls, columns: IndicatorColumns) -> IndicatorIndex:
        """The index of every row of `columns` (CIDR rows whose value does not parse are left out)."""
        return cls.from_packed(columns.packed_rows(), columns.contexts, list(columns.comment_ids))

    @classmethod
    def from_packed(cls, rows: PackedRows, contexts: list[Context], comments: list[str | None],
                    ) -> IndicatorIndex:
        """The index of packed rows whose context ids and comment ids are into `contexts` and `comments`."""
        count = len(rows)
        cidr_contexts = np.array([c.kind == model.KIND_CIDR for c in contexts], dtype=np.bool_)
        cidr_mask = cidr_contexts[rows.context_ids] if count else np.zeros(0, dtype=np.bool_)
        every_row = not cidr_mask.any()
        exact_rows = np.arange(0) if every_row else np.flatnonzero(~cidr_mask)  # unused when every row
        exact_keys = rows.keys if every_row else rows.keys[exact_rows]
        range_rows: list[int] = []
        cidr_keys: list[int] = []
        v4_lengths: set[int] = set()
        v6_lengths: set[int] = set()
        v4_blocks: bytearray | None = None
        for row in np.flatnonzero(cidr_mask).tolist():
            parsed = parse_cidr(rows.cidr_values[row])
            if parsed is None:
                continue
            version, network, length = parsed
            range_rows.append(row)
            cidr_keys.append(cidr_key(version, network, length))
            if version == 6:
                v6_lengths.add(length)
                continue
            v4_lengths.add(length)
            v4_blocks = v4_blocks if v4_blocks is not None else bytearray(_BLOCK_BITS >> 3)
            _mark_blocks(v4_blocks, network, length)
        strings, string_order = CompactTable.from_unsorted(exact_keys)
        cidrs, cidr_order = CompactTable.from_unsorted(cidr_keys)
        string_rows = RowStore(_RowColumns(exact_rows, every_row, rows), string_order)
        cidr_rows = RowStore(_RowColumns(np.array(range_rows, dtype=np.intp), False, rows), cidr_order)
        return cls(strings, string_rows, cidrs, cidr_rows, list(contexts), comments,
                   tuple(sorted(v4_lengths, reverse=True)), tuple(sorted(v6_lengths, reverse=True)),
                   v4_blocks, _url_host_bits(rows.url_host_keys))

    def __len__(self) -> int:
        return len(self.strings) + len(self.cidrs)

    def nbytes(self) -> int:
        """Bytes held by the arrays (the shared context and comment tables excluded)."""
        blocks = len(self.v4_blocks) if self.v4_blocks is not None else 0
        url_hosts = len(self.url_hosts) if self.url_hosts is not None else 0
        return (self.strings.nbytes() + self.string_rows.nbytes() + self.cidrs.nbytes()
                + self.cidr_rows.nbytes() + blocks + url_hosts)

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


def _url_host_bits(host_keys: npt.NDArray[np.int64]) -> bytearray | None:
    """A bitmap (8 bits per URL indicator) of the hashes of URL indicators' hosts, or None without URLs."""
    if not len(host_keys):
        return None
    bits = 1 << max(6, (len(host_keys) * 8).bit_length())
    present = np.zeros(bits, dtype=np.bool_)
    present[host_keys & (bits - 1)] = True
    return bytearray(np.packbits(present, bitorder="little").tobytes())


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
