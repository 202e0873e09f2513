"""Index templates for the alerts index and the per-type daily Zeek log indices (`zeek-<type>-YYYY.MM.DD`).

Zeek field names are flat and dotted (`id.orig_h`); OpenSearch expands dots into objects, so the mappings
below are written as objects (`id.properties.orig_h`) and a document may keep Zeek's dotted keys unchanged.
Every IP-valued field is typed `ip`; strings default to `keyword`; unparseable values are ignored, not fatal.
"""

from __future__ import annotations

from typing import Any

_KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 4096}
_IP: dict[str, Any] = {"type": "ip"}
_PORT: dict[str, Any] = {"type": "integer"}
_DATE: dict[str, Any] = {"type": "date", "format": "strict_date_optional_time||epoch_second"}
_STRINGS_AS_KEYWORDS = [{"strings_as_keywords": {"match_mapping_type": "string", "mapping": _KEYWORD}}]
_SETTINGS: dict[str, Any] = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}


def _indicator_mapping() -> dict[str, Any]:
    """ECS `threat.indicator` (and `threat.enrichments.indicator`), with the MISP details under `misp`."""
    hashes = {"md5": _KEYWORD, "sha1": _KEYWORD, "sha256": _KEYWORD}
    return {
        "properties": {
            "type": _KEYWORD,
            "name": _KEYWORD,
            "provider": _KEYWORD,
            "reference": _KEYWORD,
            "description": {"type": "text", "fields": {"keyword": _KEYWORD}},
            "ip": _IP,
            "port": _PORT,
            "url": {"properties": {"full": _KEYWORD}},
            "email": {"properties": {"address": _KEYWORD}},
            "file": {"properties": {"name": _KEYWORD, "hash": {"properties": hashes}}},
            "marking": {"properties": {"tlp": _KEYWORD}},
            "misp": {
                "properties": {
                    "type": _KEYWORD,
                    "event_uuid": _KEYWORD,
                    "attribute_uuid": _KEYWORD,
                    "threat_level": {"type": "integer"},
                    "tags": _KEYWORD,
                }
            },
        }
    }


def alerts_template(alerts_index: str) -> dict[str, Any]:
    """The composable index template for `alerts_index` (and `alerts_index-*`)."""
    return {
        "index_patterns": [alerts_index, f"{alerts_index}-*"],
        "priority": 200,
        "template": {
            "settings": _SETTINGS,
            "mappings": {
                "dynamic_templates": _STRINGS_AS_KEYWORDS,
                "date_detection": False,
                "properties": {
                    "@timestamp": _DATE,
                    "event": {
                        "properties": {
                            "kind": _KEYWORD,
                            "id": _KEYWORD,
                            "dataset": _KEYWORD,
                            "module": _KEYWORD,
                            "category": _KEYWORD,
                            "type": _KEYWORD,
                            "created": _DATE,
                            "original": {"type": "keyword", "index": False, "doc_values": False},
                        }
                    },
                    "log": {
                        "properties": {"file": {"properties": {"path": _KEYWORD}}, "offset": {"type": "long"}}
                    },
                    "zeek": {"properties": {"uid": _KEYWORD, "fuid": _KEYWORD, "log_type": _KEYWORD}},
                    "source": {"properties": {"ip": _IP, "port": _PORT}},
                    "destination": {"properties": {"ip": _IP, "port": _PORT}},
                    "threat": {
                        "properties": {
                            "indicator": _indicator_mapping(),
                            "feed": {"properties": {"name": _KEYWORD}},
                            "enrichments": {  # nested, as ECS defines it: query with a `nested` query
                                "type": "nested",
                                "properties": {
                                    "indicator": _indicator_mapping(),
                                    "matched": {
                                        "properties": {
                                            "atomic": _KEYWORD,
                                            "field": _KEYWORD,
                                            "id": _KEYWORD,
                                            "occurred": _DATE,
                                            "type": _KEYWORD,
                                        }
                                    },
                                }
                            },
                        }
                    },
                    "tags": _KEYWORD,
                    "minisoc": {
                        "properties": {
                            "schema": {"type": "integer"},
                            "retro": {"type": "boolean"},
                            "site": _KEYWORD,
                            "ack": {"properties": {"state": _KEYWORD, "at": _DATE}},
                        }
                    },
                },
            },
        },
    }


# Zeek fields holding an address, across log types and versions (conn, files, notice, dhcp, x509, ftp, socks).
ZEEK_IP_FIELDS = (
    "id.orig_h",
    "id.resp_h",
    "tx_hosts",
    "rx_hosts",
    "src",
    "dst",
    "assigned_addr",
    "client_addr",
    "server_addr",
    "requested_addr",
    "san.ip",
    "data_channel.resp_h",
    "bound.host",
)
ZEEK_PORT_FIELDS = ("id.orig_p", "id.resp_p", "p", "data_channel.resp_p", "bound_p")
ZEEK_TIME_FIELDS = ("ts", "_write_ts")


def _as_objects(flat: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """{"id.orig_h": m} -> {"id": {"properties": {"orig_h": m}}}: how OpenSearch sees dotted names."""
    root: dict[str, Any] = {}
    for dotted, mapping in flat.items():
        node = root
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {"properties": {}})["properties"]
        node[leaf] = mapping
    return root


def zeek_logs_template(prefix: str) -> dict[str, Any]:
    """The composable index template for `prefix-<log type>-YYYY.MM.DD`."""
    flat: dict[str, dict[str, Any]] = {name: _IP for name in ZEEK_IP_FIELDS}
    flat.update({name: _PORT for name in ZEEK_PORT_FIELDS})
    flat.update({name: _DATE for name in ZEEK_TIME_FIELDS})
    flat.update(
        {
            "@timestamp": _DATE,
            "uid": _KEYWORD,
            "event.dataset": _KEYWORD,
            "log.file.path": _KEYWORD,
            "log.offset": {"type": "long"},
        }
    )
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": 100,
        "template": {
            "settings": {**_SETTINGS, "mapping": {"ignore_malformed": True, "total_fields": {"limit": 2000}}},
            "mappings": {
                "dynamic_templates": _STRINGS_AS_KEYWORDS,
                "date_detection": False,
                "properties": _as_objects(flat),
            },
        },
    }
