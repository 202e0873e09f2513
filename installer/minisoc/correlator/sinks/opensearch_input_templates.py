"""Index templates for the other inputs' records (issue 15): `<prefix>-syslog-YYYY.MM.DD` and
`<prefix>-netflow-YYYY.MM.DD`, more specific (higher priority) than the Zeek logs' `<prefix>-*` template.

Their documents hold flat ECS names (syslog.record, flows.record), which OpenSearch expands into objects, so
the mappings are written as objects: addresses typed `ip` (source, destination, observer, related.ip), ports
`integer`, counters `long`, times `date`, the syslog message `text` (searchable by word) with a keyword
sub-field. Strings default to keywords; unparseable values are ignored (`ignore_malformed`), never refused.
"""

from __future__ import annotations

from typing import Any

from minisoc.correlator.sinks.opensearch_templates import (
    _DATE,
    _IP,
    _KEYWORD,
    _PORT,
    _SETTINGS,
    _STRINGS_AS_KEYWORDS,
)

# Bumped when one of these templates changes (the correlator puts a newer one, as for the Zeek template).
INPUT_LOGS_TEMPLATE_VERSION = 1
_LONG: dict[str, Any] = {"type": "long"}
_ENDPOINT: dict[str, Any] = {"properties": {"ip": _IP, "port": _PORT, "domain": _KEYWORD}}
_COMMON: dict[str, Any] = {
    "@timestamp": _DATE,
    "event": {"properties": {"dataset": _KEYWORD, "start": _DATE, "end": _DATE, "ingested": _DATE,
                             "outcome": _KEYWORD, "action": _KEYWORD}},
    "log": {"properties": {"file": {"properties": {"path": _KEYWORD}}, "offset": _LONG}},
    "source": _ENDPOINT,
    "destination": _ENDPOINT,
    "observer": {"properties": {"ip": _IP}},
}
_SYSLOG: dict[str, Any] = {
    "message": {"type": "text", "fields": {"keyword": _KEYWORD}},
    "log": {"properties": {**_COMMON["log"]["properties"], "syslog": {"properties": {
        "hostname": _KEYWORD, "appname": _KEYWORD, "procid": _KEYWORD, "msgid": _KEYWORD, "version": _KEYWORD,
        "structured_data": _KEYWORD, "facility": {"properties": {"name": _KEYWORD}},
        "severity": {"properties": {"name": _KEYWORD}}}}}},
    "related": {"properties": {"ip": _IP, "hosts": _KEYWORD, "url": _KEYWORD, "email": _KEYWORD}},
    "http": {"properties": {"response": {"properties": {"status_code": {"type": "integer"}}}}},
}
_NETFLOW: dict[str, Any] = {
    "network": {"properties": {"transport": _KEYWORD, "iana_number": _KEYWORD, "bytes": _LONG,
                               "packets": _LONG}},
    "netflow": {"properties": {"type": _KEYWORD, "collector": _KEYWORD}},
}


def _template(prefix: str, input_name: str, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "index_patterns": [f"{prefix}-{input_name}-*"],
        "priority": 150,  # above the Zeek logs' `<prefix>-*` (100)
        "version": INPUT_LOGS_TEMPLATE_VERSION,
        "template": {
            "settings": {**_SETTINGS, "mapping": {"ignore_malformed": True, "total_fields": {"limit": 2000}}},
            "mappings": {
                "dynamic_templates": _STRINGS_AS_KEYWORDS,
                "date_detection": False,
                "properties": {**_COMMON, **properties},
            },
        },
    }


def input_logs_templates(prefix: str) -> dict[str, dict[str, Any]]:
    """Template name -> body, for the syslog and the netflow indices under `prefix`."""
    return {f"{prefix}-syslog-logs": _template(prefix, "syslog", _SYSLOG),
            f"{prefix}-netflow-logs": _template(prefix, "netflow", _NETFLOW)}
