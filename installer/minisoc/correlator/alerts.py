"""Alert builder: (log record, matches) -> the ECS alert document of the record, with a deterministic id.

As Elastic's indicator match rules do, a record is one alert whatever the number of indicators it matches:
each matched (indicator, field) pair is an entry of `threat.enrichments`. The records of one Zeek connection
(or file) share their alert (`alert_groups`): each lists itself in `minisoc.records`. Zeek's own findings
(intel.log, notice.log: `zeek_findings`) are alerts even without a match. Pure: the id depends on the record
only (its connection, or its log type and bytes), never on which indicators matched or in which order they
were loaded, so a replay, a restart or a retro-hunt that finds the record again names the same alert; sinks
then add what the stored alert lacks (`merge_alert`) instead of writing a second one. Schema: docs/alerts.md.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from minisoc.correlator.alert_groups import group_id, group_key
from minisoc.correlator.input_alerts import add_input_fields, is_input_record
from minisoc.correlator.model import Alert, LogRecord, Match
from minisoc.correlator.threat_indicator import indicator_doc, indicator_id
from minisoc.correlator.zeek.timestamps import dated_epoch
from minisoc.correlator.zeek_findings import (
    INTEL_LOG,
    NOTICE_LOG,
    corroboration_key,
    intel_corroboration,
    notice_fields,
    zeek_intel_enrichment,
)

# 3: one alert per Zeek connection (or file), Zeek's intel.log and notice.log as alerts; 2: one per record,
# ECS indicator types; 1: one per record and indicator
ALERT_SCHEMA_VERSION = 3
ACK_OPEN = "open"
ACK_ACKNOWLEDGED = "acknowledged"
ACK_FALSE_POSITIVE = "false_positive"
MATCH_TYPE = "indicator_match_rule"

# Where source/destination come from, in the order tried (field names differ between Zeek versions).
# source.*/destination.*: the ECS names of the other inputs' records (syslog, netflow)
_SOURCE_IP_FIELDS = ("id.orig_h", "tx_hosts", "src", "client_addr", "source.ip")  # client_addr: dhcp
_SOURCE_PORT_FIELDS = ("id.orig_p", "source.port")
_DESTINATION_IP_FIELDS = ("id.resp_h", "rx_hosts", "dst", "server_addr", "destination.ip")
_DESTINATION_PORT_FIELDS = ("id.resp_p", "p", "destination.port")  # notice `p`: the port of `dst`


def iso_utc(epoch: float) -> str:
    """`1521911720.865716` -> `2018-03-24T17:15:20.865716Z` (microseconds, always UTC, `Z` suffix, a
    four-digit year); for an epoch that `dated_epoch` keeps."""
    # isoformat (always four year digits, `+00:00` for UTC) is 3x faster than strftime; this runs twice per
    # alert and once per indexed log line; tests compare it with strftime over the calendar
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def alert_id(log_type: str, raw: bytes) -> str:
    """Deterministic alert id of a record: sha256 over its log type and the sha256 of its line.

    32 hex characters (128 bits): short enough to type in `minisoc alerts ack`, far from colliding. No
    indicator enters it: a record is one alert, whichever indicators match it and whenever they arrive.
    """
    material = log_type.encode("utf-8", "surrogatepass") + b"\x1f" + hashlib.sha256(raw).hexdigest().encode()
    return hashlib.sha256(material).hexdigest()[:32]


def _first_scalar(fields: dict[str, Any], names: Sequence[str]) -> Any:
    for name in names:
        value = fields.get(name)
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        if value not in (None, "", "-"):
            return value
    return None


def _port(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdecimal():  # not isdigit: int() refuses '²'
        return int(value)
    return None


def _endpoint(fields: dict[str, Any], ip_fields: Sequence[str], port_fields: Sequence[str]) -> dict[str, Any]:
    endpoint: dict[str, Any] = {}
    ip = _first_scalar(fields, ip_fields)
    if isinstance(ip, str):
        endpoint["ip"] = ip
    port = _port(_first_scalar(fields, port_fields))
    if port is not None:
        endpoint["port"] = port
    return endpoint


def _zeek_uid(fields: dict[str, Any]) -> str | None:
    uid = _first_scalar(fields, ("uid", "conn_uids", "uids"))  # uids: dhcp (Zeek 3+), one per connection
    return uid if isinstance(uid, str) else None


def enrichment_key(enrichment: dict[str, Any]) -> tuple[str, str, str, str]:
    """What makes two enrichments the same: (provider, matched.id, matched.field, matched.atomic)."""
    indicator = enrichment.get("indicator") or {}
    matched = enrichment.get("matched") or {}
    return (str(indicator.get("provider")), str(matched.get("id")), str(matched.get("field")),
            str(matched.get("atomic")))


def _enrichments(matches: Sequence[Match], occurred: str) -> list[dict[str, Any]]:
    """One enrichment per distinct (indicator, field, observed value): ordered by the field's first match,
    then by indicator, so that the order the indicators were loaded in does not show."""
    fields: dict[str, int] = {}
    found: dict[tuple[str, str, str, str], tuple[tuple[Any, ...], dict[str, Any]]] = {}
    for match in matches:
        indicator = match.indicator
        matched = {"atomic": match.observed, "field": match.field, "id": indicator_id(indicator),
                   "occurred": occurred, "type": MATCH_TYPE}
        key = (indicator.source, matched["id"], match.field, match.observed)
        if key in found:
            continue
        order = (fields.setdefault(match.field, len(fields)), indicator.kind, indicator.value, indicator.type,
                 *key)
        found[key] = (order, {"indicator": indicator_doc(indicator), "matched": matched})
    return [enrichment for _, enrichment in sorted(found.values(), key=lambda item: item[0])]


def record_ref(record: LogRecord, matched_ids: list[str], own_id: str) -> dict[str, Any]:
    """The record's entry in `minisoc.records`: its log type, its own id (`own_id`: the id a record-only
    alert of it would have, `alert_id`), where it was read, and the `matched.id`s of the enrichments it
    matched."""
    ref: dict[str, Any] = {"log_type": record.log_type, "id": own_id, "matched": matched_ids}
    if record.path is not None:
        # abspath, not resolve(): the path as the logs were given (Zeek's `current` is a symlink)
        log: dict[str, Any] = {"file": {"path": os.path.abspath(record.path)}}  # noqa: PTH100
        if record.offset is not None:
            log["offset"] = record.offset
        ref["log"] = log
    return ref


def _alert_doc(
    record: LogRecord, enrichments: list[dict[str, Any]], tags: list[str], *, alert_id_: str, own_id: str,
    retro: bool, site: str | None, created: str,
) -> dict[str, Any]:
    fields = record.fields
    notice = record.log_type == NOTICE_LOG
    event: dict[str, Any] = {
        "kind": "alert",
        "id": alert_id_,
        "dataset": f"zeek.{record.log_type}",
        "module": "zeek",
        "category": (["intrusion_detection"] if notice else []) + (["threat"] if enrichments else []),
        "type": (["info"] if notice else []) + (["indicator"] if enrichments else []),
        "created": created,
        "original": record.raw.decode("utf-8", "replace"),
    }
    threat: dict[str, Any] = {"enrichments": enrichments}
    if enrichments:
        first = enrichments[0]["indicator"]
        threat["indicator"] = first  # the first enrichment's (one-line views show it); all are in enrichments
        threat["feed"] = {"name": first["provider"]}
    ref = record_ref(record, sorted({enrichment["matched"]["id"] for enrichment in enrichments}), own_id)
    doc: dict[str, Any] = {
        "@timestamp": iso_utc(ts) if (ts := dated_epoch(record.ts)) is not None else created,
        "event": event,
        "zeek": {"log_type": record.log_type},
        "threat": threat,
        "tags": tags,
        "minisoc": {
            "schema": ALERT_SCHEMA_VERSION,
            "retro": retro,
            "site": site,
            "ack": {"state": ACK_OPEN, "at": None},
            "records": [ref],
        },
    }
    if notice:
        doc["rule"], message, doc["zeek"]["notice"] = notice_fields(fields)
        if message is not None:
            doc["message"] = message
    elif record.log_type == INTEL_LOG and (seen := intel_corroboration(fields)) is not None:
        doc["zeek"]["intel"] = [seen]
    uid = _zeek_uid(fields)
    if uid is not None:
        doc["zeek"]["uid"] = uid
    fuid = fields.get("fuid")
    if isinstance(fuid, str) and fuid not in ("", "-"):
        doc["zeek"]["fuid"] = fuid
    if "log" in ref:
        doc["log"] = dict(ref["log"])
    source = _endpoint(fields, _SOURCE_IP_FIELDS, _SOURCE_PORT_FIELDS)
    if source:
        doc["source"] = source
    destination = _endpoint(fields, _DESTINATION_IP_FIELDS, _DESTINATION_PORT_FIELDS)
    if destination:
        doc["destination"] = destination
    if is_input_record(record):  # syslog, netflow: ECS datasets of their own, not `zeek.*`
        add_input_fields(doc, record)
    return doc


def build_alerts(
    record: LogRecord,
    matches: Sequence[Match],
    *,
    retro: bool = False,
    site: str | None = None,
    now: float | None = None,
) -> list[Alert]:
    """The record's alert: one `threat.enrichments` entry per distinct matched (indicator, field, value).
    None without matches, except for Zeek's own findings: a notice.log record is always an alert, and an
    intel.log record too (with Zeek's indicator as its enrichment when minisoc's do not name it).

    `now` (epoch seconds) sets `event.created` and `matched.occurred`; it defaults to the current time. It
    does not enter the id.
    """
    if not matches and record.log_type not in (NOTICE_LOG, INTEL_LOG):
        return []
    created = iso_utc(time.time() if now is None else now)
    enrichments = _enrichments(matches, created)
    if not enrichments and record.log_type == INTEL_LOG:
        zeek_only = zeek_intel_enrichment(record.fields, created)
        if zeek_only is None:  # an intel.log record without seen.indicator: nothing to show
            return []
        enrichments = [zeek_only]
    tags = {tag for match in matches for tag in match.indicator.tags} | ({"retro"} if retro else set())
    own_id = alert_id(record.log_type, record.raw)  # once: it is the record's ref id and, alone, the alert's
    key = group_key(record)
    identifier = own_id if key is None else group_id(key)
    doc = _alert_doc(record, enrichments, sorted(tags), alert_id_=identifier, own_id=own_id, retro=retro,
                     site=site, created=created)
    return [Alert(id=identifier, doc=doc)]


def _merge_list(have: list[Any], new: list[Any], key: Any) -> bool:
    known = {key(item) for item in have}
    changed = False
    for item in new:
        if key(item) not in known:
            known.add(key(item))
            have.append(item)
            changed = True
    return changed


def _merge_records(have: list[dict[str, Any]], new: list[dict[str, Any]]) -> bool:
    """Records the stored alert lacks are appended; a record it has gets the matched ids it lacks (a
    retro-hunt found a new indicator in it)."""
    by_id = {ref.get("id"): ref for ref in have}
    changed = False
    for ref in new:
        kept = by_id.get(ref.get("id"))
        if kept is None:
            have.append(ref)
            by_id[ref.get("id")] = ref
            changed = True
            continue
        matched = kept.setdefault("matched", [])
        for item in ref.get("matched", []):
            if item not in matched:
                matched.append(item)
                changed = True
    return changed


def merge_alert(stored: dict[str, Any], new: dict[str, Any]) -> bool:
    """Add to the `stored` alert document what `new` (the same record, or another record of the same
    connection) has and it lacks: enrichments, tags, related records (`minisoc.records`) and Zeek's intel
    matches (`zeek.intel`); True when it changed. Everything else (first raise time, ack state, the first
    record's `log.*` and `event.original`) is kept. Both stores merge with it (SQLite in the write's
    transaction, OpenSearch with `if_seq_no`)."""
    threat = stored.setdefault("threat", {})
    have = threat.setdefault("enrichments", [])
    changed = _merge_list(have, new.get("threat", {}).get("enrichments", []), enrichment_key)
    if have and "indicator" not in threat:  # a notice alert without indicators until now
        threat["indicator"] = have[0]["indicator"]
        threat["feed"] = {"name": have[0]["indicator"]["provider"]}
        event = stored.setdefault("event", {})
        event["category"] = [*event.get("category", []), "threat"]
        event["type"] = [*event.get("type", []), "indicator"]
    changed = _merge_list(stored.setdefault("tags", []), new.get("tags", []), lambda tag: tag) or changed
    new_records = new.get("minisoc", {}).get("records", [])
    if new_records:
        records = stored.setdefault("minisoc", {}).setdefault("records", [])
        changed = _merge_records(records, new_records) or changed
    new_intel = new.get("zeek", {}).get("intel", [])
    if new_intel:
        intel = stored.setdefault("zeek", {}).setdefault("intel", [])
        changed = _merge_list(intel, new_intel, corroboration_key) or changed
    return changed


def get_field(doc: dict[str, Any], dotted: str) -> Any:
    """Read a dotted path (`threat.indicator.type`) from a nested alert document; None if absent."""
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def mark_ack(doc: dict[str, Any], false_positive: bool, now: float | None = None) -> None:
    """Set `minisoc.ack` on an alert document (state acknowledged or false_positive, and when)."""
    state = ACK_FALSE_POSITIVE if false_positive else ACK_ACKNOWLEDGED
    doc.setdefault("minisoc", {})["ack"] = {
        "state": state,
        "at": iso_utc(time.time() if now is None else now),
    }


ALERT_ID_PREFIX_MIN = 8  # characters of an alert id that `alerts ack` takes as a unique prefix


def may_be_id_prefix(alert_id: str) -> bool:
    """Whether `alerts ack` may look `alert_id` up as the prefix of an id (long enough, no wildcards)."""
    return len(alert_id) >= ALERT_ID_PREFIX_MIN and alert_id.isalnum()


def alert_not_found_hint(alert_id: str) -> str:
    """The hint for an alert id (or prefix) that no stored alert has."""
    short = len(alert_id) < ALERT_ID_PREFIX_MIN
    return "list ids with `minisoc alerts list`" + (
        f" (an id prefix needs {ALERT_ID_PREFIX_MIN} characters or more)" if short else "")
