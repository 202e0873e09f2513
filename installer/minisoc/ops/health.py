"""Per-service health as `verify` checks it: containers, OpenSearch cluster, MISP API, correlator /healthz."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from minisoc.errors import MinisocError
from minisoc.ops.access import Site
from minisoc.ops.checks import Check


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
    started = time.monotonic()
    try:
        health = site.opensearch().ok("GET", "/_cluster/health")
    except MinisocError as error:
        return timed("opensearch cluster", started, False, error.message, "`minisoc logs opensearch`")
    color = str((health or {}).get("status", "unknown"))
    return timed(
        "opensearch cluster",
        started,
        color in {"green", "yellow"},
        f"cluster health {color}",
        "a red cluster has unassigned primary shards: check disk space and `minisoc logs opensearch`",
    )


def correlator_check(site: Site) -> Check:
    started = time.monotonic()
    url = site.correlator_url() + "/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - http://127.0.0.1 from the profile
            body = json.loads(response.read() or b"{}")
            return timed(
                "correlator /healthz", started, True, f"HTTP {response.status} {body.get('status', '')}"
            )
    except urllib.error.HTTPError as error:
        return timed(
            "correlator /healthz",
            started,
            False,
            f"HTTP {error.code}",
            "a component is unhealthy: `curl " + url + "` shows which; `minisoc logs correlator`",
        )
    except (OSError, ValueError) as error:
        return timed(
            "correlator /healthz",
            started,
            False,
            f"no answer ({error.__class__.__name__})",
            "`minisoc logs correlator`",
        )


def misp_check(site: Site, url: str, key: str) -> Check:
    started = time.monotonic()
    from minisoc.ops.misp_provision import misp_client

    try:
        version = misp_client(url, key, site.profile.intel.misp.verify_tls).misp_instance_version
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
