"""Per-service health as `verify` checks it: containers, OpenSearch cluster, MISP API, correlator /healthz."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from minisoc.errors import MinisocError
from minisoc.ops.access import Site
from minisoc.ops.checks import Check
from minisoc.ops.opensearch_cluster import cluster_check


def timed(name: str, started: float, ok: bool, detail: str, fix: str | None = None) -> Check:
    return Check(name, ok, detail, fix, seconds=round(time.monotonic() - started, 3))


def containers_check(site: Site) -> Check:
    started = time.monotonic()
    try:
        states = {state.service: state for state in site.project().ps()}
    except MinisocError as error:
        return timed("containers", started, False, error.message, "is the engine running? `minisoc doctor`")
    bad = [
        f"{name}: {states[name].state}/{states[name].health or 'no healthcheck'}"
        if name in states
        else f"{name}: absent"
        for name in site.services
        if name not in states or not states[name].ready
    ]
    if bad:
        return timed(
            "containers", started, False, "; ".join(bad), "run `minisoc up`, then `minisoc logs SERVICE`"
        )
    return timed("containers", started, True, f"{len(site.services)} service(s) running and healthy")


def opensearch_check(site: Site) -> Check:
    """Cluster health and node count (ops/opensearch_cluster.py): green or yellow with every node passes."""
    return cluster_check(site)


def health_problems(body: dict[str, Any]) -> tuple[list[str], bool]:
    """What a correlator /healthz body says is wrong, one phrase per component, and whether every problem
    is only a source whose first sync has not finished yet (which waiting can cure)."""
    components = body.get("components")
    if not isinstance(components, dict):
        return ([] if body.get("status") == "ok" else [f"status {body.get('status')!r}"]), False
    problems: list[str] = []
    pending_only = True
    loop = components.get("loop") or {}
    if loop.get("state", "ok") != "ok":
        problems.append(f"loop {loop.get('state')} ({loop.get('last_iteration_age_seconds')} s since it ran)")
        pending_only = False
    sources = (components.get("intel") or {}).get("sources") or {}
    for name, source in sorted(sources.items()):
        state, error = source.get("state"), source.get("last_error")
        if state == "pending":
            problems.append(f"intel source {name}: first sync not finished")
        elif state != "ok":
            problems.append(f"intel source {name}: {error or state}")
            pending_only = False
    sink = components.get("sink") or {}
    if sink.get("state", "ok") != "ok":
        backlog = sum(v for v in (sink.get("backlog") or {}).values() if isinstance(v, int))
        problems.append(f"alert sink {sink.get('state')}: {sink.get('last_error') or 'backlog'} "
                        f"({backlog} waiting)")
        pending_only = False
    if not problems and body.get("status") != "ok":
        problems.append(f"status {body.get('status')!r}")
        pending_only = False
    return problems, pending_only and bool(problems)


def correlator_check(site: Site, first_sync_wait_s: float = 60.0, poll_s: float = 2.0) -> Check:
    """The correlator's /healthz: failed on no answer, HTTP 503 or a `degraded` answer (a source that cannot
    sync, a buffering sink, a stalled loop: the site does not detect what its profile says), after waiting up
    to `first_sync_wait_s` for sources that have not finished their first sync."""
    started = time.monotonic()
    url = site.correlator_url() + "/healthz"
    name = "correlator /healthz"
    hint = f"`curl {url}` shows each component; `minisoc logs correlator`"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - http://127.0.0.1 from the profile
                status, answer = response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return timed(name, started, False, f"HTTP {error.code}", "a component is unhealthy: " + hint)
        except (OSError, ValueError) as error:
            detail = f"no answer ({error.__class__.__name__})"
            return timed(name, started, False, detail, "`minisoc logs correlator`")
        body: dict[str, Any] = answer if isinstance(answer, dict) else {}
        problems, pending_only = health_problems(body)
        if not problems:
            return timed(name, started, True, f"HTTP {status} ok")
        if not pending_only or time.monotonic() - started >= first_sync_wait_s:
            return Check(name, False, f"HTTP {status} {body.get('status', '')}: " + "; ".join(problems), hint,
                         seconds=round(time.monotonic() - started, 3))
        time.sleep(poll_s)


def misp_check(site: Site, url: str, key: str) -> Check:
    started = time.monotonic()
    from minisoc.ops.misp_provision import misp_client

    try:
        version = misp_client(url, key, site.profile, site.misp_ca_file()).misp_instance_version
    except MinisocError as error:
        return timed("misp api", started, False, error.message, "`minisoc logs misp-core`")
    return timed(
        "misp api",
        started,
        "version" in version,
        f"MISP {version.get('version', version)}",
        "the API key was refused: run `minisoc up` to provision it",
    )


def health_checks(site: Site, misp: tuple[str, str] | None) -> list[Check]:
    checks = [containers_check(site)]
    if "opensearch" in site.services:
        checks.append(opensearch_check(site))
    if misp is not None:
        checks.append(misp_check(site, *misp))
    if "correlator" in site.services:
        checks.append(correlator_check(site))
    return checks
