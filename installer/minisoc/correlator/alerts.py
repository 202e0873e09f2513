"""Alert builder: (log record, matches) -> ECS-aligned alert documents with deterministic ids.

Pure: the same record and indicator always give the same id, so replays, restarts and retro-hunts never
duplicate an alert (sinks write with create-if-absent semantics). The schema is documented in docs/alerts.md.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from minisoc.correlator.model import KIND_IP, Alert, Indicator, LogRecord, Match
from minisoc.correlator.zeek.timestamps import dated_epoch

ALERT_SCHEMA_VERSION = 1
ACK_OPEN = "open"
ACK_ACKNOWLEDGED = "acknowledged"
ACK_FALSE_POSITIVE = "false_positive"

# ECS event.category per Zeek log type (default: network).
_CATEGORY_BY_LOG_TYPE: dict[str, list[str]] = {
    "files": ["file"],
    "x509": ["network"],
    "http": ["network", "web"],
    "smtp": ["network", "email"],
    "intel": ["threat"],
    "notice": ["intrusion_detection"],
}

# Where source/destination come from, in the order tried (field names differ between Zeek versions).
_SOURCE_IP_FIELDS = ("id.orig_h", "tx_hosts", "src", "client_addr")  # client_addr: dhcp (Zeek 3+)
_SOURCE_PORT_FIELDS = ("id.orig_p", "p")
_DESTINATION_IP_FIELDS = ("id.resp_h", "rx_hosts", "dst", "server_addr")
_DESTINATION_PORT_FIELDS = ("id.resp_p",)


def iso_utc(epoch: float) -> str:
    """`1521911720.865716` -> `2018-03-24T17:15:20.865716Z` (microseconds, always UTC, `Z` suffix, a
    four-digit year); for an epoch that `dated_epoch` keeps."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return f"{moment.year:04d}" + moment.strftime("-%m-%dT%H:%M:%S.%fZ")


def indicator_identity(indicator: Indicator) -> tuple[str, str, str]:
    """What makes two matches the same indicator for alerting: (MISP type, value, source)."""
    return (indicator.type, indicator.value, indicator.source)


def alert_id(log_type: str, raw: bytes, indicator: Indicator) -> str:
    """Deterministic alert id: sha256 over the log type, the line's sha256 and the indicator identity.

    32 hex characters (128 bits): short enough to type in `minisoc alerts ack`, far from colliding.
    """
    line_digest = hashlib.sha256(raw).hexdigest()
    itype, value, source = indicator_identity(indicator)
    material = "\x1f".join((log_type, line_digest, itype, value, source)).encode("utf-8", "surrogatepass")
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


def _indicator_doc(indicator: Indicator) -> dict[str, Any]:
    """ECS `threat.indicator` fields for one indicator (shared by the alert and each enrichment)."""
    doc: dict[str, Any] = {
        "type": indicator.type,
        "name": indicator.value,
        "provider": indicator.source,
    }
    if indicator.kind == KIND_IP:
        doc["ip"] = indicator.value
    if indicator.reference:
        doc["reference"] = indicator.reference
    description = indicator.event_info or indicator.comment
    if description:
        doc["description"] = description
    if indicator.port is not None:
        doc["port"] = indicator.port
    return doc


def _enrichment(match: Match) -> dict[str, Any]:
    return {
        "indicator": _indicator_doc(match.indicator),
        "matched": {"atomic": match.observed, "field": match.field, "type": "indicator_match_rule"},
    }


def _group_by_indicator(matches: Sequence[Match]) -> list[list[Match]]:
    """Matches grouped per indicator identity, in first-seen order; duplicate (field, value) pairs dropped."""
    groups: dict[tuple[str, str, str], list[Match]] = {}
    seen: set[tuple[tuple[str, str, str], str, str]] = set()
    for match in matches:
        identity = indicator_identity(match.indicator)
        key = (identity, match.field, match.observed)
        if key in seen:
            continue
        seen.add(key)
        groups.setdefault(identity, []).append(match)
    return list(groups.values())


def _alert_doc(
    record: LogRecord, group: list[Match], *, alert_id_: str, retro: bool, site: str | None, created: str
) -> dict[str, Any]:
    indicator = group[0].indicator
    fields = record.fields
    event: dict[str, Any] = {
        "kind": "alert",
        "id": alert_id_,
        "dataset": f"zeek.{record.log_type}",
        "module": "zeek",
        "category": _CATEGORY_BY_LOG_TYPE.get(record.log_type, ["network"]),
        "type": ["indicator"],
        "created": created,
        "original": record.raw.decode("utf-8", "replace"),
    }
    threat_indicator = _indicator_doc(indicator)
    doc: dict[str, Any] = {
        "@timestamp": iso_utc(ts) if (ts := dated_epoch(record.ts)) is not None else created,
        "event": event,
        "zeek": {"log_type": record.log_type},
        "threat": {
            "indicator": threat_indicator,
            "feed": {"name": indicator.source},
            "enrichments": [_enrichment(match) for match in group],
        },
        "tags": sorted({*indicator.tags, *(["retro"] if retro else [])}),
        "minisoc": {
            "schema": ALERT_SCHEMA_VERSION,
            "retro": retro,
            "site": site,
            "event_uuid": indicator.event_uuid,
            "attribute_uuid": indicator.attribute_uuid,
            "threat_level": indicator.threat_level,
            "indicator": {"value": indicator.value, "kind": indicator.kind, "type": indicator.type},
            "ack": {"state": ACK_OPEN, "at": None},
        },
    }
    uid = _zeek_uid(fields)
    if uid is not None:
        doc["zeek"]["uid"] = uid
    fuid = fields.get("fuid")
    if isinstance(fuid, str):
        doc["zeek"]["fuid"] = fuid
    if record.path is not None:
        log: dict[str, Any] = {"file": {"path": record.path}}
        if record.offset is not None:
            log["offset"] = record.offset
        doc["log"] = log
    source = _endpoint(fields, _SOURCE_IP_FIELDS, _SOURCE_PORT_FIELDS)
    if source:
        doc["source"] = source
    destination = _endpoint(fields, _DESTINATION_IP_FIELDS, _DESTINATION_PORT_FIELDS)
    if destination:
        doc["destination"] = destination
    return doc


def build_alerts(
    record: LogRecord,
    matches: Sequence[Match],
    *,
    retro: bool = False,
    site: str | None = None,
    now: float | None = None,
) -> list[Alert]:
    """One alert per (record, indicator), with one `threat.enrichments` entry per matched field.

    `now` (epoch seconds) sets `event.created`; it defaults to the current time. It does not enter the id.
    """
    if not matches:
        return []
    created = iso_utc(time.time() if now is None else now)
    alerts: list[Alert] = []
    for group in _group_by_indicator(matches):
        identifier = alert_id(record.log_type, record.raw, group[0].indicator)
        doc = _alert_doc(record, group, alert_id_=identifier, retro=retro, site=site, created=created)
        alerts.append(Alert(id=identifier, doc=doc))
    return alerts


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
