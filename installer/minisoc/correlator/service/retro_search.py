"""The retro-hunt where the logs live: the stored Zeek log documents (`<prefix>-<log type>-YYYY.MM.DD`) are
searched on the cluster with batched `terms` queries (service.retro_query), not rescanned from files.

Per log type: one `GET _mapping/field` (which fields exist, typed how), then the searches (at most
CLAUSES_PER_SEARCH clauses each, within the hunt's time window), read with `scroll` in `_doc` order. Every
document fetched is rebuilt into the record it was stored from (`stored_record`: its fields and the line,
`event.original`) and matched by the same Matcher as the file rescan: the alerts are the ones the file path
raises, with the same ids.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from opensearchpy import OpenSearch

from minisoc.correlator.alerts import iso_utc
from minisoc.correlator.model import LogRecord
from minisoc.correlator.service.retro_query import (
    FieldMapping,
    HuntValues,
    clauses_for,
    mapping_fields,
    searches,
)
from minisoc.correlator.sinks.opensearch_logs import stored_record

log = logging.getLogger(__name__)
PAGE_SIZE = 5000
SCROLL_KEEP = "2m"
_LENIENT = {"ignore_unavailable": "true", "allow_no_indices": "true"}  # no index (yet): nothing to search
_DAILY_INDEX = re.compile(r"^(?P<type>.+)-(?P<day>\d{4}\.\d{2}\.\d{2})$")


def indices_by_log_type(client: OpenSearch, prefix: str) -> dict[str, list[str]]:
    """The log storage's indices per log type (from their names: `zeek-conn-2018.03.24` is conn)."""
    answer = client.indices.get(index=f"{prefix}-*", params=_LENIENT)
    by_type: dict[str, list[str]] = {}
    for name in sorted(answer):
        found = _DAILY_INDEX.match(name.removeprefix(f"{prefix}-"))
        if found is not None and name.startswith(f"{prefix}-"):
            by_type.setdefault(found["type"], []).append(name)
    return by_type


def field_mappings(client: OpenSearch, indices: list[str], fields: list[str]) -> dict[str, FieldMapping]:
    """Per index, the leaf mapping of each of `fields` it has (subfields included, e.g. `query.names`)."""
    answer = client.indices.get_field_mapping(fields=",".join(fields), index=",".join(indices))
    found: dict[str, FieldMapping] = {}
    for index, body in answer.items():
        leaves: FieldMapping = {}
        for full_name, entry in (body.get("mappings") or {}).items():
            mapping = entry.get("mapping") or {}
            if mapping:
                leaves[full_name] = next(iter(mapping.values()))
        found[index] = leaves
    return found


def _at_or_unset(field: str, bounds: dict[str, str]) -> dict[str, Any]:
    unset = {"bool": {"must_not": [{"exists": {"field": field}}]}}
    return {"bool": {"should": [{"range": {field: bounds}}, unset], "minimum_should_match": 1}}


def time_filter(floor: float | None, ceiling: float | None) -> dict[str, Any]:
    """Documents read since `floor` (`event.ingested`, as the file rescan takes the files modified since)
    whose event happened before `ceiling` (`@timestamp`, the latest first-seen time); a document without
    either time is kept (as the file rescan keeps a record without `ts`)."""
    parts = []
    if floor is not None:
        parts.append(_at_or_unset("event.ingested", {"gte": iso_utc(floor)}))
    if ceiling is not None:
        parts.append(_at_or_unset("@timestamp", {"lt": iso_utc(ceiling)}))
    return {"bool": {"filter": parts}} if parts else {"match_all": {}}


def _scroll(client: OpenSearch, indices: list[str], query: dict[str, Any]) -> Iterator[dict[str, Any]]:
    body = {"query": query, "sort": ["_doc"], "size": PAGE_SIZE}
    page = client.search(index=",".join(indices), body=body, scroll=SCROLL_KEEP,
                         params={"ignore_unavailable": "true"})
    scroll_id = page.get("_scroll_id")
    try:
        while True:
            hits = page["hits"]["hits"]
            if not hits:
                return
            yield from hits
            if len(hits) < PAGE_SIZE or scroll_id is None:
                return
            page = client.scroll(body={"scroll_id": scroll_id, "scroll": SCROLL_KEEP})
            scroll_id = page.get("_scroll_id", scroll_id)
    finally:
        if scroll_id is not None:
            client.clear_scroll(body={"scroll_id": scroll_id}, params={"ignore": "404"})


class SearchStats:
    """What a pushed-down hunt did: searches sent, documents fetched, documents that could not be rebuilt."""

    def __init__(self) -> None:
        self.searches = 0
        self.fetched = 0
        self.unreadable = 0
        self.matched = 0  # documents the matcher matched (counted by the caller)


def candidate_records(
    client: OpenSearch, prefix: str, values: HuntValues, *, floor: float | None, ceiling: float | None,
    stats: SearchStats | None = None,
) -> Iterator[LogRecord]:
    """The stored records within [floor, ceiling) that the matcher could match to `values` (each once),
    rebuilt from their documents; per log type, in `log.file.path` and `log.offset` order."""
    stats = stats if stats is not None else SearchStats()
    window = time_filter(floor, ceiling)
    # what was indexed up to now is searchable (the refresh interval has not passed for the last lines)
    client.indices.refresh(index=f"{prefix}-*", params=_LENIENT)
    for log_type, indices in indices_by_log_type(client, prefix).items():
        mappings = field_mappings(client, indices, mapping_fields(log_type))
        groups: dict[str, tuple[list[str], FieldMapping]] = {}
        for index in indices:  # indices of one mapping (one template version) share their searches
            mapping = mappings.get(index, {})
            groups.setdefault(repr(sorted(mapping.items())), ([], mapping))[0].append(index)
        seen: set[str] = set()
        found: list[LogRecord] = []
        for group, mapping in groups.values():
            for query in searches(clauses_for(log_type, mapping, values), window):
                stats.searches += 1
                for hit in _scroll(client, group, query):
                    key = f"{hit['_index']}/{hit['_id']}"
                    if key in seen:
                        continue
                    seen.add(key)
                    stats.fetched += 1
                    record = stored_record(hit.get("_source") or {})
                    if record is None:
                        stats.unreadable += 1
                        continue
                    found.append(record)
        found.sort(key=lambda record: (record.path or "", record.offset or 0))
        yield from found
    if stats.unreadable:
        log.warning("retro-hunt: %d stored document(s) without event.original (stored before template 3) "
                    "could not be rebuilt; the file rescan covers them while their files are kept",
                    stats.unreadable)
