"""Plain value lists and CSV feeds (docs/intel.md lists the shapes accepted).

Freetext: one value per line, `#` comments. CSV: the value column is named by a header (the first line, or
the last `#` comment line before the data, as in abuse.ch dumps); without one it is the column whose values
load as indicators in the most rows. A `type` column (MISP type names, or url/domain/ip/md5/sha1/sha256) gives
each value's type, otherwise it is guessed from its shape (`canonical.guess_kind`). Other columns (dates,
ports, tags) are not read: an IP listed with a port (Feodo Tracker `dst_port`) matches on any port.
"""

from __future__ import annotations

import csv
import io
from typing import NamedTuple

from minisoc.correlator import model
from minisoc.correlator.intel.canonical import guess_kind
from minisoc.correlator.intel.convert import LoadCounts, Provenance, indicators_for
from minisoc.correlator.intel.misp_types import MISP_TYPE_PARTS
from minisoc.correlator.model import Indicator

KIND_TO_MISP_TYPE = {
    model.KIND_IP: "ip-dst", model.KIND_CIDR: "ip-dst", model.KIND_DOMAIN: "domain", model.KIND_URL: "url",
    model.KIND_MD5: "md5", model.KIND_SHA1: "sha1", model.KIND_SHA256: "sha256", model.KIND_EMAIL: "email",
}
# Header names of the value column; when several are present the first one listed here wins.
VALUE_COLUMNS = ("value", "indicator", "ioc", "observable", "ip", "domain", "url", "hash",
                 "ioc_value", "indicator_value", "dst_ip", "ip_address", "hostname",
                 "sha256", "sha256_hash", "sha1", "sha1_hash", "md5", "md5_hash")


class _Columns(NamedTuple):
    value: int
    type: int | None = None


class _Table(NamedTuple):
    columns: _Columns
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
    return _Columns(value, names.index("type") if "type" in names else None)


def _read_table(lines: list[str], header_comment: str | None) -> _Table:
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    columns = _header_columns(rows[0])
    if columns is not None:
        return _Table(columns, rows[1:])
    if header_comment:
        columns = _header_columns(next(csv.reader([header_comment])))
        if columns is not None:
            return _Table(columns, rows)
    return _Table(_Columns(0), rows)


def _misp_type(given_type: str | None, value: str) -> str | None:
    if given_type and given_type.strip() in MISP_TYPE_PARTS:
        return given_type.strip()
    kind = guess_kind(value)
    return KIND_TO_MISP_TYPE.get(kind) if kind else None


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
                counts.count_invalid("freetext")
            else:
                found.extend(indicators_for(misp_type, line.strip(), provenance, counts))
        return found
    table = _read_table(lines, header_comment)
    value_column, type_column = table.columns
    for row in table.rows:
        if len(row) <= value_column:
            counts.count_invalid("freetext")
            continue
        value = row[value_column]
        given_type = row[type_column] if type_column is not None and len(row) > type_column else None
        misp_type = _misp_type(given_type, value)
        if misp_type is None:
            counts.count_invalid("freetext")
        else:
            found.extend(indicators_for(misp_type, value, provenance, counts))
    return found
