"""Zeek Intel framework files (`#fields indicator indicator_type meta.source ...`) and plain value lists.

Zeek intel: tab separated, `-` is unset, `#` lines are headers. Plain lists: one value per line (or a CSV
with a value column and optionally a MISP `type` column); the kind of a bare value is guessed from its shape.
"""

from __future__ import annotations

import csv
import io

from minisoc.correlator import model
from minisoc.correlator.intel.canonical import guess_kind
from minisoc.correlator.intel.convert import LoadCounts, Provenance, indicators_for
from minisoc.correlator.intel.misp_types import MISP_TYPE_PARTS, zeek_type_to_misp
from minisoc.correlator.model import Indicator

UNSET = "-"
ZEEK_SOURCE_TAG = "zeek-intel:source="  # meta.source of a Zeek intel line, kept as a tag
KIND_TO_MISP_TYPE = {
    model.KIND_IP: "ip-dst", model.KIND_CIDR: "ip-dst", model.KIND_DOMAIN: "domain", model.KIND_URL: "url",
    model.KIND_MD5: "md5", model.KIND_SHA1: "sha1", model.KIND_SHA256: "sha256", model.KIND_EMAIL: "email",
}
_VALUE_COLUMNS = ("value", "indicator", "ioc", "observable", "ip", "domain", "url", "hash")


def is_zeek_intel(text: str) -> bool:
    for line in text.splitlines()[:20]:
        if line.startswith("#fields"):
            fields = line.split("\t")
            return "indicator" in fields and "indicator_type" in fields
    return False


def parse_zeek_intel(text: str, source: str, counts: LoadCounts) -> list[Indicator]:
    """Indicators of a Zeek intel file (Indicator.source is `source`, the file's name).

    Lines of unknown types and bad values are counted, not fatal; meta.source becomes a tag.
    """
    fields: list[str] = []
    found: list[Indicator] = []
    provenances: dict[tuple[str, str | None, str | None], Provenance] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            continue
        if not fields:
            counts.count_invalid("Intel (no #fields header)")
            continue
        row = dict(zip(fields, line.split("\t"), strict=False))
        value, zeek_type = row.get("indicator", UNSET), row.get("indicator_type", UNSET)
        if row.get("meta.whitelist") == "T":
            counts.not_for_ids += 1
            continue
        misp_type = zeek_type_to_misp(zeek_type, value)
        if misp_type is None:
            counts.count_unsupported(zeek_type)
            continue
        meta_source = row.get("meta.source", UNSET)
        desc, url = row.get("meta.desc", UNSET), row.get("meta.url", UNSET)
        key = (meta_source, None if desc == UNSET else desc, None if url == UNSET else url)
        provenance = provenances.get(key)
        if provenance is None:
            tags = () if meta_source == UNSET else (f"{ZEEK_SOURCE_TAG}{meta_source}",)
            provenance = provenances[key] = Provenance(source=source, event_info=key[1], reference=key[2],
                                                       tags=tags)
        found.extend(indicators_for(misp_type, value, provenance, counts))
    return found


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


