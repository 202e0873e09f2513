"""`--host` at the CLI edge: refused on a single-host site and for an unknown host (exit 2, one line with a
hint), and `plan`/`doctor` of a distributed site say which host runs what."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_support import run_json
from minisoc.cli.main import main
from minisoc.ops.doctor_hosts import check_share
from minisoc.profile.create import create_profile
from minisoc.render.host_shares import host_shares


def _site(tmp_path: Path, template: str, *assignments: str) -> Path:
    site = tmp_path / template
    create_profile(site, template, list(assignments))
    return site


@pytest.mark.parametrize("command", ["up", "down", "status"])
def test_host_on_a_single_site_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    site = _site(tmp_path, "ci")
    assert main([command, str(site), "--host", "hub1"]) == 2
    err = capsys.readouterr().err
    assert "error: --host: this site is single-host (site.topology: single); hint: run the command without " \
        "--host" in err


@pytest.mark.parametrize("command", ["up", "down", "status", "doctor"])
def test_an_unknown_host_is_named_with_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    site = _site(tmp_path, "distributed-ci")
    assert main([command, str(site), "--host", "hub9"]) == 2
    assert "error: --host hub9: no such host in hosts:; hint: use one of sensor1, hub1, storage1" in (
        capsys.readouterr().err
    )


def test_plan_lists_each_hosts_share_and_what_is_pending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(tmp_path, "distributed")
    plan = run_json(["plan", str(site), "--json"], capsys)
    assert isinstance(plan, dict)
    notes = plan["notes"]
    assert any(n.startswith("host storage1 (storage1.soc.example.org; storage): opensearch, dashboards; ")
               and "ports 9200/tcp, 5601/tcp" in n for n in notes), notes
    assert "host storage2 (storage2.soc.example.org; storage): nothing placed; 0 MB of 32 GB, 0.0 CPUs; " \
        "ports none" in notes
    assert not any("not rendered yet" in n for n in notes)  # kafka and the shipper are rendered
    paths = {change["path"] for change in plan["changes"]}
    assert "hosts/sensor1/compose.yaml" in paths and "hosts/sensor1/pki/syslog.key" in paths
    assert "compose.yaml" not in paths and "pki/ca.key" in paths
    assert not (site / "hosts").exists()  # plan wrote nothing


def test_a_host_short_of_ram_fails_its_share_check(tmp_path: Path) -> None:
    from minisoc.profile.load import load_profile

    site = _site(tmp_path, "distributed", "opensearch.heap_mb=16384", "resources.ram_budget_mb=65536")
    shares = {share.host.name: share for share in host_shares(load_profile(site))}
    storage = check_share(shares["storage1"])
    assert not storage.ok and "33536 MB of limits on 32 GB of RAM" in storage.detail
    assert storage.fix is not None and "add hosts of its roles (storage)" in storage.fix
    assert check_share(shares["hub1"]).ok


def test_up_without_host_names_the_hosts_and_down_stops_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _site(tmp_path, "distributed-ci")
    assert main(["up", str(site)]) == 2
    err = capsys.readouterr().err
    assert "a distributed site is brought up host by host; hint: run `minisoc up" in err
    assert "--host NAME` for each of: sensor1 hub1 storage1" in err
    down = run_json(["down", str(site), "--json"], capsys)
    assert isinstance(down, dict)
    assert [c["detail"] for c in down["checks"]] == ["nothing to stop: the host is not rendered"] * 3


def test_up_host_refuses_a_capped_cluster_before_making_the_link_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CI sandbox's engine (hard nofile 20000) cannot run 3 OpenSearch nodes: the refusal comes before
    `up --host` makes anything on the engine (the link network once was left behind)."""
    import minisoc.ops.engine_limits
    import minisoc.ops.hosts

    made: list[str] = []
    monkeypatch.setattr(minisoc.ops.engine_limits, "engine_nofile_limit", lambda image: 20000)
    monkeypatch.setattr(minisoc.ops.hosts, "ensure_link_network", lambda site: made.append("link"))
    site = _site(tmp_path, "distributed-ci", "opensearch.nodes=3")
    assert main(["up", str(site), "--host", "storage1"]) != 0
    err = capsys.readouterr().err
    assert "opensearch.nodes: the engine caps containers at 20000 open files" in err
    assert "hint: raise dockerd's LimitNOFILE" in err and "Traceback" not in err
    assert made == []
