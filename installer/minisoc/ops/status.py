"""`minisoc status`: per-service state and health, intel freshness, alert counts, where to drop data."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from minisoc.errors import MinisocError, UsageError
from minisoc.ops.access import Site, load_site
from minisoc.ops.input_status import input_lines, input_summaries
from minisoc.ops.netflow_status import collector_lines, collector_status, udp_drops
from minisoc.ops.opensearch_cluster import cluster_lines, cluster_status
from minisoc.ops.prometheus import Sample, by_label, parse_metrics, total
from minisoc.ops.sensor_status import sensor_lines, sensor_status
from minisoc.ops.syslog_receiver_status import receiver_lines, receiver_status
from minisoc.profile.opensearch_cluster import opensearch_services
from minisoc.render.netflow_config import CONTAINER_PORT
from minisoc.site.layout import ALERTS_INDEX, NETFLOW_LOG_DIR, SYSLOG_LOG_DIR


def fetch_text(url: str, timeout_s: float = 5.0) -> str:
    if not url.startswith("http://"):
        raise ValueError(f"unexpected URL {url!r}")
    with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - http on 127.0.0.1
        body: bytes = response.read()
        return body.decode("utf-8", errors="replace")


def service_states(site: Site) -> list[dict[str, Any]]:
    running = {state.service: state for state in site.project().ps()}
    rows = []
    for service in site.services:
        state = running.get(service)
        rows.append(
            {
                "service": service,
                "state": state.state if state else "absent",
                "health": (state.health or "none") if state else "none",
                "ready": bool(state and state.ready),
            }
        )
    return rows


def intel_status(site: Site) -> dict[str, Any]:
    try:
        samples = parse_metrics(fetch_text(site.correlator_url() + "/metrics"))
    except (OSError, ValueError, MinisocError) as error:
        return {
            "available": False,
            "error": f"correlator /metrics does not answer ({error.__class__.__name__})",
        }
    ages = by_label(samples, "minisoc_intel_sync_age_seconds", "source")
    known = [age for age in ages.values() if age >= 0]
    return {
        "available": True,
        "indicators": int(total(samples, "minisoc_indicators")),
        "indicators_by_type": {k: int(v) for k, v in by_label(samples, "minisoc_indicators", "type").items()},
        "sync_age_s": {source: (round(age, 1) if age >= 0 else None) for source, age in sorted(ages.items())},
        "oldest_sync_age_s": round(max(known), 1) if known else None,
        "sync_ok": {k: bool(v) for k, v in by_label(samples, "minisoc_intel_sync_ok", "source").items()},
        "alerts_raised": int(total(samples, "minisoc_alerts_total")),
        "sink_backlog": int(total(samples, "minisoc_sink_backlog")),
        **sources_and_housekeeping(site),
        "sightings": {k: int(v) for k, v in by_label(samples, "minisoc_sightings_total", "outcome").items()},
        "log_storage": log_storage(samples),
        "zeek_intel_export": {
            "items": int(total(samples, "minisoc_zeek_intel_exported")),
            "left_out_by_budget": int(total(samples, "minisoc_zeek_intel_left_out")),
        },
        "rotated_logs": {
            k: int(v) for k, v in by_label(samples, "minisoc_rotated_logs_total", "action").items()
        },
    }


def log_storage(samples: list[Sample]) -> dict[str, Any]:
    """What the log index misses: records OpenSearch refused (per log type), files the tailer ignores."""
    rejected = by_label(samples, "minisoc_log_documents_rejected_total", "log_type")
    ignored = by_label(samples, "minisoc_log_files_ignored", "reason")
    return {
        "records_rejected": {k: int(v) for k, v in sorted(rejected.items()) if v},
        "files_ignored": {k: int(v) for k, v in sorted(ignored.items()) if v},
    }


def log_storage_lines(storage: dict[str, Any]) -> list[str]:
    lines = []
    rejected: dict[str, int] = storage.get("records_rejected") or {}
    if rejected:
        per_type = ", ".join(f"{log_type} {n}" for log_type, n in rejected.items())
        lines.append(f"log storage: {sum(rejected.values())} record(s) refused by OpenSearch ({per_type}); "
                     "kept in the correlator state's rejected-logs.jsonl")
    ignored: dict[str, int] = storage.get("files_ignored") or {}
    if ignored:
        reasons = ", ".join(f"{n} {reason}" for reason, n in ignored.items())
        lines.append(f"log files ignored: {sum(ignored.values())} ({reasons}); the correlator's /healthz "
                     "lists them (components.logs.ignored_files)")
    return lines


def export_lines(intel: dict[str, Any]) -> list[str]:
    """The Zeek intel export's size (and what the budget left out) and the rotated logs handled."""
    lines = []
    export = intel.get("zeek_intel_export")
    if export:
        left_out = export.get("left_out_by_budget") or 0
        budget = f", {left_out} left out by sensor.zeek_intel.max_items" if left_out else ""
        lines.append(f"zeek intel export: {export.get('items', 0)} items{budget}")
    rotated = intel.get("rotated_logs") or {}
    if any(rotated.values()):
        lines.append(f"rotated logs: {rotated.get('gzipped', 0)} gzipped, {rotated.get('deleted', 0)} "
                     "deleted past retention (since the correlator started)")
    if intel.get("housekeeping_error"):
        error = intel["housekeeping_error"]
        lines.append(f"rotated logs: not gzipped or pruned: {error} (docs/operations.md, Retention: the "
                     "correlator must be able to write the log folder)")
    return lines


