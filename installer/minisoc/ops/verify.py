"""`minisoc verify`: health of every service, then a canary indicator must become an alert; then clean up."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from minisoc.compose.runner import wait_until
from minisoc.errors import MinisocError, ReadinessTimeout
from minisoc.ops.access import Site, load_site
from minisoc.ops.canary import Canary, canary_feed_event, canary_log_line, new_canary
from minisoc.ops.checks import Check, Report
from minisoc.ops.feed_dir import publish_event, remove_event
from minisoc.ops.flow_canary import await_flow_alert, canary_flow_address, send_flow_canary
from minisoc.ops.health import health_checks, timed
from minisoc.ops.syslog_canary import syslog_canary
from minisoc.site.layout import ALERTS_INDEX


@dataclass(frozen=True)
class CanaryPath:
    """Where the canary goes in: the local feed folder, or MISP (url, admin key); and the MISP whose API
    health is checked (the local one with the admin key, an external one with the correlator's key)."""

    feed_dir: Path | None
    misp: tuple[str, str] | None
    misp_health: tuple[str, str] | None = None

    @property
    def external_misp(self) -> bool:
        return self.misp is None and self.misp_health is not None


def intel_path(site: Site) -> CanaryPath:
    """The local MISP takes the canary (verify holds its admin key). An external MISP never does: the
    correlator's key there should not publish (sightings only), and a community MISP is no place for a test
    event; the canary then goes through the local feed folder, and the external MISP's API is still
    checked."""
    misp = None
    settings = site.profile.intel.misp
    if site.profile.runs_local_misp and site.profile.ports.misp is not None:
        misp = (f"https://127.0.0.1:{site.profile.ports.misp.port}", site.read_secret("misp-admin-key"))
    external = None
    if settings.enabled and settings.url is not None:
        external = (str(settings.url), site.read_secret("misp-automation-key"))
    feed_dir = site.paths.local_feed_dir if "feedserver" in site.services else None
    return CanaryPath(feed_dir=None if misp else feed_dir, misp=misp, misp_health=misp or external)


def no_canary_path_hint(site: Site) -> str:
    """What to change when the canary has nowhere to go."""
    settings = site.profile.intel.misp
    if settings.enabled and settings.url is not None:
        return ("set intel.local_feed_dir: verify does not publish to an external MISP "
                "(intel.misp.url), the canary needs the local feed folder")
    if settings.enabled:
        return "set ports.misp (the local MISP takes the canary through its API), or intel.local_feed_dir"
    return "set intel.local_feed_dir, or enable MISP (intel.misp.enabled: true)"


def find_alerts(site: Site, canary: Canary) -> list[dict[str, Any]]:
    query = {"size": 10, "query": {"term": {"zeek.uid": canary.uid}}}
    status, body = site.opensearch(timeout_s=5).request("POST", f"/{ALERTS_INDEX}*/_search", query)
    if status != 200 or not isinstance(body, dict):
        return []
    hits: list[dict[str, Any]] = body.get("hits", {}).get("hits", [])
    return hits


def publish_canary(site: Site, path: CanaryPath, canary: Canary, now: datetime) -> Check:
    started = time.monotonic()
    if path.misp is not None:
        from minisoc.ops.misp_canary import publish_misp_canary

        publish_misp_canary(site, path.misp, canary)
        return timed("canary published", started, True, f"MISP event with domain {canary.domain}")
    if path.feed_dir is None:
        return timed(
            "canary published",
            started,
            False,
            "no intel path: neither MISP nor a local feed folder",
            no_canary_path_hint(site),
        )
    flow_address = canary_flow_address(canary) if "netflow" in site.services else None
    event, manifest, hashes = canary_feed_event(canary, site.profile.site.name, now, flow_address)
    publish_event(path.feed_dir, canary.event_uuid, event, manifest, hashes)
    return timed("canary published", started, True, f"feed event {canary.event_uuid} ({canary.domain})")


def write_log_line(site: Site, canary: Canary, now: datetime) -> Check:
    started = time.monotonic()
    target = site.paths.log_dir / canary.log_file_name
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name("." + target.name)
    partial.write_text(canary_log_line(canary, now), encoding="utf-8")
    partial.chmod(0o644)
    partial.replace(target)
    return timed("canary log line", started, True, f"{target.name} in {site.paths.log_dir}")


def await_alert(site: Site, canary: Canary, published_at: float, timeout_s: float) -> tuple[Check, list[str]]:
    found: list[dict[str, Any]] = []

    def alert_found() -> bool:
        try:
            found[:] = find_alerts(site, canary)
        except MinisocError:
            return False
        return bool(found)

    try:
        wait_until(alert_found, what="canary alert", timeout_s=timeout_s, interval_s=1.0)
    except ReadinessTimeout:
        return Check(
            "canary alert",
            False,
            f"no alert for {canary.domain} after {timeout_s:.0f}s",
            "check `minisoc status` (intel sync age, indicators) and `minisoc logs correlator`",
            seconds=round(time.monotonic() - published_at, 3),
        ), []
    latency = time.monotonic() - published_at
    ids = [f"{hit['_index']}/{hit['_id']}" for hit in found]
    return Check(
        "canary alert", True, f"{len(found)} alert(s) searchable in OpenSearch", seconds=round(latency, 3)
    ), ids


def remove_canary(site: Site, path: CanaryPath, canary: Canary, alert_ids: list[str]) -> Check:
    started = time.monotonic()
    problems = []
    try:
        if path.feed_dir is not None:
            remove_event(path.feed_dir, canary.event_uuid)
        if path.misp is not None:
            from minisoc.ops.misp_canary import remove_misp_canary

            remove_misp_canary(site, path.misp, canary)
    except (OSError, MinisocError) as error:
        problems.append(f"intel: {error}")
    (site.paths.log_dir / canary.log_file_name).unlink(missing_ok=True)
    client = site.opensearch(timeout_s=10)
    for alert in alert_ids:
        index, _, doc_id = alert.partition("/")
        status, _ = client.request("DELETE", f"/{index}/_doc/{doc_id}?refresh=true")
        if status not in {200, 404}:
            problems.append(f"alert {doc_id}: HTTP {status}")
    if problems:
        return timed("canary removed", started, False, "; ".join(problems), "remove the canary by hand")
    return timed("canary removed", started, True, "indicator, log file and alert removed")


def run_verify(site_dir: Path, *, alert_timeout_s: float | None = None) -> Report:
    site = load_site(site_dir)
    path = intel_path(site)
    checks = health_checks(site, path.misp_health)
    if all(check.ok or check.warning for check in checks):  # a warning (say, a MISP clock skew) still runs it
        checks += run_canary(site, path, alert_timeout_s)
    else:
        checks.append(
            Check("canary", False, "skipped: a service is not healthy", "fix the failures above first")
        )
    report = Report("verify", checks)
    now = datetime.now(UTC).isoformat()
    state: dict[str, Any] = {"verify_last_run": now, "verify_last_ok": report.ok}
    if report.ok:
        state["verify_last_pass"] = now
        state["verify_canary_latency_s"] = next((c.seconds for c in checks if c.name == "canary alert"), None)
    site.paths.update_state(**state)
    return report


def run_canary(site: Site, path: CanaryPath, alert_timeout_s: float | None) -> list[Check]:
    canary = new_canary()
    now = datetime.now(UTC)
    timeout = alert_timeout_s or max(120.0, 3 * float(site.profile.intel.sync_interval) + 60)
    published_at = time.monotonic()
    checks = [publish_canary(site, path, canary, now)]
    if not checks[-1].ok:
        return checks  # nothing was published, nothing to remove
    if path.external_misp:
        checks.append(Check("canary via MISP", False, "skipped: verify does not publish to an external MISP; "
                            "the canary went through the local feed folder, no sighting is awaited",
                            warning=True))
    alert_ids: list[str] = []
    checks.append(write_log_line(site, canary, now))
    flow_sent = False
    if "netflow" in site.services:  # the canary through the flow collector too (ops/flow_canary.py)
        checks.append(send_flow_canary(site, canary, now))
        flow_sent = checks[-1].ok
    alert, alert_ids = await_alert(site, canary, published_at, timeout)
    checks.append(alert)
    if "syslog" in site.services:  # the same indicator through the syslog receiver (ops/syslog_canary.py)
        syslog_checks, syslog_ids = syslog_canary(site, canary, timeout)
        checks += syslog_checks
        alert_ids += syslog_ids
    if flow_sent:
        flow_alert, flow_ids = await_flow_alert(site, canary, published_at, timeout)
        checks.append(flow_alert)
        alert_ids += flow_ids
    if alert.ok and path.misp is not None:
        from minisoc.ops.misp_canary import await_sighting

        checks.append(await_sighting(site, path.misp, canary, timeout))
    checks.append(remove_canary(site, path, canary, alert_ids))
    return checks
