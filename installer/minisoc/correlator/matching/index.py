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
from operator import itemgetter, methodcaller

import numpy as np
import numpy.typing as npt

from minisoc.correlator import model
from minisoc.correlator.matching.columns import Context, IndicatorColumns
from minisoc.correlator.matching.compact_table import CompactTable
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


_HEX_VALUES = np.full(256, 255, dtype=np.uint8)
_HEX_VALUES[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.uint8)
_UUID_HEX_COLUMNS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


class _RowColumns:
    """Per-row columns of the rows of one table, in input order (permuted into table order later)."""

    def __init__(self, rows: npt.NDArray[np.intp], contexts: npt.NDArray[np.int64],
                 ports: npt.NDArray[np.int64], timestamps: npt.NDArray[np.int64],
                 comments: npt.NDArray[np.int64], uuids: npt.NDArray[np.uint8],
                 odd_uuids: dict[int, str]) -> None:
        self.contexts = contexts[rows]
        self.ports = ports[rows]
        self.timestamps = timestamps[rows]
        self.comments = comments[rows]
        self.uuids = uuids[rows]
        self.odd_uuids: dict[int, str] = {}  # by position in this group
        for row, text in odd_uuids.items():
            position = int(np.searchsorted(rows, row))  # rows is ascending
            if position < len(rows) and rows[position] == row:
                self.odd_uuids[position] = text


def _pack_uuids(texts: list[str | None]) -> tuple[npt.NDArray[np.uint8], dict[int, str]]:
    """(n, 16) bytes of canonical (lower-case, hyphenated) UUIDs, zeros for None; others returned as text."""
    count = len(texts)
    positions: list[int] | None = None
    odd: dict[int, str] = {}
    try:
        uniform = set(map(len, texts)) <= {36}  # type: ignore[arg-type]  # TypeError when some are None
    except TypeError:
        uniform = False
    if uniform:
        joined = "".join(texts)  # type: ignore[arg-type]
        packed_fast = _pack_canonical_uuids(joined, count)
        if packed_fast is not None:
            return packed_fast, odd
    else:
        odd = {p: t for p, t in enumerate(texts) if t is not None and len(t) != 36}
        positions = [p for p, t in enumerate(texts) if t is not None and len(t) == 36]
        joined = "".join([texts[p] for p in positions])  # type: ignore[misc]
    packed = np.zeros((count, 16), dtype=np.uint8)
    if joined:
        raw = np.frombuffer(joined.encode("ascii", "replace"), dtype=np.uint8).reshape(-1, 36)
        hyphens_ok = (raw[:, [8, 13, 18, 23]] == ord("-")).all(axis=1)
        nibbles = _HEX_VALUES[raw[:, _UUID_HEX_COLUMNS]]
        valid = hyphens_ok & (nibbles != 255).all(axis=1)
        where = np.arange(count) if positions is None else np.asarray(positions)
        packed[where[valid]] = (nibbles[valid, 0::2] << 4) | nibbles[valid, 1::2]
        for position in where[~valid]:
            odd[int(position)] = str(texts[position])
    return packed, odd


def _pack_canonical_uuids(joined: str, count: int) -> npt.NDArray[np.uint8] | None:
    """The common case at C speed: `count` lower-case hyphenated UUIDs back to back; None when not so."""
    if any(joined[column::36] != "-" * count for column in (8, 13, 18, 23)):
        return None
    digits = joined.replace("-", "")
    if len(digits) != 32 * count:
        return None  # another hyphen
    try:
        raw = bytes.fromhex(digits)  # refuses any non-hex character
    except ValueError:
        return None
    if raw.hex() != digits:  # upper-case hex (kept as text) or whitespace (fromhex skips it): slow path
        return None
    return np.frombuffer(raw, dtype=np.uint8).reshape(count, 16)


def _zero_for_none(values: list[int | None]) -> npt.NDArray[np.int64]:
    """The column as int64, None (and 0) as 0: the index keeps 0 for "none"."""
    if values.count(None) == len(values):
        return np.zeros(len(values), dtype=np.int64)
    if None in values:
        return np.array([value or 0 for value in values], dtype=np.int64)
    return np.array(values, dtype=np.int64)


def _permuted(column: npt.NDArray[np.int64], order: npt.NDArray[np.intp], typecode: str) -> array[int] | None:
    """`column` in table order as a compact array, or None when every value is 0 (column not kept)."""
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
        count = len(columns)
        values = columns.values
        context_ids = np.array(columns.context_ids, dtype=np.int64)
        cidr_contexts = np.array([c.kind == model.KIND_CIDR for c in columns.contexts], dtype=np.bool_)
        cidr_mask = cidr_contexts[context_ids]
        exact_rows = np.flatnonzero(~cidr_mask)
        exact_keys = np.fromiter(map(hash, values), dtype=np.int64, count=count)
        if len(exact_rows) != count:
            exact_keys = exact_keys[exact_rows]
        range_rows: list[int] = []
        cidr_keys: list[int] = []
        v4_lengths: set[int] = set()
        v6_lengths: set[int] = set()
        v4_blocks: bytearray | None = None
        for row in np.flatnonzero(cidr_mask).tolist():
            parsed = parse_cidr(values[row])
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
        comment_ids: dict[str | None, int] = {None: 0}
        comments = columns.comments
        if comments.count(None) == count:
            comment_column = np.zeros(count, dtype=np.int64)
        else:
            comment_column = np.array([comment_ids.setdefault(c, len(comment_ids)) for c in comments],
                                      dtype=np.int64)
        uuids, odd_uuids = _pack_uuids(columns.uuids)
        shared = (context_ids, _zero_for_none(columns.ports), _zero_for_none(columns.timestamps),
                  comment_column, uuids, odd_uuids)
        string_rows = RowStore(_RowColumns(exact_rows, *shared), string_order)
        cidr_rows = RowStore(_RowColumns(np.array(range_rows, dtype=np.intp), *shared), cidr_order)
        return cls(strings, string_rows, cidrs, cidr_rows, list(columns.contexts), list(comment_ids),
                   tuple(sorted(v4_lengths, reverse=True)), tuple(sorted(v6_lengths, reverse=True)),
                   v4_blocks, _url_host_bits(columns, context_ids))

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


def _url_host_bits(columns: IndicatorColumns, context_ids: npt.NDArray[np.int64]) -> bytearray | None:
    """A bitmap (8 bits per URL indicator) of the hashes of URL indicators' hosts, or None without URLs."""
    url_contexts = np.array([c.kind == model.KIND_URL for c in columns.contexts], dtype=np.bool_)
    if not url_contexts.any():
        return None
    rows = np.flatnonzero(url_contexts[context_ids]).tolist()
    urls = map(columns.values.__getitem__, rows)
    hosts = map(itemgetter(0), map(methodcaller("partition", "/"), urls))  # C-level: no Python per URL
    bits = 1 << max(6, (len(rows) * 8).bit_length())
    present = np.zeros(bits, dtype=np.bool_)
    present[np.fromiter(map(hash, hosts), dtype=np.int64, count=len(rows)) & (bits - 1)] = True
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
