"""The OpenSearch cluster as `status`, `verify` and `doctor` report it: health colour and node count against
`opensearch.nodes`, and, before a cluster first starts, whether the engine lets its nodes start at all.

A node of a cluster (not `discovery.type: single-node`) whose transport is reachable beyond loopback enforces
OpenSearch's bootstrap checks: among them at least 65535 open files. An engine that caps containers lower
(a CI sandbox: 20000; `ops/engine_limits.py` then lowers the rendered ulimits) cannot run a cluster.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

from minisoc.errors import MinisocError, ServiceError
from minisoc.ops.access import Site
from minisoc.ops.checks import Check
from minisoc.profile.opensearch_cluster import opensearch_services

CLUSTER_NOFILE = 65535  # OpenSearch's file-descriptor bootstrap check


def cluster_status(site: Site) -> dict[str, Any]:
    """`/_cluster/health` of the site's OpenSearch, reached through any node that answers."""
    expected = site.profile.opensearch.nodes
    try:
        status, body = site.opensearch(timeout_s=5).request("GET", "/_cluster/health")
    except MinisocError as error:
        return {"available": False, "error": error.message, "expected_nodes": expected}
    if status != 200 or not isinstance(body, dict):
        return {"available": False, "error": f"OpenSearch answered HTTP {status}", "expected_nodes": expected}
    return {
        "available": True,
        "status": str(body.get("status", "unknown")),
        "nodes": int(body.get("number_of_nodes", 0)),
        "expected_nodes": expected,
        "unassigned_shards": int(body.get("unassigned_shards", 0)),
    }


def cluster_lines(cluster: dict[str, Any]) -> list[str]:
    if not cluster.get("available"):
        return [f"opensearch cluster: {cluster.get('error')}"]
    line = f"opensearch cluster: {cluster['status']}, {cluster['nodes']}/{cluster['expected_nodes']} node(s)"
    if cluster["unassigned_shards"]:
        line += f", {cluster['unassigned_shards']} unassigned shard(s)"
    return [line]


def cluster_check(site: Site, name: str = "opensearch cluster") -> Check:
    """Green or yellow with every node: ok; a node missing: a warning naming it (the replicas keep the data
    and writes go on, but one more lost node may lose shards); red or no answer: failed."""
    started = time.monotonic()
    cluster = cluster_status(site)
    return judge_cluster(cluster, name, round(time.monotonic() - started, 3))


def judge_cluster(cluster: dict[str, Any], name: str = "opensearch cluster",
                  seconds: float | None = None) -> Check:
    """`cluster_check`'s decision over a `cluster_status` document."""
    if not cluster["available"]:
        return Check(name, False, cluster["error"], "`minisoc logs opensearch`", seconds=seconds)
    color, nodes, expected = cluster["status"], cluster["nodes"], cluster["expected_nodes"]
    detail = f"cluster health {color}, {nodes}/{expected} node(s)"
    if color == "red" or color not in {"green", "yellow"}:
        return Check(name, False, detail, "a red cluster has unassigned primary shards: check disk space and "
                     "`minisoc logs opensearch`", seconds=seconds)
    if nodes < expected:
        return Check(name, False, detail, "a node is missing: `minisoc status` shows which service is down; "
                     "`minisoc logs opensearch-N`, then `minisoc up`", warning=True, seconds=seconds)
    return Check(name, True, detail, seconds=seconds)


def check_cluster_nofile(nodes: int, engine_limit: int | None) -> Check:
    """doctor: an OpenSearch cluster needs containers allowed 65535 open files (bootstrap check)."""
    name = "opensearch cluster open files"
    if engine_limit is None:
        return Check(name, False, "the engine's open-files limit was not measured (no OpenSearch image yet)",
                     "run `minisoc doctor` again after `minisoc images build` or a pull", warning=True)
    if engine_limit < CLUSTER_NOFILE:
        return Check(
            name, False,
            f"the engine caps containers at {engine_limit} open files; each of the {nodes} OpenSearch nodes "
            f"needs {CLUSTER_NOFILE} (its bootstrap checks refuse to start a cluster node below that)",
            "raise dockerd's LimitNOFILE (systemd: `systemctl edit docker`, LimitNOFILE=1048576), or set "
            "opensearch.nodes: 1",
        )
    return Check(name, True, f"containers may open {engine_limit} files (a node needs {CLUSTER_NOFILE})")


def refuse_capped_cluster(site: Site, override: Path | None) -> None:
    """`up`: a cluster whose nodes the engine caps below 65535 open files (the engine-limits override lowered
    them) would loop on OpenSearch's bootstrap check; say so before starting anything."""
    if override is None or site.profile.opensearch.nodes < 2 or not site.profile.opensearch.enabled:
        return
    nodes = site.profile.opensearch.nodes
    lowered = (yaml.safe_load(override.read_text(encoding="utf-8")) or {}).get("services") or {}
    capped = [lowered[node]["ulimits"]["nofile"]["hard"] for node in opensearch_services(site.profile)
              if node in lowered]
    if capped and min(capped) < CLUSTER_NOFILE:
        check = check_cluster_nofile(nodes, min(capped))
        raise ServiceError(f"opensearch.nodes: {check.detail}", check.fix or "")
