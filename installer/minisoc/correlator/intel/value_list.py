"""Plain value lists: one value per line, or a CSV with a value column and optionally a MISP `type` column.

The kind of a bare value is guessed from its shape (`canonical.guess_kind`).
"""

from __future__ import annotations

import csv
import io

from minisoc.correlator import model
from minisoc.correlator.intel.canonical import guess_kind
from minisoc.correlator.intel.convert import LoadCounts, Provenance, indicators_for
from minisoc.correlator.intel.misp_types import MISP_TYPE_PARTS
from minisoc.correlator.model import Indicator

KIND_TO_MISP_TYPE = {
    model.KIND_IP: "ip-dst", model.KIND_CIDR: "ip-dst", model.KIND_DOMAIN: "domain", model.KIND_URL: "url",
    model.KIND_MD5: "md5", model.KIND_SHA1: "sha1", model.KIND_SHA256: "sha256", model.KIND_EMAIL: "email",
}
_VALUE_COLUMNS = ("value", "indicator", "ioc", "observable", "ip", "domain", "url", "hash")


def _value_column(header: list[str]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in _VALUE_COLUMNS:
        if name in lowered:
            return lowered.index(name)
    return None


def parse_value_list(text: str, source: str, counts: LoadCounts) -> list[Indicator]:
    """Freetext (one value per line, `#` comments) or CSV with a header naming a value column."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    provenance = Provenance(source=source)
    rows: list[tuple[str, str | None]] = []
    if lines and "," in lines[0]:
        reader = csv.reader(io.StringIO("\n".join(lines)))
        header = next(reader)
        column = _value_column(header)
        type_column = [h.strip().lower() for h in header].index("type") if "type" in header else None
        if column is None:
            column, type_column = 0, None
            rows.append((header[0], None))
        for record in reader:
            if len(record) > column:
                given = record[type_column] if type_column is not None and len(record) > type_column else None
                rows.append((record[column], given))
    else:
        rows = [(line.strip(), None) for line in lines]
    found: list[Indicator] = []
    for value, given_type in rows:
        misp_type = given_type.strip() if given_type and given_type.strip() in MISP_TYPE_PARTS else None
        if misp_type is None:
            kind = guess_kind(value)
            misp_type = KIND_TO_MISP_TYPE.get(kind) if kind else None
        if misp_type is None:
            counts.count_invalid("freetext")
            continue
        found.extend(indicators_for(misp_type, value, provenance, counts))
    return found


