"""MISP event JSON in every shape it comes in, turned into Indicators.

Shapes: `{"Event": {...}}`, a bare event, a search reply `{"response": [{"Event": ...}]}` (`{"response": []}`
when nothing matched), an attribute search reply `{"response": {"Attribute": [...]}}` (each attribute names
its event: `event_uuid`, `Event: {uuid, info}`), a list of events.
Only `to_ids` attributes count, from the event and from its objects; deleted attributes and objects
are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec

from minisoc.correlator.intel.convert import (
    SINGLE_PART,
    LoadCounts,
    Provenance,
    indicators_for,
    is_short_decimal,
)
from minisoc.correlator.intel.misp_bulk import add_plain_event_rows
from minisoc.correlator.intel.misp_structs import MispAttribute, MispEvent, WrappedEvent
from minisoc.correlator.matching.columns import Context, IndicatorColumns
from minisoc.correlator.model import KIND_CIDR, KIND_IP, Indicator
from minisoc.correlator.values.canonical import NAME_KINDS


def typed_event(event: dict[str, Any]) -> MispEvent:
    """An event dict as a MispEvent; list items that are not objects are dropped first if needed."""
    try:
        return msgspec.convert(event, MispEvent)
    except msgspec.ValidationError:
        cleaned = dict(event)
        for key in ("Attribute", "Object"):
            items = cleaned.get(key)
            cleaned[key] = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
        cleaned["Object"] = [dict(o) for o in cleaned["Object"]]
        for misp_object in cleaned["Object"]:
            inner = misp_object.get("Attribute")
            kept = [i for i in inner if isinstance(i, dict)] if isinstance(inner, list) else []
            misp_object["Attribute"] = kept
        try:
            return msgspec.convert(cleaned, MispEvent)
        except msgspec.ValidationError:
            return MispEvent(uuid=event.get("uuid"), info=event.get("info"))


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
    elif _is_attribute_reply(document):
        yield from _attribute_reply_events(document["Attribute"])
    elif "Attribute" in document or "Object" in document or ("uuid" in document and "info" in document):
        yield document


def _is_attribute_reply(document: dict[str, Any]) -> bool:
    """An attribute search reply: attributes that each name their own event, and no event around them."""
    attributes = document.get("Attribute")
    return (isinstance(attributes, list) and not {"uuid", "info", "Object"} & document.keys()
            and any(isinstance(a, dict) and ("event_uuid" in a or isinstance(a.get("Event"), dict))
                    for a in attributes))


def _attribute_reply_events(attributes: list[Any]) -> Iterator[dict[str, Any]]:
    """The attributes of a search reply as events: grouped by the event each names (`event_uuid`, else
    `Event.uuid`, as misp_api reads them), in order of first appearance, with that event's info and threat
    level; attributes that name none make one event without a uuid."""
    events: dict[str, dict[str, Any]] = {}
    for attribute in attributes:
        found = attribute.get("Event") if isinstance(attribute, dict) else None
        owner: dict[str, Any] = found if isinstance(found, dict) else {}
        uuid = (attribute.get("event_uuid") if isinstance(attribute, dict) else None) or owner.get("uuid")
        key = str(uuid) if uuid else ""
        event = events.get(key)
        if event is None:
            event = events[key] = {"uuid": uuid or None, "info": None, "threat_level_id": None,
                                   "Attribute": []}
        for field in ("info", "threat_level_id"):
            if event[field] is None:
                event[field] = owner.get(field)
        event["Attribute"].append(attribute)
    yield from events.values()


def looks_like_misp(document: Any) -> bool:
    """A MISP document: one with an event, or a search reply that matched nothing (`{"response": []}`)."""
    if isinstance(document, dict) and document.get("response") == []:
        return True
    return next(iter_events(document), None) is not None


def tag_names(tags: Any) -> tuple[str, ...]:
    if not isinstance(tags, list) or not tags:
        return ()
    return tuple(str(t["name"]) for t in tags if isinstance(t, dict) and t.get("name"))


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        return None


_INT64_LIMIT = 1 << 63


def attribute_timestamp(stamp: Any) -> int | None:
    """An attribute's timestamp, or None when it is absent, not an integer, or outside int64 (the index keeps
    timestamps as int64): the attribute still loads, without a timestamp. `isdecimal`, not `isdigit`: `int`
    refuses superscript digits such as `²`, which `isdigit` accepts."""
    number = int(stamp) if type(stamp) is str and stamp.isdecimal() else _int_or_none(stamp)
    return number if number is not None and -_INT64_LIMIT <= number < _INT64_LIMIT else None


def _truthy(value: Any) -> bool:
    return value is True or value in (1, "1", "true", "True")


def event_provenance(event: MispEvent, source: str, reference: str | None) -> Provenance:
    return Provenance(
        source=source,
        event_uuid=str(event.uuid) if event.uuid else None,
        event_info=str(event.info) if event.info is not None else None,
        reference=reference,
        tags=tag_names(event.Tag),
        threat_level=_int_or_none(event.threat_level_id),
    )


def event_attributes(event: MispEvent, counts: LoadCounts) -> list[MispAttribute]:
    """The event's attributes and its objects' attributes, minus those of deleted objects (counted)."""
    attributes = list(event.Attribute)
    for misp_object in event.Object:
        if _truthy(misp_object.deleted):
            counts.deleted += len(misp_object.Attribute)
        else:
            attributes.extend(misp_object.Attribute)
    return attributes


def attribute_indicators(
    attribute: MispAttribute, provenance: Provenance, counts: LoadCounts
) -> list[Indicator]:
    """Indicators of one attribute, or [] when it is deleted, not for IDS, or unusable (counted)."""
    if attribute.deleted is not False and _truthy(attribute.deleted):
        counts.deleted += 1
        return []
    if attribute.to_ids is not True and not _truthy(attribute.to_ids):
        counts.not_for_ids += 1
        return []
    misp_type, value = attribute.type, attribute.value
    if type(misp_type) is not str or type(value) is not str:
        counts.count_invalid(str(misp_type), repr(value), provenance.source)
        return []
    uuid, comment, stamp = attribute.uuid, attribute.comment, attribute.timestamp
    return indicators_for(
        misp_type, value, provenance, counts,
        attribute_uuid=str(uuid) if uuid else None,
        tags=tag_names(attribute.Tag) if attribute.Tag else (),
        comment=str(comment) if comment else None,
        timestamp=attribute_timestamp(stamp),
    )


def add_event_rows(
    event: MispEvent | dict[str, Any], source: str, counts: LoadCounts, columns: IndicatorColumns,
    reference: str | None = None,
) -> None:
    """Append the indicators of one event to `columns` (the bulk load path: no Indicator per value).

    A plain event (misp_bulk) is added column by column; otherwise plain single-value attributes (no own
    tags, a timestamp of at most 18 decimal digits) go straight to a row; every other attribute
    takes `attribute_indicators`, the general path, whose Indicators are appended.
    """
    typed = event if isinstance(event, MispEvent) else typed_event(event)
    provenance = event_provenance(typed, source, reference)
    event_uuid, event_info = provenance.event_uuid, provenance.event_info
    tags, threat_level = provenance.tags, provenance.threat_level
    per_type = counts.per_type
    context_ids: dict[tuple[str, str], int] = {}  # (kind, MISP type) -> the event's context for it
    # the columns' appends bound once: this runs once per indicator (IndicatorColumns.append_row inlined)
    add_value, add_context, add_port = columns.values.append, columns.context_ids.append, columns.ports.append
    add_timestamp, add_uuid, add_comment = (columns.timestamps.append, columns.uuids.append,
                                            columns.comments.append)
    attributes = event_attributes(typed, counts)
    if add_plain_event_rows(attributes, provenance, counts, columns):
        return
    single_part, str_type = SINGLE_PART, str
    for attribute in attributes:
        if attribute.to_ids is True and attribute.deleted is False and attribute.Tag is None:
            misp_type, value, stamp = attribute.type, attribute.value, attribute.timestamp
            single = single_part.get(misp_type) if misp_type.__class__ is str_type else None
            if (single is not None and value.__class__ is str_type and stamp.__class__ is str_type
                    and is_short_decimal(stamp)):
                text = single[1](value)
                if text is not None and not (text[-1].isdigit() and single[0] in NAME_KINDS):  # else: an IP?
                    kind = KIND_IP if single[0] == KIND_CIDR and "/" not in text else single[0]
                    per_type[misp_type] = per_type.get(misp_type, 0) + 1
                    context = context_ids.get((kind, misp_type))
                    if context is None:
                        context = context_ids[(kind, misp_type)] = columns.context_id(Context(
                            kind, misp_type, source, event_uuid, event_info, reference, tags, threat_level))
                    uuid, comment = attribute.uuid, attribute.comment
                    add_value(text)
                    add_context(context)
                    add_port(None)
                    add_timestamp(int(stamp))
                    add_uuid(uuid if uuid.__class__ is str_type and uuid else None)
                    add_comment(comment if comment.__class__ is str_type and comment else None)
                    continue
        columns.extend(attribute_indicators(attribute, provenance, counts))


def event_indicators(
    event: MispEvent | dict[str, Any], source: str, counts: LoadCounts, reference: str | None = None
) -> list[Indicator]:
    columns = IndicatorColumns()
    add_event_rows(event, source, counts, columns, reference)
    return columns.indicators()


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


def decode_event_document(data: bytes) -> list[MispEvent] | None:
    """Fast path for the common `{"Event": {...}}` file (feeds): typed decoding, or None to fall back."""
    try:
        wrapped = msgspec.json.decode(data, type=WrappedEvent)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
        return None
    return [wrapped.Event] if wrapped.Event is not None else None
