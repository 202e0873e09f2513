"""The ECS parts of an alert on a syslog or flow record (issue 15): what `alerts._alert_doc` writes instead of
the `zeek` object for these records.

`event.dataset` and `event.module` are the input (`syslog`, `netflow`); the record's flat ECS fields are
nested as ECS nests them (`log.syslog.appname`, `network.transport`, `user.name`, `related.ip`, ...), its
`event.*` fields (outcome, action, start, end) join the alert's event, and `message` is the syslog message.
`source.*`/`destination.*` come from the same fields (alerts._endpoint reads their `ip` and `port`).
"""

from __future__ import annotations

from typing import Any

from minisoc.correlator.input_formats import INPUT_LOG_TYPES
from minisoc.correlator.model import LogRecord

_NOT_NESTED = frozenset(("@timestamp", "message"))
_EVENT_KEPT = frozenset(("kind", "id", "dataset", "module", "category", "type", "created", "original"))


def is_input_record(record: LogRecord) -> bool:
    return record.log_type in INPUT_LOG_TYPES


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    """`{"a.b": 1, "a.c": 2}` -> `{"a": {"b": 1, "c": 2}}`; a key that is both a value and a parent (never in
    these records) keeps the value."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        node = nested
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            node.setdefault(last, value)
    return nested


def add_input_fields(doc: dict[str, Any], record: LogRecord) -> None:
    """Rewrite a Zeek-shaped alert `doc` of an input record: dataset and module, the record's ECS fields."""
    event = doc["event"]
    event["dataset"] = event["module"] = record.log_type
    doc.pop("zeek", None)
    fields = record.fields
    nested = _nest({key: value for key, value in fields.items() if key not in _NOT_NESTED})
    for key, value in nested.pop("event", {}).items():
        if key not in _EVENT_KEPT:
            event[key] = value
    for key, value in nested.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**value, **doc[key]}
        else:
            doc.setdefault(key, value)
    message = fields.get("message")
    if isinstance(message, str) and message:
        doc["message"] = message
