"""The bulk load of a Zeek intel file: its rows added to IndicatorColumns a block of lines at a time.

`add_zeek_intel_rows(data, source, counts, columns)` gives the rows, contexts (in order of first use) and
counts of `parse_zeek_intel` (the reference twin, tests/unit/test_intel_bulk_twins.py compares them), without
an Indicator or a per-line dict: a block of lines is split into columns with `map`, its rows grouped by
(indicator type, meta.source, meta.desc, meta.url, meta.do_notice), each group canonicalised with
`canonicalise_many`. A block the fast path does not take as a whole (a value that is not canonical for its
type or not valid at all, an unsupported type, a whitelist line, a short line, no `#fields` yet) is handed to
`parse_zeek_intel`, which counts what it leaves out where it stands, so refusals keep their file order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import repeat
from operator import itemgetter

import numpy as np

from minisoc.correlator.intel.convert import LoadCounts, Provenance
from minisoc.correlator.intel.misp_types import FILE_HASH_BY_LENGTH, ZEEK_TO_MISP
from minisoc.correlator.intel.typed_bulk import add_typed_rows
from minisoc.correlator.intel.zeek_intel import UNSET, ZEEK_DO_NOTICE_TAG, ZEEK_SOURCE_TAG, parse_zeek_intel
from minisoc.correlator.matching.columns import IndicatorColumns

BLOCK_BYTES = 1 << 20  # a block of lines: its transient Python strings stay a few MB whatever the file size
_Key = tuple[str, str, str, str]  # (meta.source, meta.desc, meta.url, meta.do_notice)
_FIRST, _SECOND, _THIRD = itemgetter(0), itemgetter(1), itemgetter(2)
_TYPES = tuple(sorted({*ZEEK_TO_MISP.values(), *FILE_HASH_BY_LENGTH.values()}))
_TYPE_CODE = {zeek_type: _TYPES.index(misp_type) for zeek_type, misp_type in ZEEK_TO_MISP.items()}
_FILE_HASH = len(_TYPES)  # a type code to resolve by the value's length
_TYPE_CODE["Intel::FILE_HASH"] = _FILE_HASH
_HASH_CODE_BY_LENGTH = np.full(66, -1, dtype=np.intp)  # longer values: the last entry, -1
for _length, _name in FILE_HASH_BY_LENGTH.items():
    _HASH_CODE_BY_LENGTH[_length] = _TYPES.index(_name)


def _blocks(chunks: Iterable[bytes]) -> Iterator[list[str]]:
    """The lines of the bytes `chunks` make end to end (as `data.decode(errors="replace").splitlines()` gives
    them for the whole), a block at a time: blocks end after a `\\n`, which no UTF-8 sequence contains and
    which ends any `\\r\\n` pair, so no line or character spans two blocks."""
    pending = b""
    for chunk in chunks:
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            yield data[:cut].decode("utf-8", errors="replace").splitlines()
        pending = data[cut:]
    if pending:
        yield pending.decode("utf-8", errors="replace").splitlines()


class ZeekIntelBulk:
    """One Zeek intel file's load state: its `#fields` and its provenances (as `parse_zeek_intel` keeps)."""

    def __init__(self, source: str, counts: LoadCounts, columns: IndicatorColumns) -> None:
        self.source, self.counts, self.columns = source, counts, columns
        self.fields: list[str] = []
        self.provenances: dict[tuple[str, str | None, str | None, bool], Provenance] = {}

    def add(self, chunks: Iterable[bytes]) -> None:
        """Add the file that `chunks` make end to end (read a block at a time: never whole in memory)."""
        for lines in _blocks(chunks):
            self._add_lines(lines)
            self.columns.compact()

    def _add_lines(self, lines: list[str]) -> None:
        """Runs of data lines in bulk; `#` lines and blank lines as `parse_zeek_intel` treats them."""
        special = list(map(str.startswith, lines, repeat("#")))
        blank = list(map(str.isspace, lines))
        if True not in special and True not in blank and "" not in lines:
            self._add_run(lines)
            return
        run: list[str] = []
        for line, is_header, is_blank in zip(lines, special, blank, strict=True):
            if is_blank or not line or is_header:
                if run:
                    self._add_run(run)
                    run = []
                if is_header and line.startswith("#fields"):
                    self.fields = line.split("\t")[1:]
                continue
            run.append(line)
        if run:
            self._add_run(run)

    def _reference(self, lines: list[str]) -> None:
        header = "#fields\t" + "\t".join(self.fields) + "\n" if self.fields else ""
        self.columns.extend(parse_zeek_intel(header + "\n".join(lines), self.source, self.counts,
                                             self.provenances))

    def _add_run(self, lines: list[str]) -> None:
        if not self._add_plain_run(lines):
            self._reference(lines)

    def _add_plain_run(self, lines: list[str]) -> bool:
        """Add the rows of data lines when each one loads as an indicator; False (nothing done) if not.

        A line is split once, at its first tab: the indicator, and the rest, which is the same text for
        every line of one type and provenance (`1.2.3.4<TAB>Intel::ADDR<TAB>abuse<TAB>-<TAB>F`), so the
        rest's fields are read once per distinct rest, not once per line."""
        fields = self.fields
        if fields[:1] != ["indicator"] or "indicator_type" not in fields or "meta.whitelist" in fields:
            return False
        pairs = list(map(str.partition, lines, repeat("\t")))
        if set(map(_SECOND, pairs)) != {"\t"}:
            return False  # a line without a tab (the reference reads its missing fields as unset)
        values, rests = list(map(_FIRST, pairs)), list(map(_THIRD, pairs))
        del pairs
        code_of = {rest: code for code, rest in enumerate(dict.fromkeys(rests))}
        codes = np.fromiter(map(code_of.__getitem__, rests), dtype=np.intp, count=len(rests))
        del rests
        groups = [self._group(rest) for rest in code_of]
        if None in groups:
            return False
        keys: list[_Key] = [group[1] for group in groups]  # type: ignore[index]  # no None (checked)
        type_codes = np.asarray([_TYPE_CODE.get(group[0], -1) for group in groups],  # type: ignore[index]
                                dtype=np.intp)[codes]
        hashes = np.flatnonzero(type_codes == _FILE_HASH)
        if len(hashes):  # Intel::FILE_HASH: md5, sha1 or sha256 by the length of the value
            lengths = np.fromiter(map(len, map(str.strip, map(values.__getitem__, hashes.tolist()))),
                                  dtype=np.intp, count=len(hashes))
            type_codes[hashes] = _HASH_CODE_BY_LENGTH[np.minimum(lengths, len(_HASH_CODE_BY_LENGTH) - 1)]
        if (type_codes < 0).any():
            return False  # a type we do not match: the reference counts it where it stands
        return add_typed_rows(values, type_codes, _TYPES, codes, lambda code: self._provenance(keys[code]),
                              self.counts, self.columns)

    def _group(self, rest: str) -> tuple[str, _Key] | None:
        """(Zeek indicator type, key) of the lines whose text after the indicator is `rest`; None when they
        are not plain (a missing field, a whitelist line)."""
        parts = rest.split("\t")
        if len(parts) < len(self.fields) - 1:
            return None
        row = dict(zip(self.fields[1:], parts, strict=False))
        zeek_type = row["indicator_type"]
        key = (row.get("meta.source", UNSET), row.get("meta.desc", UNSET), row.get("meta.url", UNSET),
               row.get("meta.do_notice", ""))
        return zeek_type, key

    def _provenance(self, key: _Key) -> Provenance:
        """The Provenance `parse_zeek_intel` makes for these meta fields (shared through `provenances`)."""
        meta_source, desc, url, notice = key
        do_notice = notice == "T"
        short = (meta_source, None if desc == UNSET else desc, None if url == UNSET else url, do_notice)
        provenance = self.provenances.get(short)
        if provenance is None:
            tags: tuple[str, ...] = () if meta_source == UNSET else (f"{ZEEK_SOURCE_TAG}{meta_source}",)
            tags += (ZEEK_DO_NOTICE_TAG,) if do_notice else ()
            provenance = self.provenances[short] = Provenance(
                source=self.source, event_info=short[1], reference=short[2], tags=tags)
        return provenance


def add_zeek_intel_rows(chunks: Iterable[bytes], source: str, counts: LoadCounts,
                        columns: IndicatorColumns) -> None:
    """Every indicator of the Zeek intel file that `chunks` make end to end appended to `columns` (see the
    module's docstring)."""
    ZeekIntelBulk(source, counts, columns).add(chunks)