SOURCE_KEYS = ("state", "indicators", "last_error", "sync_age_seconds")


def sources_and_housekeeping(site: Site) -> dict[str, Any]:
    """From the correlator's /healthz: per intel source its state, indicators and last error (a MISP that
    does not answer is named here with its error, not hidden behind the other sources' indicator count), and
    why the rotated logs were not gzipped or pruned, if so. `sources`: None when /healthz does not answer."""
    try:
        body = json.loads(fetch_text(site.correlator_url() + "/healthz"))
    except urllib.error.HTTPError as error:  # 503 (loop stuck) still carries the body
        body = json.loads(error.read() or b"{}")
    except (OSError, ValueError, MinisocError):
        return {"sources": None, "housekeeping_error": None, "inputs": {}}
    components = body.get("components", {}) if isinstance(body, dict) else {}
    sources = components.get("intel", {}).get("sources", {})
    return {
        "sources": {
            str(name): {key: info.get(key) for key in SOURCE_KEYS}
            for name, info in sorted(sources.items())
            if isinstance(info, dict)
        },
        "housekeeping_error": components.get("logs", {}).get("housekeeping_error"),
        "inputs": input_summaries(components),  # syslog, netflow (ops.input_status)
    }


def failing_sources(status: dict[str, Any]) -> dict[str, str]:
    """Source name -> its last error, for every intel source whose last sync failed."""
    sources = (status.get("intel") or {}).get("sources") or {}
    return {name: str(info["last_error"]) for name, info in sources.items() if info.get("state") == "error"}


def parse_time(value: object) -> datetime | None:
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def alerts_status(site: Site, index: str = ALERTS_INDEX) -> dict[str, Any]:
    try:
        client = site.opensearch(timeout_s=5)
        status, counted = client.request("GET", f"/{index}/_count")
        if status == 404:
            return {"available": True, "count": 0, "newest_age_s": None}
        if status != 200 or not isinstance(counted, dict):
            return {"available": False, "error": f"OpenSearch answered HTTP {status}"}
        newest = client.ok(
            "POST",
            f"/{index}/_search",
            {
                "size": 1,
                "_source": ["event.created", "@timestamp"],
                "sort": [{"event.created": {"order": "desc", "unmapped_type": "date"}}],
            },
        )
    except MinisocError as error:
        return {"available": False, "error": error.message}
    hits = (newest or {}).get("hits", {}).get("hits", [])
    created = None
    if hits:
        source = hits[0].get("_source", {})
        created = parse_time((source.get("event") or {}).get("created") or source.get("@timestamp"))
    age = round((datetime.now(UTC) - created).total_seconds(), 1) if created else None
    return {"available": True, "count": int(counted.get("count", 0)), "newest_age_s": age}


