"""Plain value lists and CSV feeds (docs/intel.md lists the shapes accepted).

Freetext: one value per line, `#` comments. CSV: the value column is named by a header (the first line, or
the last `#` comment line before the data, as in abuse.ch dumps); without one it is the column whose values
load as indicators in the most rows. A `type` column (MISP type names, or url/domain/ip/md5/sha1/sha256) gives
each value's type, otherwise it is guessed from its shape (`canonical.guess_kind`); a `to_ids` column (MISP's
CSV export) keeps only the rows where it is 1 or true, as for MISP JSON. Other columns (dates, ports, tags)
are not read: an IP listed with a port (Feodo Tracker `dst_port`) matches on any port.
"""

from __future__ import annotations

import csv
import io
from typing import NamedTuple

from minisoc.correlator import model
from minisoc.correlator.intel.convert import LoadCounts, Provenance, indicators_for
from minisoc.correlator.intel.misp_types import MISP_TYPE_PARTS
from minisoc.correlator.model import Indicator
from minisoc.correlator.values.canonical import guess_kind

KIND_TO_MISP_TYPE = {
    model.KIND_IP: "ip-dst", model.KIND_CIDR: "ip-dst", model.KIND_DOMAIN: "domain", model.KIND_URL: "url",
    model.KIND_MD5: "md5", model.KIND_SHA1: "sha1", model.KIND_SHA256: "sha256", model.KIND_EMAIL: "email",
}
# Header names of the value column; when several are present the first one listed here wins.
VALUE_COLUMNS = ("value", "indicator", "ioc", "observable", "ip", "domain", "url", "hash",
                 "ioc_value", "indicator_value", "dst_ip", "ip_address", "hostname",
                 "sha256", "sha256_hash", "sha1", "sha1_hash", "md5", "md5_hash")
TYPE_COLUMNS = ("type", "indicator_type", "ioc_type")
# Type names a type column may hold besides MISP's own (which include url, domain, md5, sha1, sha256).
GENERIC_TYPES = {"ip": "ip-dst", "ipv4": "ip-dst", "ipv6": "ip-dst"}
_SAMPLE_ROWS = 1000  # rows looked at to decide what a column holds
_SCRATCH = Provenance(source="")  # for trial loads while choosing a column


class _Columns(NamedTuple):
    value: int
    type: int | None = None
    to_ids: int | None = None  # MISP's CSV export: only rows with to_ids 1/true are indicators


class _Table(NamedTuple):
    columns: _Columns | None  # None: no column holds indicators
    rows: list[list[str]]  # data rows, the header left out


def _data_lines(text: str) -> tuple[list[str], str | None]:
    """The lines that are not blank or `#` comments, and the last comment line before the first of them
    (without its `#`s): the header of dumps that comment it out (`# id,dateadded,url,...`)."""
    lines: list[str] = []
    last_comment: str | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            if not lines:
                last_comment = stripped.lstrip("#").strip()
            continue
        lines.append(line)
    return lines, last_comment


def _header_columns(fields: list[str]) -> _Columns | None:
    """The columns a header line names, or None when `fields` is not a header: it names no value column, or
    one of its fields is itself an indicator (a data row that happens to hold a word such as `url`)."""
    names = [field.strip().lower() for field in fields]
    value = next((names.index(name) for name in VALUE_COLUMNS if name in names), None)
    if value is None or any(guess_kind(field) for field in fields):
        return None
    type_column = next((names.index(name) for name in TYPE_COLUMNS if name in names), None)
    return _Columns(value, type_column, names.index("to_ids") if "to_ids" in names else None)


def _given_type(name: str) -> str:
    name = name.strip().lower()
    return GENERIC_TYPES.get(name, name)


def _holds_type_names(rows: list[list[str]], column: int) -> bool:
    """Whether most non-empty cells of `column` (in the first rows) are type names we know."""
    named = [row[column] for row in rows[:_SAMPLE_ROWS] if len(row) > column and row[column].strip()]
    return bool(named) and 2 * sum(_given_type(name) in MISP_TYPE_PARTS for name in named) > len(named)


def _cell(row: list[str], column: int | None) -> str | None:
    return row[column] if column is not None and len(row) > column else None


def _is_true(flag: str | None) -> bool:
    return flag is not None and flag.strip().lower() in ("1", "true")


