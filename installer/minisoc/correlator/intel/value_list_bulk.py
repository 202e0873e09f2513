"""The bulk load of a CSV value list: its rows added to IndicatorColumns a block at a time.

`add_value_list_rows` gives the rows, contexts and counts of `parse_value_list` (its reference twin;
tests/unit/correlator/intel/test_intel_bulk_twins.py compares them): the columns are chosen on the first
rows exactly as the reference chooses them, then the CSV reader is read a block of rows at a time, each block
typed (its type column's few distinct names, or each value's shape) and added with `add_typed_rows`. A block
that does not load whole (an invalid value, an unsupported type, a short row, a `to_ids` column) takes the
reference's row loop, which counts what it leaves out where it stands. Freetext lists (no comma) take the
reference.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import chain, islice, repeat
from operator import itemgetter

import numpy as np

from minisoc.correlator.intel.convert import LoadCounts, Provenance
from minisoc.correlator.intel.typed_bulk import add_typed_rows
from minisoc.correlator.intel.value_list import (
    _SAMPLE_ROWS,
    _Columns,
    _data_lines,
    _given_type,
    _misp_type,
    _table_indicators,
    _table_of,
    parse_value_list,
)
from minisoc.correlator.matching.columns import IndicatorColumns

BLOCK_ROWS = 1 << 16


def _lines_read(lines: list[str]) -> Iterator[str]:
    """What the reference's `csv.reader(io.StringIO("\\n".join(lines)))` reads: each line and its newline,
    the last one without."""
    return chain((f"{line}\n" for line in lines[:-1]), lines[-1:])


def _data_lines_bulk(text: str) -> tuple[list[str], str | None]:
    """`_data_lines(text)`, at C speed when no blank or comment line follows the first data line."""
    lines = text.splitlines()
    first = 0
    while first < len(lines) and (not lines[first].strip() or lines[first].lstrip().startswith("#")):
        first += 1
    rest = lines[first:]
    del lines
    if "" in rest or True in map(str.isspace, rest) or True in map(
            str.startswith, map(str.lstrip, rest), repeat("#")):
        return _data_lines(text)
    return rest, _data_lines(text[:text.find(rest[0])])[1] if rest else None


def add_value_list_rows(text: str, source: str, counts: LoadCounts, columns: IndicatorColumns) -> None:
    """Every indicator of the value list `text` appended to `columns` (see the module's docstring)."""
    lines, header_comment = _data_lines_bulk(text)
    if not lines or "," not in lines[0]:
        columns.extend(parse_value_list(text, source, counts))
        return
    if '"' in text or "\x00" in text:
        _add_csv_rows(csv.reader(_lines_read(lines)), header_comment, source, counts, columns)
        return
    # without a quote (or a NUL) a CSV row is its line split at commas: csv.reader is several times slower
    head = list(map(str.split, lines[:_SAMPLE_ROWS + 1], repeat(",")))
    table = _table_of(head, header_comment)
    if table.columns is None:
        _add_csv_rows(map(str.split, lines, repeat(",")), header_comment, source, counts, columns)
        return
    provenance = Provenance(source=source)
    width = lines[0].count(",") + 1
    for start in range(len(head) - len(table.rows), len(lines), BLOCK_ROWS):
        block = lines[start:start + BLOCK_ROWS]
        cells = _cells(block, width)
        if cells is None or not _add_plain_rows(cells, table.columns, provenance, counts, columns):
            rows = list(map(str.split, block, repeat(",")))
            if cells is not None or not _add_plain_rows(_by_column(rows, table.columns), table.columns,
                                                        provenance, counts, columns):
                columns.extend(_table_indicators(rows, table.columns, provenance, counts))
        columns.compact()


def _cells(block: list[str], width: int) -> list[list[str]] | None:
    """The columns of quote-free lines of `width` cells each (None when a line has another number): one
    split of the joined lines, no list per row."""
    commas = list(map(str.count, block, repeat(",")))
    if min(commas) != width - 1 or max(commas) != width - 1:
        return None
    flat = ",".join(block).split(",")
    return [flat[column::width] for column in range(width)]


def _by_column(rows: list[list[str]], chosen: _Columns) -> list[list[str]] | None:
    """The columns the fast path reads, when every row has them (None when a row is short)."""
    value_column, type_column, _to_ids = chosen
    needed = max(value_column, type_column or 0)
    if min(map(len, rows)) <= needed:
        return None
    return [list(map(itemgetter(column), rows)) for column in range(needed + 1)]


def _add_csv_rows(reader: Iterator[list[str]], header_comment: str | None, source: str, counts: LoadCounts,
                  columns: IndicatorColumns) -> None:
    """The rows of a CSV reader (quoted cells): columns chosen on the first rows, then a block at a time."""
    table = _table_of(list(islice(reader, _SAMPLE_ROWS + 1)), header_comment)
    if table.columns is None:
        for row in chain(table.rows, reader):
            counts.count_invalid("freetext", ",".join(row), source)
        return
    provenance = Provenance(source=source)
    for rows in chain([table.rows], iter(lambda: list(islice(reader, BLOCK_ROWS)), [])):
        if rows and not _add_plain_rows(_by_column(rows, table.columns), table.columns, provenance, counts,
                                        columns):
            columns.extend(_table_indicators(rows, table.columns, provenance, counts))
        columns.compact()


def _add_plain_rows(cells: list[list[str]] | None, chosen: _Columns, provenance: Provenance,
                    counts: LoadCounts, columns: IndicatorColumns) -> bool:
    """Add the rows whose columns are `cells` when each loads as an indicator of a single-value type; False
    (nothing done) if not, or when `cells` is None."""
    value_column, type_column, to_ids_column = chosen
    if cells is None or to_ids_column is not None:
        return False
    values = cells[value_column]
    if type_column is None:
        names = [_misp_type(None, value) for value in values]
    else:
        given = cells[type_column]
        name_of = {name: _given_type(name) if name.strip() else None for name in dict.fromkeys(given)}
        if None in name_of.values():  # rows without a type: typed by their value's shape
            names = [name_of[name] or _misp_type(None, value)
                     for name, value in zip(given, values, strict=True)]
        else:
            names = list(map(name_of.__getitem__, given))
    if None in names:
        return False
    types: list[str] = list(dict.fromkeys(names))  # type: ignore[arg-type]  # no None (checked)
    code_of: dict[str | None, int] = {name: code for code, name in enumerate(types)}
    type_codes = np.fromiter(map(code_of.__getitem__, names), dtype=np.intp, count=len(names))
    return add_typed_rows(values, type_codes, types, np.zeros(len(values), dtype=np.intp),
                          lambda _group: provenance, counts, columns)
