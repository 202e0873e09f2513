"""What `minisoc up` loads into OpenSearch and Dashboards: index templates, the ISM retention policy and the
saved objects (an alerts index pattern and a search). Plain data, dumped as sorted JSON for stable bytes.

Files (under SITE_DIR/config/): `opensearch/index-templates/<name>.json` (body of PUT _index_template/<name>),
`opensearch/ism/<policy>.json` (body of PUT _plugins/_ism/policies/<policy>),
`dashboards/saved-objects.ndjson` (POST api/saved_objects/_import).
"""

from __future__ import annotations

import json
from typing import Any

ALERTS_INDEX = "minisoc-alerts"
LOGS_INDEX_PREFIX = "zeek"
RETENTION_POLICY = "minisoc-retention"
ALERTS_INDEX_PATTERN_ID = "minisoc-alerts-pattern"
ALERTS_SEARCH_ID = "minisoc-alerts-recent"

_KEYWORD = {"type": "keyword", "ignore_above": 1024}
_IP = {"type": "ip", "ignore_malformed": True}


def dump_json(document: object) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def alerts_index_template() -> dict[str, Any]:
    """ECS-aligned mapping of the alert documents the correlator writes."""
    properties = {
        "@timestamp": {"type": "date"},
        "event": {
            "properties": {"kind": _KEYWORD, "dataset": _KEYWORD, "id": _KEYWORD, "created": {"type": "date"}}
        },
        "log": {"properties": {"file": {"properties": {"path": _KEYWORD}}, "offset": {"type": "long"}}},
        "zeek": {"properties": {"uid": _KEYWORD}},
        "source": {"properties": {"ip": _IP, "port": {"type": "integer"}}},
        "destination": {"properties": {"ip": _IP, "port": {"type": "integer"}}},
        "threat": {
            "properties": {
                "indicator": {"properties": {"type": _KEYWORD, "provider": _KEYWORD, "reference": _KEYWORD}},
                "enrichments": {
                    "type": "nested",
                    "properties": {
                        "matched": {"properties": {"atomic": _KEYWORD, "field": _KEYWORD, "type": _KEYWORD}},
                        "indicator": {
                            "properties": {"type": _KEYWORD, "provider": _KEYWORD, "reference": _KEYWORD}
                        },
                    },
                },
            }
        },
        "minisoc": {
            "properties": {
                "retro": {"type": "boolean"},
                "acknowledged": {"type": "boolean"},
                "false_positive": {"type": "boolean"},
            }
        },
    }
    return {
        "index_patterns": [f"{ALERTS_INDEX}*"],
        "priority": 200,
        "template": {
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": 0,
                "plugins.index_state_management.policy_id": RETENTION_POLICY,
            },
            "mappings": {
                "dynamic_templates": [{"strings": {"match_mapping_type": "string", "mapping": _KEYWORD}}],
                "properties": properties,
            },
        },
    }


def zeek_logs_index_template() -> dict[str, Any]:
    """Zeek logs in per-type daily indices (`zeek-<type>-YYYY.MM.DD`): address fields typed `ip`."""
    ip_fields = [
        {f"ip_{name}": {"path_match": pattern, "mapping": _IP}}
        for name, pattern in (
            ("orig", "id.orig_h"),
            ("resp", "id.resp_h"),
            ("hosts", "*_h"),
            ("addrs", "*_addr"),
            ("answers_ip", "tx_hosts"),
            ("rx", "rx_hosts"),
        )
    ]
    return {
        "index_patterns": [f"{LOGS_INDEX_PREFIX}-*"],
        "priority": 100,
        "template": {
            "settings": {
                "number_of_shards": 1,
                "number_of_replicas": 0,
                "plugins.index_state_management.policy_id": RETENTION_POLICY,
            },
            "mappings": {
                "dynamic_templates": [
                    *ip_fields,
                    {"strings": {"match_mapping_type": "string", "mapping": _KEYWORD}},
                ],
                "properties": {
                    "@timestamp": {"type": "date"},
                    "ts": {"type": "date"},
                    "uid": _KEYWORD,
                    "id": {
                        "properties": {
                            "orig_h": _IP,
                            "resp_h": _IP,
                            "orig_p": {"type": "integer"},
                            "resp_p": {"type": "integer"},
                        }
                    },
                },
            },
        },
    }


def retention_policy(retention_days: int) -> dict[str, Any]:
    """ISM: delete alert and Zeek log indices `retention_days` after their creation."""
    return {
        "policy": {
            "description": f"minisoc: delete indices {retention_days} days after creation",
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": [],
                    "transitions": [
                        {"state_name": "delete", "conditions": {"min_index_age": f"{retention_days}d"}}
                    ],
                },
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
            "ism_template": [
                {"index_patterns": [f"{ALERTS_INDEX}*", f"{LOGS_INDEX_PREFIX}-*"], "priority": 100}
            ],
        }
    }


def dashboards_saved_objects() -> str:
    """NDJSON for the Dashboards import API: the alerts index pattern and a 'recent alerts' search."""
    pattern = {
        "type": "index-pattern",
        "id": ALERTS_INDEX_PATTERN_ID,
        "attributes": {"title": f"{ALERTS_INDEX}*", "timeFieldName": "@timestamp"},
        "references": [],
    }
    search_source = {
        "query": {"query": "event.kind:alert", "language": "kuery"},
        "filter": [],
        "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
    }
    search = {
        "type": "search",
        "id": ALERTS_SEARCH_ID,
        "attributes": {
            "title": "minisoc: recent alerts",
            "columns": [
                "event.dataset",
                "source.ip",
                "destination.ip",
                "threat.indicator.type",
                "threat.enrichments.matched.atomic",
            ],
            "sort": [["@timestamp", "desc"]],
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(search_source, sort_keys=True)},
        },
        "references": [
            {
                "name": "kibanaSavedObjectMeta.searchSourceJSON.index",
                "type": "index-pattern",
                "id": ALERTS_INDEX_PATTERN_ID,
            }
        ],
    }
    return "".join(json.dumps(obj, sort_keys=True) + "\n" for obj in (pattern, search))