def _misp_type(given_type: str | None, value: str) -> str | None:
    """The type of a row: the one its type column gives (unsupported ones are counted by indicators_for),
    else the one its value's shape suggests."""
    if given_type and given_type.strip():
        return _given_type(given_type)
    kind = guess_kind(value)
    return KIND_TO_MISP_TYPE.get(kind) if kind else None


def _loads_as_indicator(row: list[str], column: int, type_column: int | None) -> bool:
    value = _cell(row, column)
    if value is None or guess_kind(value) is None:
        return False
    misp_type = _misp_type(_cell(row, type_column), value)
    return misp_type is not None and bool(indicators_for(misp_type, value, _SCRATCH, LoadCounts()))


def _columns_from_values(rows: list[list[str]]) -> _Columns | None:
    """A headerless CSV's columns: the type column is the first one holding type names in most rows, the
    value column the one whose values load as indicators (of that type) in the most rows, the leftmost on
    a tie; None when no column holds any indicator."""
    sample = rows[:_SAMPLE_ROWS]
    width = max(len(row) for row in sample)
    type_column = next((column for column in range(width) if _holds_type_names(sample, column)), None)
    best: int | None = None
    best_count = 0
    for column in range(width):
        if column == type_column:
            continue
        count = sum(1 for row in sample if _loads_as_indicator(row, column, type_column))
        if count > best_count:
            best, best_count = column, count
    return None if best is None else _Columns(best, type_column)


def _read_table(lines: list[str], header_comment: str | None) -> _Table:
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    return _table_of(rows, header_comment)


def _table_of(rows: list[list[str]], header_comment: str | None) -> _Table:
    """The table of `rows` (all of them, or the first _SAMPLE_ROWS + 1: the columns are chosen on those)."""
    columns = _header_columns(rows[0])
    if columns is not None:
        return _Table(_checked_type_column(columns, rows[1:]), rows[1:])
    if header_comment:
        columns = _header_columns(next(csv.reader([header_comment])))
        if columns is not None:
            return _Table(_checked_type_column(columns, rows), rows)
    return _Table(_columns_from_values(rows), rows)


def _checked_type_column(columns: _Columns, rows: list[list[str]]) -> _Columns:
    """A column headed `type` that does not hold type names (a threat category, say) is not read, unless
    the file is a MISP export (it has `to_ids`): its types are MISP's, those we do not match are counted."""
    if columns.type is None or columns.to_ids is not None or _holds_type_names(rows, columns.type):
        return columns
    return columns._replace(type=None)


def parse_value_list(text: str, source: str, counts: LoadCounts) -> list[Indicator]:
    """Indicators of a freetext list or a CSV feed; values of no recognisable kind are counted invalid
    (`freetext`), rows too short to hold the value column too."""
    lines, header_comment = _data_lines(text)
    provenance = Provenance(source=source)
    found: list[Indicator] = []
    if not lines:
        return found
    if "," not in lines[0]:
        for line in lines:
            misp_type = _misp_type(None, line.strip())
            if misp_type is None:
                counts.count_invalid("freetext", line.strip(), source)
            else:
                found.extend(indicators_for(misp_type, line.strip(), provenance, counts))
        return found
    table = _read_table(lines, header_comment)
    if table.columns is None:
        for row in table.rows:
            counts.count_invalid("freetext", ",".join(row), source)
        return found
    return _table_indicators(table.rows, table.columns, provenance, counts)


def _table_indicators(rows: list[list[str]], columns: _Columns, provenance: Provenance, counts: LoadCounts,
                      ) -> list[Indicator]:
    """The indicators of data rows, their columns chosen (the reference of `bulk_rows`)."""
    found: list[Indicator] = []
    source = provenance.source
    value_column, type_column, to_ids_column = columns
    for row in rows:
        if len(row) <= value_column:
            counts.count_invalid("freetext", ",".join(row), source)
            continue
        if to_ids_column is not None and not _is_true(_cell(row, to_ids_column)):
            counts.not_for_ids += 1
            continue
        value = row[value_column]
        misp_type = _misp_type(_cell(row, type_column), value)
        if misp_type is None:
            counts.count_invalid("freetext", value, source)
        else:
            found.extend(indicators_for(misp_type, value, provenance, counts))
    return found
