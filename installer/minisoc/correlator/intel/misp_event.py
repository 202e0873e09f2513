"""MISP event JSON in every shape it comes in, turned into Indicators.

Shapes: `{"Event": {...}}`, a bare event, a search reply `{"response": [{"Event": ...}]}`, a list of events.
Only `to_ids` attributes count, from the event and from its objects; deleted attributes and objects
are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from minisoc.correlator.intel.convert import LoadCounts, Provenance, indicators_for
from minisoc.correlator.model import Indicator


def iter_events(document: Any) -> Iterator[dict[str, Any]]:
    """Every event dict in a MISP JSON document, whatever its wrapping."""
    if isinstance(document, list):
        for item in document:
            yield from iter_events(item)
        return
    if not isinstance(document, dict):
        return
    if isinstance(document.get("Event"), dict):
        yield document["Event"]
    elif isinstance(document.get("response"), list | dict):
        yield from iter_events(document["response"])
    elif "Attribute" in document or "Object" in document or ("uuid" in document and "info" in document):
        yield document


def looks_like_misp(document: Any) -> bool:
    return next(iter_events(document), None) is not None


def _tags(holder: dict[str, Any]) -> tuple[str, ...]:
    tags = holder.get("Tag")
    if not isinstance(tags, list):
        return ()
    return tuple(str(t["name"]) for t in tags if isinstance(t, dict) and t.get("name"))


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _truthy(value: Any) -> bool:
    return value is True or value in (1, "1", "true", "True")


def event_provenance(event: dict[str, Any], source: str, reference: str | None) -> Provenance:
    uuid = event.get("uuid")
    info = event.get("info")
    return Provenance(
        source=source,
        event_uuid=str(uuid) if uuid else None,
        event_info=str(info) if info is not None else None,
        reference=reference,
        tags=_tags(event),
        threat_level=_int_or_none(event.get("threat_level_id")),
    )


def event_attributes(event: dict[str, Any], counts: LoadCounts) -> Iterator[dict[str, Any]]:
    """The event's attributes and its objects' attributes, minus deleted ones (counted)."""
    attributes = event.get("Attribute")
    if isinstance(attributes, list):
        yield from (a for a in attributes if isinstance(a, dict))
    objects = event.get("Object")
    if not isinstance(objects, list):
        return
    for misp_object in objects:
        if not isinstance(misp_object, dict):
            continue
        inner = misp_object.get("Attribute")
        if not isinstance(inner, list):
            continue
        if _truthy(misp_object.get("deleted")):
            counts.deleted += len(inner)
            continue
        yield from (a for a in inner if isinstance(a, dict))


def attribute_indicators(
    attribute: dict[str, Any], provenance: Provenance, counts: LoadCounts
) -> list[Indicator]:
    """Indicators of one attribute dict, or [] when it is deleted, not for IDS, or unusable (counted)."""
    if _truthy(attribute.get("deleted")):
        counts.deleted += 1
        return []
    if not _truthy(attribute.get("to_ids")):
        counts.not_for_ids += 1
        return []
    misp_type, value = attribute.get("type"), attribute.get("value")
    if not isinstance(misp_type, str) or not isinstance(value, str):
        counts.count_invalid(str(misp_type))
        return []
    uuid = attribute.get("uuid")
    comment = attribute.get("comment")
    return indicators_for(
        misp_type, value, provenance, counts,
        attribute_uuid=str(uuid) if uuid else None,
        tags=_tags(attribute),
        comment=str(comment) if comment else None,
        timestamp=_int_or_none(attribute.get("timestamp")),
    )


def event_indicators(
    event: dict[str, Any], source: str, counts: LoadCounts, reference: str | None = None
) -> list[Indicator]:
    provenance = event_provenance(event, source, reference)
    found: list[Indicator] = []
    for attribute in event_attributes(event, counts):
        found.extend(attribute_indicators(attribute, provenance, counts))
    return found


def misp_base_reference(base_url: str | None, event_uuid: str | None) -> str | None:
    """`<base>/events/view/<uuid>` when we know which MISP the event lives on."""
    if not base_url or not event_uuid:
        return None
    return f"{base_url.rstrip('/')}/events/view/{event_uuid}"


def document_indicators(
    document: Any, source: str, counts: LoadCounts, base_url: str | None = None
) -> list[Indicator]:
    """All indicators of a MISP JSON document (any shape)."""
    found: list[Indicator] = []
    for event in iter_events(document):
        uuid = event.get("uuid")
        found.extend(event_indicators(event, source, counts, misp_base_reference(base_url, uuid)))
    return found
