"""compose.yaml: per-service fragments from stacks/<group>/compose.yaml.j2, plus the hardening every service
gets (restart policy, no-new-privileges, all capabilities dropped unless a template adds some, memory/CPU
limits from the profile, healthcheck timing), dumped with sorted keys for byte-stable output.
"""

from __future__ import annotations

from typing import Any

import jinja2
import yaml

from minisoc.errors import MinisocError
from minisoc.profile.model import ServiceName, SiteProfile
from minisoc.profile.opensearch_cluster import compose_services
from minisoc.render.identity import volume_labels
from minisoc.render.templating import render_template
from minisoc.site.layout import SECRETS_DIR_NAME

STACK_GROUPS: dict[str, tuple[ServiceName, ...]] = {
    "zeek": ("zeek",),
    "misp": ("misp-core", "misp-modules", "misp-db", "misp-cache"),
    "opensearch": ("opensearch", "dashboards"),
    "correlator": ("correlator",),
    "feedserver": ("feedserver",),
    "syslog": ("syslog",),  # stacks/syslog: the rsyslog receiver (issue 15)
    "netflow": ("netflow",),  # stacks/netflow: the flow collector (issue 15)
}
HEALTHCHECK_TIMING = {"interval": "15s", "timeout": "5s", "retries": 5}
LOGGING = {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}


def compose_document(
    environment: jinja2.Environment,
    context: dict[str, Any],
    profile: SiteProfile,
    secret_values: dict[str, str],
) -> dict[str, Any]:
    """The compose model; `secret_values` only for the volume labels (a fingerprint, never a value)."""
    enabled = set(compose_services(profile))  # every OpenSearch node is a service of its own
    services: dict[str, Any] = {}
    volumes: set[str] = set()
    for group, members in STACK_GROUPS.items():
        if not set(profile.enabled_services()).intersection(members):
            continue
        fragment = yaml.safe_load(render_template(environment, f"{group}/compose.yaml.j2", context)) or {}
        for name, spec in fragment.items():
            if name in enabled:
                services[name] = harden(name, spec, context["limits"][name])
                volumes.update(
                    mount["source"]
                    for mount in spec.get("volumes", [])
                    if isinstance(mount, dict) and mount.get("type") == "volume"
                )
    document: dict[str, Any] = {"name": profile.project_name, "services": services}
    if volumes:
        labels = volume_labels(profile, secret_values)  # the site's, on every volume: `up` checks them
        document["volumes"] = {name: {"labels": labels} if labels else {} for name in sorted(volumes)}
    secrets = sorted({name for spec in services.values() for name in spec.get("secrets", [])})
    if secrets:
        document["secrets"] = {name: {"file": f"./{SECRETS_DIR_NAME}/{name}"} for name in secrets}
    return document


def harden(name: str, spec: dict[str, Any], limits: dict[str, Any], *,
           one_shot: bool = False) -> dict[str, Any]:
    """The policy every service follows; templates add only what a service needs beyond it. A `one_shot`
    service (a job the others wait for with `service_completed_successfully`) is never restarted and has
    no healthcheck."""
    if one_shot:
        hardened = harden(name, {**spec, "healthcheck": {"start_period": "0s"}}, limits)
        return {**hardened, "restart": "no", "healthcheck": {"disable": True}}
    if "healthcheck" not in spec or "start_period" not in spec["healthcheck"]:
        raise MinisocError(
            f"stack template for {name} has no healthcheck with a start_period",
            "this is a packaging bug: report it",
        )
    hardened = dict(spec)
    hardened["restart"] = "unless-stopped"
    hardened["security_opt"] = ["no-new-privileges:true"]
    hardened["cap_drop"] = ["ALL"]
    hardened["mem_limit"] = f"{limits['memory_mb']}m"
    hardened["cpus"] = limits["cpus"]
    hardened["logging"] = LOGGING
    hardened["healthcheck"] = {**HEALTHCHECK_TIMING, **spec["healthcheck"]}
    if spec.get("image", "").startswith("minisoc/"):
        hardened["pull_policy"] = "never"  # built here by `minisoc images build`, never on a registry
    return hardened


class _NoAliasDumper(yaml.SafeDumper):
    """Repeated values (the logging policy) are written out each time: no &anchors in compose.yaml."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def compose_yaml(document: dict[str, Any]) -> str:
    header = (
        "# Rendered by `minisoc render`: do not edit, change minisoc.yaml and render again.\n"
        "# Secrets are not in this file: compose reads them from .env and secrets/ (mode 0600).\n"
    )
    body = yaml.dump(document, Dumper=_NoAliasDumper, sort_keys=True, default_flow_style=False, width=1000)
    return header + body
