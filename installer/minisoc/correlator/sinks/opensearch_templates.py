"""Index templates for the alerts index and the per-type daily Zeek log indices (`zeek-<type>-YYYY.MM.DD`).

Zeek field names are flat and dotted (`id.orig_h`); OpenSearch expands dots into objects, so the alert
mappings below are written as objects and a Zeek log document keeps Zeek's dotted keys unchanged. Every
IP-valued Zeek field is typed `ip`; strings default to `keyword`; unparseable values are ignored, not fatal.
"""

from __future__ import annotations

from typing import Any

from minisoc.correlator.sinks.log_fields import ANALYSIS, observable_string_templates

_KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": 4096}
_IP: dict[str, Any] = {"type": "ip"}
_PORT: dict[str, Any] = {"type": "integer"}
_DATE: dict[str, Any] = {"type": "date", "format": "strict_date_optional_time||epoch_second"}
_STRINGS_AS_KEYWORDS = [{"strings_as_keywords": {"match_mapping_type": "string", "mapping": _KEYWORD}}]
_SETTINGS: dict[str, Any] = {"number_of_shards": 1, "auto_expand_replicas": "0-1"}
_TEXT: dict[str, Any] = {"type": "text"}
_ZEEK_INTEL_FIELDS = ("indicator", "indicator_type", "where", "node", "sources")


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
            "first_seen": _DATE,  # retro alerts: when minisoc first had the indicator (the hunt's cut-off)
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
                    "zeek": {
                        "properties": {
                            "uid": _KEYWORD,
                            "fuid": _KEYWORD,
                            "log_type": _KEYWORD,
                            # Zeek's own intel.log matches of the alert's connection (corroboration)
                            "intel": {"properties": {name: _KEYWORD for name in _ZEEK_INTEL_FIELDS}},
                            "notice": {"properties": {"note": _KEYWORD, "sub": _TEXT, "n": {"type": "long"}}},
                        }
                    },
                    "rule": {"properties": {"name": _KEYWORD, "ruleset": _KEYWORD, "category": _KEYWORD}},
                    "message": _TEXT,
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
                            "records": {  # the Zeek records of the alert (one connection's, or one)
                                "properties": {
                                    "log_type": _KEYWORD,
                                    "id": _KEYWORD,
                                    "matched": _KEYWORD,
                                    "log": {
                                        "properties": {
                                            "file": {"properties": {"path": _KEYWORD}},
                                            "offset": {"type": "long"},
                                        }
                                    },
                                }
                            },
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
# Bumped when the Zeek log template changes: the correlator replaces an older one it finds (new daily indices
# take the new mapping; nothing is reindexed), and leaves a same-or-newer one (`minisoc up` provisions it).
# 3: the observable fields' search forms (sinks.log_fields) and `event.original`: the pushed-down retro-hunt
ZEEK_LOGS_TEMPLATE_VERSION = 3


def _typed_by_path(kind: str, names: tuple[str, ...], mapping: dict[str, Any]) -> list[dict[str, Any]]:
    return [{f"zeek_{kind}_{name}": {"path_match": name, "mapping": mapping}} for name in names]


def zeek_logs_template(prefix: str) -> dict[str, Any]:
    """The composable index template for `prefix-<log type>-YYYY.MM.DD`.

    Zeek's typed fields are typed by dynamic templates (matched on their dotted path when a document first
    brings them), not by fixed object mappings: a fixed `id` object refused every x509 record of the Zeek
    versions whose x509.log has a string `id` (the file id). With one index per log type, each index takes
    the shape its own records have: `id` an object of addresses and ports in conn, a keyword in x509.
    """
    dynamic: list[dict[str, Any]] = [
        *_typed_by_path("ip", ZEEK_IP_FIELDS, _IP),
        *_typed_by_path("port", ZEEK_PORT_FIELDS, _PORT),
        *_typed_by_path("time", ZEEK_TIME_FIELDS, _DATE),
        *observable_string_templates(_KEYWORD, {*ZEEK_IP_FIELDS, *ZEEK_PORT_FIELDS, *ZEEK_TIME_FIELDS}),
        *_STRINGS_AS_KEYWORDS,
    ]
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": 100,
        "version": ZEEK_LOGS_TEMPLATE_VERSION,
        "template": {
            "settings": {**_SETTINGS, "mapping": {"ignore_malformed": True, "total_fields": {"limit": 2000}},
                         "analysis": ANALYSIS},
            "mappings": {
                "dynamic_templates": dynamic,
                "date_detection": False,
                "properties": {
                    "@timestamp": _DATE,
                    "event": {"properties": {
                        "dataset": _KEYWORD,
                        # the line as read: a retro-hunt on the cluster rebuilds the record's alert from it
                        "original": {"type": "keyword", "index": False, "doc_values": False},
                        "ingested": _DATE,  # when the correlator read the line: the retro-hunt's window
                    }},
                    "log": {
                        "properties": {"file": {"properties": {"path": _KEYWORD}}, "offset": {"type": "long"}}
                    },
                },
            },
        },
    }
