"""Rows of IndicatorColumns packed into arrays: what the index is built from, and what a lean
IndicatorColumns keeps instead of its lists once it holds a block of rows (`IndicatorColumns.compact`).

A packed row costs 12 bytes (the 64-bit `hash()` of its canonical value and a context id) plus what it has of
port (2), timestamp (8), comment id (4) and attribute uuid (16): a column no row of a block uses is not
stored. The values themselves are not kept (the index never stores them: a hit is a lookup of the observed
value), except those of CIDR rows, which the index parses into networks; URL rows keep the hash of their host.
"""

from __future__ import annotations

import ctypes
from operator import itemgetter, methodcaller
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["PackedRows", "concatenate", "pack_rows", "pack_uuids", "return_freed_memory", "zero_for_none"]


def return_freed_memory() -> None:
    """Give back to the system the heap pages a load freed (the packed rows, the file's blocks), which glibc
    otherwise keeps mapped between the arrays that stay: after a million-row load this is most of the
    process's growth (docs/performance.md, indicator load). A no-op without glibc's `malloc_trim`
    (musl, macOS)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


class PackedRows(NamedTuple):
    keys: npt.NDArray[np.int64]  # hash() of each canonical value (0 for CIDR rows)
    context_ids: npt.NDArray[np.uint32]
    ports: npt.NDArray[np.uint16] | None  # None: no row has one
    timestamps: npt.NDArray[np.int64] | None
    comment_ids: npt.NDArray[np.uint32] | None  # ids into IndicatorColumns.comment_texts (0: none)
    uuids: npt.NDArray[np.uint8] | None  # (rows, 16)
    odd_uuids: dict[int, str]  # row -> an attribute uuid that is not a canonical UUID (kept as text)
    cidr_values: dict[int, str]  # row -> the value of a CIDR row
    url_host_keys: npt.NDArray[np.int64]  # hash() of the host of each URL row, in row order

    def __len__(self) -> int:  # the number of rows, not of fields
        return len(self.keys)


def _optional(column: npt.NDArray[np.int64], dtype: type[np.generic]) -> npt.NDArray[np.generic] | None:
    return column.astype(dtype) if column.any() else None


def pack_rows(values: list[str], context_ids: list[int], ports: list[int | None],
              timestamps: list[int | None], uuids: list[str | None], comments: list[str | None],
              comment_ids: dict[str | None, int], cidr_contexts: npt.NDArray[np.bool_],
              url_contexts: npt.NDArray[np.bool_]) -> PackedRows:
    """The rows of these columns packed; `comment_ids` (None -> 0) gets the comments it does not have yet, in
    row order; `cidr_contexts` / `url_contexts` say which context ids are of kind cidr / url."""
    count = len(values)
    contexts = np.array(context_ids, dtype=np.uint32)
    keys = np.fromiter(map(hash, values), dtype=np.int64, count=count)
    cidr_rows = np.flatnonzero(cidr_contexts[contexts]).tolist() if cidr_contexts.any() else []
    keys[cidr_rows] = 0
    url_rows = np.flatnonzero(url_contexts[contexts]).tolist() if url_contexts.any() else []
    hosts = map(itemgetter(0), map(methodcaller("partition", "/"), map(values.__getitem__, url_rows)))
    if comments.count(None) == count:
        comment_column = None
    else:
        comment_column = np.array([comment_ids.setdefault(c, len(comment_ids)) for c in comments],
                                  dtype=np.uint32)
    packed_uuids, odd = (None, {}) if uuids.count(None) == count else pack_uuids(uuids)
    return PackedRows(
        keys, contexts,
        None if ports.count(None) == count else _optional(zero_for_none(ports), np.uint16),  # type: ignore[arg-type]
        None if timestamps.count(None) == count else _optional(zero_for_none(timestamps), np.int64),  # type: ignore[arg-type]
        comment_column, packed_uuids if packed_uuids is not None and packed_uuids.any() else None, odd,
        {row: values[row] for row in cidr_rows},
        np.fromiter(map(hash, hosts), dtype=np.int64, count=len(url_rows)))


def _joined(parts: list[npt.NDArray[np.generic] | None], counts: list[int], dtype: type[np.generic],
            width: int = 0) -> npt.NDArray[np.generic] | None:
    """The parts end to end, zeros for a None part; None when every part is None."""
    if all(part is None for part in parts):
        return None
    shape = (lambda n: (n, width)) if width else (lambda n: (n,))
    return np.concatenate([np.zeros(shape(n), dtype=dtype) if part is None else part
                           for part, n in zip(parts, counts, strict=True)])


def _shifted(dicts: list[dict[int, str]], counts: list[int]) -> dict[int, str]:
    result: dict[int, str] = {}
    offset = 0
    for rows, count in zip(dicts, counts, strict=True):
        result.update((row + offset, text) for row, text in rows.items())
        offset += count
    return result


def concatenate(blocks: list[PackedRows]) -> PackedRows:
    """One PackedRows of `blocks` end to end."""
    if len(blocks) == 1:
        return blocks[0]
    counts = [len(block) for block in blocks]
    return PackedRows(
        np.concatenate([block.keys for block in blocks]) if blocks else np.zeros(0, dtype=np.int64),
        (np.concatenate([block.context_ids for block in blocks]) if blocks
         else np.zeros(0, dtype=np.uint32)),
        _joined([block.ports for block in blocks], counts, np.uint16),  # type: ignore[arg-type]
        _joined([block.timestamps for block in blocks], counts, np.int64),  # type: ignore[arg-type]
        _joined([block.comment_ids for block in blocks], counts, np.uint32),  # type: ignore[arg-type]
        _joined([block.uuids for block in blocks], counts, np.uint8, 16),  # type: ignore[arg-type]
        _shifted([block.odd_uuids for block in blocks], counts),
        _shifted([block.cidr_values for block in blocks], counts),
        (np.concatenate([block.url_host_keys for block in blocks]) if blocks
         else np.zeros(0, dtype=np.int64)))


_HEX_VALUES = np.full(256, 255, dtype=np.uint8)
_HEX_VALUES[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.uint8)
_UUID_HEX_COLUMNS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


def pack_uuids(texts: list[str | None]) -> tuple[npt.NDArray[np.uint8], dict[int, str]]:
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
        packed_fast = pack_canonical_uuids(joined, count)
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


def pack_canonical_uuids(joined: str, count: int) -> npt.NDArray[np.uint8] | None:
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


def zero_for_none(values: list[int | None]) -> npt.NDArray[np.int64]:
    """The column as int64, None (and 0) as 0: the index keeps 0 for "none"."""
    if values.count(None) == len(values):
        return np.zeros(len(values), dtype=np.int64)
    if None in values:
        return np.array([value or 0 for value in values], dtype=np.int64)
    return np.array(values, dtype=np.int64)


