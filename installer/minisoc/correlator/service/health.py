"""The correlator's /healthz body: the loop, intel, sinks, inputs, log indexing and Kafka partitions."""

from __future__ import annotations

from typing import Any

from minisoc.correlator.service.metrics import ServiceMetrics

# /healthz fails when no loop iteration finished for this many poll intervals (+60 s)
STALE_LOOP_FACTOR = 10.0


def health_report(metrics: ServiceMetrics, *, now: float, poll_interval_s: float, sink_error: str | None,
                  indicators: int, site: str) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 503 when the loop is stuck; `degraded` when a sink or a source has trouble."""
    stale_after = STALE_LOOP_FACTOR * poll_interval_s + 60.0
    with metrics.lock:
        loop_age = now - metrics.last_loop
        sources = {
            name: {
                "state": "ok"
                if state.last_success and not state.last_error
                else ("error" if state.last_error else "pending"),
                "last_error": state.last_error,
                "sync_age_seconds": round(now - state.last_success, 1) if state.last_success else None,
                "indicators": state.indicators,
            }
            for name, state in sorted(metrics.sources.items())
        }
        backlogs = {name: backlog() for name, backlog in metrics.backlogs.items()}
        rejected = dict(metrics.log_docs_rejected)
        stored = dict(metrics.log_docs_stored)
        ignored = dict(sorted(metrics.ignored_files.items()))
        housekeeping_error = metrics.housekeeping_error
    components: dict[str, Any] = {
        "loop": {
            "state": "ok" if loop_age < stale_after else "stuck",
            "last_iteration_age_seconds": round(loop_age, 1),
        },
        "intel": {
            "state": "ok" if all(s["state"] == "ok" for s in sources.values()) else "degraded",
            "indicators": indicators,
            "suppressed_by_warninglist": dict(metrics.suppressed_by_warninglist),
            "sources": sources,
        },
        "sink": {
            # alerts or sightings waiting on disk for their sink (OpenSearch, MISP)
            "state": "buffering"
            if (sink_error or backlogs.get("alerts") or backlogs.get("sightings"))
            else "ok",
            "last_error": sink_error,
            "backlog": backlogs,
        },
    }
    if metrics.inputs:  # syslog, netflow (service.inputs): what `minisoc status` shows per input
        components["inputs"] = {name: state.summary(now)
                                for name, state in sorted(metrics.inputs.items())}
    components["logs"] = {
        # records OpenSearch refused are kept in rejected-logs.jsonl: the log index is not complete
        "state": "incomplete" if rejected else "ok",
        "stored": stored,
        "rejected": rejected,
        "ignored_files": ignored,
        "housekeeping_error": housekeeping_error,  # rotated logs not gzipped/pruned, and why
    }
    if metrics.consumer is not None:  # Kafka mode: the partitions this replica owns, and their lag
        kafka = metrics.consumer()
        components["kafka"] = {"state": "ok" if kafka.get("partitions") else "unassigned", **kafka}
    if components["loop"]["state"] != "ok":
        status, code = "failing", 503
    elif any(components[name]["state"] != "ok" for name in ("intel", "sink", "logs")):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return code, {"status": status, "site": site, "components": components}
