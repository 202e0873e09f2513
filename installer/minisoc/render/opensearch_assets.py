"""What `minisoc up` loads into OpenSearch and Dashboards: index templates, the ISM retention policy and the
saved objects (an alerts index pattern and a search). Plain data, dumped as sorted JSON for stable bytes.

Files (under SITE_DIR/config/): `opensearch/index-templates/<name>.json` (body of PUT _index_template/<name>),
`opensearch/ism/<policy>.json` (body of PUT _plugins/_ism/policies/<policy>),
`dashboards/saved-objects.ndjson` (POST api/saved_objects/_import).
"""

from __future__ import annotations

import json
from typing import Any

from minisoc.correlator.sinks.opensearch_input_templates import input_logs_templates
from minisoc.correlator.sinks.opensearch_templates import alerts_template, zeek_logs_template
from minisoc.site.layout import ALERTS_INDEX

LOGS_INDEX_PREFIX = "zeek"
RETENTION_POLICY = "minisoc-retention"
ALERTS_INDEX_PATTERN_ID = f"{ALERTS_INDEX}-pattern"
ALERTS_SEARCH_ID = f"{ALERTS_INDEX}-recent"

def dump_json(document: object) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _with_retention(template: dict[str, Any], shards: int, replicas: int | None) -> dict[str, Any]:
    """The correlator's own template (one definition of the mappings), plus the ISM retention policy and the
    profile's shard count; `replicas` (a cluster's `opensearch.replicas`) replaces the template's
    auto-expanding replicas, None keeps them (one node: 0)."""
    settings = dict(template["template"]["settings"])
    settings["plugins.index_state_management.policy_id"] = RETENTION_POLICY
    settings["number_of_shards"] = shards
    if replicas is not None:
        settings.pop("auto_expand_replicas", None)
        settings["number_of_replicas"] = replicas
    template["template"]["settings"] = settings
    return template


def alerts_index_template(shards: int = 1, replicas: int | None = None) -> dict[str, Any]:
    """ECS-aligned mapping of the alert documents the correlator writes (see docs/alerts.md)."""
    return _with_retention(alerts_template(ALERTS_INDEX), shards, replicas)


def zeek_logs_index_template(shards: int = 1, replicas: int | None = None) -> dict[str, Any]:
    """Zeek logs in per-type daily indices (`zeek-<type>-YYYY.MM.DD`): address fields typed `ip`."""
    return _with_retention(zeek_logs_template(LOGS_INDEX_PREFIX), shards, replicas)


def input_logs_index_templates(shards: int = 1, replicas: int | None = None) -> dict[str, dict[str, Any]]:
    """The syslog and flow records' templates (`zeek-syslog-*`, `zeek-netflow-*`: the correlator indexes them
    under the logs prefix, so the retention policy below covers them too), by template name."""
    return {name: _with_retention(body, shards, replicas)
            for name, body in input_logs_templates(LOGS_INDEX_PREFIX).items()}


def retention_policy(retention_days: int) -> dict[str, Any]:
    """ISM: delete alert and log indices (Zeek's, syslog's, flows') `retention_days` after their creation."""
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
            "columns": [  # one alert per Zeek connection: every matched indicator is in threat.enrichments
                "event.dataset",
                "source.ip",
                "destination.ip",
                "threat.enrichments.matched.atomic",
                "threat.enrichments.indicator.type",
                "threat.enrichments.indicator.misp.type",
                "threat.enrichments.indicator.provider",
                "threat.indicator.marking.tlp",
                "log.file.path",
                "event.id",
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
