"""The values the stack templates see, derived from the profile alone (no clock, no host state)."""

from __future__ import annotations

from typing import Any

from minisoc import __version__
from minisoc.profile.model import Ports, SiteProfile
from minisoc.profile.opensearch_cluster import opensearch_services
from minisoc.profile.resources import cpu_limits, memory_limits_mb
from minisoc.render.correlator_config import (
    CA_FILE,
    INPUT_LOG_DIRS,
    input_dir_in_container,
    site_file_in_container,
)
from minisoc.render.images import LockFile
from minisoc.render.netflow_config import netflow_context
from minisoc.render.opensearch_nodes import local_nodes, node_context, node_urls
from minisoc.render.paths import compose_source
from minisoc.render.secrets import CORRELATOR_FILE_SECRETS, required_secrets
from minisoc.render.security_step import (
    dashboards_mounts,
    misp_mounts,
    opensearch_mounts,
    opensearch_security_settings,
)
from minisoc.render.syslog_receiver import syslog_context
from minisoc.render.zeek_sensor import zeek_context


def template_context(profile: SiteProfile, lock: LockFile) -> dict[str, Any]:
    services = profile.enabled_services()
    tls = profile.security.tls.enabled and "opensearch" in services
    misp_port = profile.ports.misp.port if profile.ports.misp is not None else 443
    nodes = opensearch_services(profile)
    return {
        "version": __version__,
        "project": profile.project_name,
        "site": {"name": profile.site.name, "admin_email": profile.site.admin_email},
        "services": list(services),
        "images": {name: entry.reference for name, entry in lock.images.items()},
        "limits": _limits(profile),
        "ports": _ports(profile),
        "sensor": {"mode": profile.sensor.mode, "interface": profile.sensor.interface},
        "zeek": zeek_context(profile),
        "syslog": syslog_context(profile, tls),
        "netflow": netflow_context(profile),
        "mounts": {
            "log_dir": compose_source(profile.sensor.log_dir),
            **{f"{name}_dir": compose_source(folder) for name, folder in INPUT_LOG_DIRS.items()},
            "local_feed_dir": (
                compose_source(profile.intel.local_feed_dir)
                if profile.intel.local_feed_dir is not None
                else None
            ),
        },
        "tls": tls,
        "opensearch": {
            "heap_mb": profile.opensearch.heap_mb,
            "retention_days": profile.opensearch.retention_days,
        },
        "opensearch_security_settings": opensearch_security_settings(nodes) if tls else {},
        "opensearch_nodes": _opensearch_nodes(profile, tls),
        "opensearch_urls": node_urls(local_nodes(nodes), "https" if tls else "http"),
        "dashboards_extra_mounts": dashboards_mounts() if tls else [],
        "misp_extra_mounts": misp_mounts() if tls and "misp-core" in services else [],
        "misp": {
            "base_url": "https://localhost" + ("" if misp_port == 443 else f":{misp_port}"),
            "sync_servers": bool(profile.intel.misp.sync_servers),
            "db_buffer_pool_mb": max(128, memory_limits_mb(profile).get("misp-db", 512) // 2),
            **misp_sizing(memory_limits_mb(profile).get("misp-core", 1536), int(profile.intel.sync_interval)),
        },
        "correlator_extra_mounts": _correlator_mounts(profile, tls),
        "correlator_secrets": _correlator_secrets(profile),
        "correlator_depends_on": [name for name in ("opensearch", "feedserver") if name in services],
    }


def misp_sizing(core_memory_mb: int, sync_interval_s: int) -> dict[str, int]:
    """misp-docker's workers and PHP memory from misp-core's memory limit (its defaults, 5 workers of each
    kind and 2 GiB per PHP process, assume a big machine), and its feed intervals from the sync interval."""
    return {
        "core_memory_mb": core_memory_mb,
        "workers": max(1, min(5, core_memory_mb // 512)),  # a worker holds ~100-250 MB at work
        "php_memory_mb": max(256, min(2048, core_memory_mb // 2)),
        "feed_interval_s": max(300, sync_interval_s),
    }


def _limits(profile: SiteProfile) -> dict[str, dict[str, Any]]:
    """Memory and CPU limits per compose service: every OpenSearch node gets the `opensearch` ones."""
    cpus = cpu_limits(profile)
    limits: dict[str, dict[str, Any]] = {
        name: {"memory_mb": mb, "cpus": cpus[name]} for name, mb in memory_limits_mb(profile).items()
    }
    for node in opensearch_services(profile):
        limits[node] = limits["opensearch"]
    return limits


def _opensearch_nodes(profile: SiteProfile, tls: bool) -> list[dict[str, Any]]:
    """Every node of this site's cluster, all on the site's compose network; node N is published on the host
    at ports.opensearch.port + N - 1 (the first node at the port itself, as a single-node site always was)."""
    nodes = local_nodes(opensearch_services(profile))
    binding = profile.ports.opensearch
    return [
        node_context(
            node,
            nodes,
            host_port=None if binding is None else binding.port + offset,
            host_ip=None if binding is None else binding.host_address,
            cert_mounts=opensearch_mounts(node.name) if tls else [],
        )
        for offset, node in enumerate(nodes)
    ]


def _ports(profile: SiteProfile) -> dict[str, dict[str, object] | None]:
    ports: dict[str, dict[str, object] | None] = {}
    for key in Ports.model_fields:
        binding = getattr(profile.ports, key)
        ports[key] = None if binding is None else {"port": binding.port, "host_ip": binding.host_address}
    return ports


def _correlator_mounts(profile: SiteProfile, tls: bool) -> list[dict[str, str]]:
    mounts = [
        {"source": compose_source(path), "target": str(site_file_in_container(path))}
        for path in sorted({*profile.intel.intel_files, *profile.intel.warninglists})
    ]
    if tls:
        mounts.append({"source": "./pki/ca.crt", "target": str(CA_FILE)})
    inputs_on = {"syslog": profile.inputs.syslog.enabled, "netflow": profile.inputs.netflow.enabled}
    for name, enabled in inputs_on.items():
        if enabled:  # what the receiver writes, read-only for the correlator (render/correlator_config.py)
            folder = INPUT_LOG_DIRS[name]
            mounts.append({"source": compose_source(folder), "target": str(input_dir_in_container(folder))})
    misp_ca = profile.intel.misp.ca_file
    if profile.intel.misp.enabled and profile.intel.misp.url is not None and misp_ca is not None:
        mounts.append({"source": compose_source(misp_ca), "target": str(site_file_in_container(misp_ca))})
    return mounts


def _correlator_secrets(profile: SiteProfile) -> list[str]:
    if "correlator" not in profile.enabled_services():
        return []
    names = {spec.name for spec in required_secrets(profile)}
    if profile.intel.misp.enabled:
        names.add("misp-automation-key")  # an external MISP's key is provided by the user
    return [spec.name for spec in CORRELATOR_FILE_SECRETS if spec.name in names]
