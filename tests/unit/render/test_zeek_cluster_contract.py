"""The rendered supervisor script against upstream Zeek's own definitions, recorded with their sources in
tests/data/zeek8-cluster.json (Supervisor::NodeConfig / ClusterEndpoint fields, Cluster roles, the logger's
rotation under the Supervisor, where intel files are read). No Zeek can run here: if a field or role the
script uses is not in the record, Zeek 8 would refuse the script at start, and this test fails first."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from minisoc.correlator.zeek.names import ARCHIVER_NAME, ARCHIVER_QUEUE_DIR
from minisoc.render import render_site
from render_support import fixed_secret, site_from_template

ROOT = Path(__file__).resolve().parents[3]
FACTS = json.loads((ROOT / "tests" / "data" / "zeek8-cluster.json").read_text())
API = FACTS["supervisor_api"]


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    site, profile = site_from_template(
        tmp_path_factory.mktemp("cluster"), "small-site", "sensor.workers=3", "resources.ram_budget_mb=12288"
    )
    render_site(site, profile, secrets=fixed_secret)
    return (site / "config/zeek/cluster.zeek").read_text(), (site / "config/zeek/local.zeek").read_text()


def record_fields(text: str, record: str) -> set[str]:
    """Field names given to `Supervisor::<record>($a=..., $b=...)` constructors, and `x$field` assignments."""
    found: set[str] = set()
    for match in re.finditer(rf"Supervisor::{record}\(([^;]*?)\);", text, re.DOTALL):
        found |= set(re.findall(r"\$(\w+)=", match.group(1)))
    return found


def test_the_facts_name_their_sources_and_the_pinned_image() -> None:
    images = (ROOT / "stacks" / "images.yaml").read_text()
    assert f"zeek: {FACTS['zeek_image']}" in images
    for section in (API, FACTS["logger_rotation"], FACTS["intel_in_cluster"], FACTS["af_packet"]):
        assert re.search(r"(zeek/zeek|docs\.zeek\.org)", section["source"]), section


def test_cluster_endpoints_use_only_upstream_fields_and_roles(scripts: tuple[str, str]) -> None:
    cluster, _ = scripts
    used = record_fields(cluster, "ClusterEndpoint")
    assert used == {"role", "host", "p", "interface"}
    assert used <= set(API["cluster_endpoint_fields"])
    roles = set(re.findall(r"\$role=Supervisor::(\w+)", cluster))
    assert roles == {"MANAGER", "LOGGER", "PROXY", "WORKER"} <= set(API["cluster_roles"])


def test_node_configs_use_upstream_fields_not_the_removed_scripts_field(scripts: tuple[str, str]) -> None:
    cluster, _ = scripts
    used = record_fields(cluster, "NodeConfig") | set(re.findall(r"\bsn\$(\w+)\s*=", cluster))
    assert used == {"name", "cluster", "directory", "addl_user_scripts", "interface"}
    assert used <= set(API["node_config_fields"])
    assert "$scripts=" not in cluster  # NodeConfig$scripts: deprecated, "Remove in 6.1"
    assert '$addl_user_scripts=vector("/etc/minisoc/zeek/local.zeek")' in cluster


def test_only_upstream_supervisor_functions_are_called_and_failures_stop_the_supervisor(
    scripts: tuple[str, str],
) -> None:
    cluster, _ = scripts
    called = set(re.findall(r"Supervisor::(\w+)\(", cluster)) - {"ClusterEndpoint", "NodeConfig"}
    assert called == {"is_supervisor", "create"}
    assert {f"Supervisor::{c}" for c in called} <= set(API["functions"])
    # create() returns "" on success, else the error: a node that cannot be created must not pass unseen
    assert 'if ( res != "" )' in cluster and "Reporter::fatal" in cluster


def test_broker_listens_on_loopback_only_and_no_other_backend_is_loaded(scripts: tuple[str, str]) -> None:
    cluster, local = scripts
    hosts = set(re.findall(r"\$host=([^,)]+)", cluster))
    assert hosts == {"127.0.0.1"}
    # nodes listen on Broker::default_listen_address, not on their $host: unset, that is every address
    listen = FACTS["supervisor_behaviour"]["broker_listen_address"]["redef"]
    assert f'redef {listen} = "127.0.0.1";' in cluster
    backend = FACTS["supervisor_behaviour"]["default_backend_broker"]
    assert f'@load {backend["can_load_from"]}\n@if ( can_load("{backend["load_if_present"]}") )' in cluster
    assert "zeromq" not in (cluster + local).lower()  # Broker stays the backend: the rendered ports are its
    assert "SupervisorControl::enable_listen" not in cluster  # upstream default F: no supervisor port


def test_the_logger_writes_the_log_folder_rotating_where_the_tailer_looks(scripts: tuple[str, str]) -> None:
    cluster, local = scripts
    assert '["logger"] = "/logs/zeek"' in cluster
    rotation = FACTS["logger_rotation"]["when_supervised"]
    assert rotation["Log::default_rotation_dir"] == ARCHIVER_QUEUE_DIR
    assert "default_rotation_dir" not in local and "rotation_format_func" not in local  # upstream's stand
    assert all(ARCHIVER_NAME.match(name) for name in FACTS["logger_rotation"]["example_names"])


def test_intel_is_read_where_upstream_reads_it_in_a_cluster(scripts: tuple[str, str]) -> None:
    """Every node loads local.zeek with its Intel::read_files; Zeek reads them on the manager only and
    distributes the items, so the supervisor script itself adds no intel reading of its own."""
    cluster, local = scripts
    assert "Cluster::local_node_type() == Cluster::MANAGER" in FACTS["intel_in_cluster"]["fact"]
    assert 'redef Intel::read_files += { "/intel/minisoc.intel" };' in local
    assert "Intel::" not in cluster


def test_cluster_script_loads_what_zeek_8_has_and_the_backend_if_present(scripts: tuple[str, str]) -> None:
    """Unconditional @loads must be in tests/data/zeek8-scripts.txt (checked against Zeek 8.0's scripts/);
    the Broker backend script exists from Zeek 8.1 on, so it is loaded only under can_load()."""
    cluster, _ = scripts
    known = {
        line.split("\t")[0]
        for line in (ROOT / "tests" / "data" / "zeek8-scripts.txt").read_text().splitlines()
        if line and not line.startswith("#")
    }
    guarded = re.findall(r'@if \( can_load\("([^"]+)"\) \)\n@load (\S+)\n@endif', cluster)
    assert guarded == [("policy/frameworks/cluster/backend/broker",) * 2]
    unconditional = set(re.findall(r"^@load (\S+)$", cluster, re.MULTILINE)) - {guarded[0][1]}
    assert unconditional == {"base/utils/packages"} and unconditional <= known


def test_workers_share_the_sites_own_fanout_group(scripts: tuple[str, str]) -> None:
    cluster, local = scripts
    pattern = r"^redef (AF_Packet::\w+) = (?:AF_Packet::)?(\w+);$"
    redefs = dict(re.findall(pattern, cluster + local, re.MULTILINE))
    assert set(redefs) == {"AF_Packet::enable_fanout", "AF_Packet::fanout_mode", "AF_Packet::fanout_id"}
    assert set(redefs) <= set(FACTS["af_packet"]["options"])
    assert redefs["AF_Packet::fanout_mode"] in FACTS["af_packet"]["fanout_modes"]
    match = re.search(r"^redef AF_Packet::fanout_id = (\d+);$", local, re.MULTILINE)
    assert match is not None and int(match.group(1)) != 23  # upstream's default group
    assert cluster.count('$interface="af_packet::eth0"') == 3
