"""Post-start provisioning of OpenSearch: index templates, the alerts index, the retention (ISM) policy.

Idempotent: templates and policies are PUT (same body, same result); the alerts index is made only if absent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from minisoc.correlator.clients.opensearch import OpenSearchRest
from minisoc.ops.checks import Check

ISM_SETTING = "plugins.index_state_management.policy_id"
ISM_PLUGIN = "opensearch-index-management"


def installed_plugins(client: OpenSearchRest) -> set[str]:
    rows = client.ok("GET", "/_cat/plugins?format=json") or []
    return {str(row.get("component")) for row in rows if isinstance(row, dict)}


def without_ism_setting(template: dict[str, Any]) -> dict[str, Any]:
    """The template without the ISM policy setting, which a node without the ISM plugin refuses."""
    settings = dict(template.get("template", {}).get("settings", {}))
    settings.pop(ISM_SETTING, None)
    return {**template, "template": {**template.get("template", {}), "settings": settings}}


def load_json(path: Path) -> dict[str, Any]:
    loaded = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return loaded


def provision_opensearch(
    client: OpenSearchRest, templates_dir: Path, ism_dir: Path, alerts_index: str
) -> list[Check]:
    """Apply every rendered index template, the ISM policies (when the plugin is there), the alerts index."""
    checks: list[Check] = []
    has_ism = ISM_PLUGIN in installed_plugins(client)
    for path in sorted(templates_dir.glob("*.json")):
        template = load_json(path)
        if not has_ism:
            template = without_ism_setting(template)
        client.ok("PUT", f"/_index_template/{path.stem}", template)
        checks.append(Check(f"index template {path.stem}", True, "applied"))
    for path in sorted(ism_dir.glob("*.json")):
        if not has_ism:
            checks.append(
                Check(
                    f"retention policy {path.stem}",
                    False,
                    "the ISM plugin is not installed in "
                    "this OpenSearch image: old indices are not deleted automatically",
                    "use the official OpenSearch image for ISM, or delete old indices by hand",
                    warning=True,
                )
            )
            continue
        status, _ = client.request("GET", f"/_plugins/_ism/policies/{path.stem}")
        if status == 404:
            client.ok("PUT", f"/_plugins/_ism/policies/{path.stem}", load_json(path))
            checks.append(Check(f"retention policy {path.stem}", True, "created"))
        else:
            checks.append(Check(f"retention policy {path.stem}", True, "present"))
    status, _ = client.request("HEAD", f"/{alerts_index}")
    if status == 404:
        client.ok("PUT", f"/{alerts_index}")
        checks.append(Check(f"index {alerts_index}", True, "created"))
    else:
        checks.append(Check(f"index {alerts_index}", True, "present"))
    return checks