def site_status(site_dir: Path) -> dict[str, Any]:
    """The status document (`--json` prints it as is); an unrendered site is an error, not a site at rest."""
    site = load_site(site_dir)
    if not site.paths.is_rendered():
        raise UsageError(
            f"{site.paths.compose_file}: the site is not rendered, so it has no services to show",
            f"run `minisoc render {site_dir}` (or `minisoc up {site_dir}`) first",
        )
    state = site.paths.read_state()
    services = service_states(site)
    result: dict[str, Any] = {
        "site": site.profile.site.name,
        "project": site.profile.project_name,
        "rendered": site.paths.is_rendered(),
        "services": services,
        "paths": {
            "sensor.log_dir": str(site.paths.log_dir),
            "intel.local_feed_dir": str(site.paths.local_feed_dir) if site.paths.local_feed_dir else None,
        },
        "verify": {
            "last_pass": state.get("verify_last_pass"),
            "last_run": state.get("verify_last_run"),
            "last_ok": state.get("verify_last_ok"),
        },
        "checked_at": datetime.now(UTC).isoformat(),
    }
    running = {row["service"] for row in services if row["state"] == "running"}
    if "correlator" in running:
        result["intel"] = intel_status(site)
    if running.intersection(opensearch_services(site.profile)):  # any node answers for the cluster
        result["opensearch"] = cluster_status(site)
        result["alerts"] = alerts_status(site)
    result["sensor"] = sensor_status(site.profile.sensor, site.paths.log_dir, datetime.now(UTC).timestamp())
    if site.profile.inputs.syslog.enabled:  # what rsyslog wrote; the correlator's side is intel.inputs
        result["syslog_receiver"] = receiver_status(site.paths.site_dir / SYSLOG_LOG_DIR, datetime.now(UTC))
    if "netflow" in site.services:
        result["netflow"] = netflow_status(site, "netflow" in running)
    result["all_ready"] = (
        bool(services) and all(row["ready"] for row in services) and not failing_sources(result)
    )
    return result


def netflow_status(site: Site, running: bool) -> dict[str, Any]:
    """The flow collector's own output and socket (ops/netflow_status.py)."""
    flow_dir = site.paths.site_dir.joinpath(*NETFLOW_LOG_DIR.parts)
    result = collector_status(flow_dir, datetime.now(UTC).timestamp())
    result["socket_drops"] = None
    if running:
        try:
            done = site.project().run("exec", "-T", "netflow", "cat", "/proc/net/udp", "/proc/net/udp6",
                                      timeout_s=15)
            result["socket_drops"] = udp_drops(done.stdout, CONTAINER_PORT)
        except MinisocError:
            pass  # left out, not guessed
    return result


def status_lines(status: dict[str, Any]) -> list[str]:
    lines = [f"site {status['site']} (compose project {status['project']})"]
    for row in status["services"]:
        lines.append(f"  {row['service']:14} {row['state']:10} health={row['health']}")
    intel = status.get("intel")
    if intel:
        if intel.get("available"):
            oldest = intel["oldest_sync_age_s"]
            synced = f"oldest sync {oldest}s ago" if oldest is not None else "not synced yet"
            lines.append(f"intel: {intel['indicators']} indicators, {synced}")
            for name, info in (intel.get("sources") or {}).items():
                error = f": {info['last_error']}" if info.get("state") == "error" else ""
                lines.append(f"  {name}: {info.get('state')}, {info.get('indicators')} indicators{error}")
            sightings = intel.get("sightings") or {}
            if sightings:
                lines.append(
                    f"sightings: {sightings.get('sent', 0)} sent, {sightings.get('refused', 0)} refused "
                    "by MISP (no such attribute or value there)"
                )
            lines.extend(log_storage_lines(intel.get("log_storage") or {}))
            lines.extend(export_lines(intel))
            lines.extend(input_lines(intel.get("inputs") or {}))
        else:
            lines.append(f"intel: {intel['error']}")
    if status.get("opensearch"):
        lines.extend(cluster_lines(status["opensearch"]))
    alerts = status.get("alerts")
    if alerts:
        if alerts.get("available"):
            newest = alerts["newest_age_s"]
            age = f", newest {newest}s ago" if newest is not None else ""
            lines.append(f"alerts: {alerts['count']}{age}")
        else:
            lines.append(f"alerts: {alerts['error']}")
    if status.get("sensor"):
        lines.extend(sensor_lines(status["sensor"]))
    if status.get("syslog_receiver"):
        lines.extend(receiver_lines(status["syslog_receiver"]))
    if status.get("netflow"):
        lines.extend(collector_lines(status["netflow"]))
    for key, value in status["paths"].items():
        lines.append(f"{key}: {value}")
    verify = status["verify"]
    lines.append(f"verify last passed: {verify['last_pass'] or 'never'}")
    return lines
