"""status / verify / doctor on an OpenSearch cluster: the decisions over /_cluster/health and the engine's
open-files limit (pure functions; the 3-node e2e test drives the real cluster)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
import yaml

from minisoc.errors import ServiceError
from minisoc.ops.access import Site
from minisoc.ops.opensearch_cluster import (
    CLUSTER_NOFILE,
    check_cluster_nofile,
    cluster_lines,
    judge_cluster,
    refuse_capped_cluster,
)
from minisoc.profile.model import SiteProfile


def cluster(status: str, nodes: int, expected: int = 3, unassigned: int = 0) -> dict[str, Any]:
    return {"available": True, "status": status, "nodes": nodes, "expected_nodes": expected,
            "unassigned_shards": unassigned}


def test_every_node_green_or_yellow_passes() -> None:
    assert judge_cluster(cluster("green", 3)).ok
    assert judge_cluster(cluster("yellow", 1, expected=1)).ok  # a single node with 1-replica system indices
    assert judge_cluster(cluster("green", 3)).detail == "cluster health green, 3/3 node(s)"


def test_a_missing_node_is_a_warning_and_red_fails() -> None:
    missing = judge_cluster(cluster("yellow", 2))
    assert not missing.ok and missing.warning and "2/3" in missing.detail and missing.fix
    red = judge_cluster(cluster("red", 3))
    assert not red.ok and not red.warning and "unassigned primary" in (red.fix or "")
    down = judge_cluster({"available": False, "error": "OpenSearch at x does not answer"})
    assert not down.ok and not down.warning and down.detail == "OpenSearch at x does not answer"


def test_status_line_names_health_nodes_and_unassigned_shards() -> None:
    assert cluster_lines(cluster("yellow", 2, unassigned=4)) == [
        "opensearch cluster: yellow, 2/3 node(s), 4 unassigned shard(s)"]
    assert cluster_lines(cluster("green", 3)) == ["opensearch cluster: green, 3/3 node(s)"]
    assert cluster_lines({"available": False, "error": "no answer"}) == ["opensearch cluster: no answer"]


def test_engine_open_files_limit_for_a_cluster() -> None:
    low = check_cluster_nofile(3, 20000)
    assert not low.ok and not low.warning and "20000" in low.detail and "LimitNOFILE" in (low.fix or "")
    assert check_cluster_nofile(3, CLUSTER_NOFILE).ok
    unknown = check_cluster_nofile(3, None)
    assert not unknown.ok and unknown.warning


def test_up_refuses_a_cluster_the_engine_caps(tmp_path: Path) -> None:
    profile = SiteProfile.model_validate({
        "site": {"name": "lab", "admin_email": "soc@example.org"}, "opensearch": {"nodes": 3},
        "resources": {"ram_budget_mb": 16384}})  # fmt: skip
    site = cast(Site, SimpleNamespace(profile=profile))
    override = tmp_path / "compose.engine-limits.yaml"
    override.write_text(yaml.safe_dump({"services": {
        name: {"ulimits": {"nofile": {"soft": 20000, "hard": 20000}}} for name in ("opensearch-2", "zeek")}}))
    with pytest.raises(ServiceError, match="caps containers at 20000 open files") as refused:
        refuse_capped_cluster(site, override)
    assert refused.value.hint and "LimitNOFILE" in refused.value.hint
    refuse_capped_cluster(site, None)  # nothing lowered: nothing to say
    single = cast(Site, SimpleNamespace(profile=profile.model_copy(
        update={"opensearch": profile.opensearch.model_copy(update={"nodes": 1})})))
    refuse_capped_cluster(single, override)  # one node only warns about the limit
