"""Zeek Intel framework files (`#fields indicator indicator_type meta.source ...`).

Tab separated, `-` is unset, `#` lines are headers.
"""

from __future__ import annotations

from minisoc.correlator.intel.convert import LoadCounts, Provenance, indicators_for
from minisoc.correlator.intel.misp_types import zeek_type_to_misp
from minisoc.correlator.model import Indicator

UNSET = "-"
ZEEK_SOURCE_TAG = "zeek-intel:source="  # meta.source of a Zeek intel line, kept as a tag
ZEEK_DO_NOTICE_TAG = "zeek-intel:do_notice"  # the line had meta.do_notice T (kept for the Zeek export)


def is_zeek_intel(text: str) -> bool:
    for line in text.splitlines()[:20]:
        if line.startswith("#fields"):
            fields = line.split("\t")
            return "indicator" in fields and "indicator_type" in fields
    return False


def parse_zeek_intel(text: str, source: str, counts: LoadCounts,
                     provenances: dict[tuple[str, str | None, str | None, bool], Provenance] | None = None,
                     ) -> list[Indicator]:
    """Indicators of a Zeek intel file (Indicator.source is `source`, the file's name).

    Lines of unknown types and bad values are counted, not fatal; meta.source becomes a tag. `provenances`
    (meta fields -> Provenance) is shared by the calls that read one file in parts (intel.zeek_bulk).
    """
    fields: list[str] = []
    found: list[Indicator] = []
    provenances = {} if provenances is None else provenances
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith("#"):
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            continue
        if not fields:
            counts.count_invalid("Intel (no #fields header)", line, source)
            continue
        row = dict(zip(fields, line.split("\t"), strict=False))
        value, zeek_type = row.get("indicator", UNSET), row.get("indicator_type", UNSET)
        if row.get("meta.whitelist") == "T":
            counts.not_for_ids += 1
            continue
        misp_type = zeek_type_to_misp(zeek_type, value)
        if misp_type is None:
            counts.count_unsupported(zeek_type, value, source)
            continue
        meta_source = row.get("meta.source", UNSET)
        desc, url = row.get("meta.desc", UNSET), row.get("meta.url", UNSET)
        do_notice = row.get("meta.do_notice") == "T"
        key = (meta_source, None if desc == UNSET else desc, None if url == UNSET else url, do_notice)
        provenance = provenances.get(key)
        if provenance is None:
            tags: tuple[str, ...] = () if meta_source == UNSET else (f"{ZEEK_SOURCE_TAG}{meta_source}",)
            tags += (ZEEK_DO_NOTICE_TAG,) if do_notice else ()
            provenance = provenances[key] = Provenance(source=source, event_info=key[1], reference=key[2],
                                                       tags=tags)
        found.extend(indicators_for(misp_type, value, provenance, counts))
    return found
