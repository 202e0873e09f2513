"""`minisoc lab reset`: the argv it runs (pure), the folders it restores, and MISP back to the lab's start
against the fake MISP (held to a real MISP's recorded answers): events made after `lab up` recorded the
start are deleted with their sightings, the start's events are kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lab_support import NOW, make_lab

from fakes.misp_server import FakeMispServer
from minisoc.compose.argv import rm_args
from minisoc.lab import copies
from minisoc.lab.misp_baseline import (
    BASELINE_STATE_KEY,
    events_after,
    read_baseline,
    record_baseline,
    reset_to_baseline,
    with_baseline,
)
from minisoc.lab.reset import (
    clear_folder,
    lab_template,
    reset_index_patterns,
    run_misp_reset,
    volume_name,
    volume_rm_argv,
)
from minisoc.ops import load_site
from minisoc.ops.access import Site
from minisoc.ops.checks import Check, Report
from minisoc.ops.misp_provision import misp_client
from minisoc.ops.samples import install_samples

KEY = "a" * 40


def test_the_argv_of_a_reset() -> None:
    assert rm_args(["correlator"]) == ["rm", "--stop", "--force", "correlator"]
    with pytest.raises(ValueError, match="rm needs a service"):
        rm_args([])
    assert volume_rm_argv(["p_correlator-data"]) == ["docker", "volume", "rm", "--force", "p_correlator-data"]
    with pytest.raises(ValueError, match="at least one volume"):
        volume_rm_argv([])
    compose = {"volumes": {"correlator-data": None}}
    assert volume_name(compose, "proj", "correlator-data") == "proj_correlator-data"
    assert volume_name({"volumes": {"data": {"name": "fixed"}}}, "proj", "data") == "fixed"
    assert reset_index_patterns() == "minisoc-alerts*,zeek-*"


def test_clear_folder_empties_it_but_keeps_it(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    (folder / "scenarios" / "sshguess" / "run-1").mkdir(parents=True)
    (folder / "scenarios" / "sshguess" / "run-1" / "conn.log").write_text("{}\n")
    (folder / "dns.log").write_text("{}\n")
    (folder / "link").symlink_to(tmp_path)  # removed as a link, its target untouched
    assert clear_folder(folder) == 3
    assert folder.is_dir() and list(folder.iterdir()) == [] and tmp_path.is_dir()
    assert clear_folder(tmp_path / "absent") == 0


def test_a_copy_knows_its_template_and_its_sample_data_comes_back(tmp_path: Path) -> None:
    make_lab(tmp_path / "class", 1)
    site = load_site(copies(tmp_path / "class")[0])
    assert lab_template(site.site_dir) == "training-lab"
    assert lab_template(tmp_path) is None
    samples = sorted(path.name for path in site.paths.log_dir.rglob("*") if path.is_file())
    (site.paths.log_dir / "student.log").write_text("{}\n")
    clear_folder(site.paths.log_dir)
    install_samples(site.site_dir, "training-lab", site.profile)
    assert sorted(path.name for path in site.paths.log_dir.rglob("*") if path.is_file()) == samples


@pytest.fixture
def misp_copy(tmp_path: Path) -> Iterator[tuple[Site, FakeMispServer]]:
    make_lab(tmp_path / "class", 1, sets=())  # training-lab as shipped: a local MISP
    site = load_site(copies(tmp_path / "class")[0])
    assert site.profile.runs_local_misp
    with FakeMispServer([], KEY) as misp:
        attribute = {"type": "domain", "value": "start.example", "to_ids": True}
        misp.add_event({"uuid": "5e1a0000-0000-4000-8000-000000000001", "info": "sample at the start",
                        "Attribute": [attribute]})  # fmt: skip
        yield site, misp


def client_for(misp: FakeMispServer) -> Any:
    return lambda site: misp_client(misp.url, KEY, site.profile)


def test_reset_deletes_the_events_made_after_the_start_and_their_sightings(
    misp_copy: tuple[Site, FakeMispServer],
) -> None:
    site, misp = misp_copy
    check = record_baseline(site, NOW, client_for(misp))
    assert check.ok and read_baseline(site) == {"max_event_id": 1, "events": 1, "taken": NOW.isoformat()}
    client = client_for(misp)(site)
    for n in (1, 2):  # a scenario's event and a student's, with a false positive reported on one
        client.add_event({"Event": {"info": f"after {n}", "distribution": 0,
                                    "Attribute": [{"type": "domain", "value": f"after{n}.example"}]}},
                         pythonify=False)  # fmt: skip
    client.direct_call("sightings/add", {"values": ["after1.example"], "type": "1", "source": "student"})
    client.direct_call("sightings/add", {"values": ["start.example"], "type": "0", "source": "correlator"})
    assert len(misp.state.events) == 3 and len(misp.sightings) == 2

    checks = reset_to_baseline(site, client_for(misp))
    assert [c.ok for c in checks] == [True] and "2 event(s)" in checks[0].detail
    assert [event["info"] for event in misp.state.events.values()] == ["sample at the start"]
    # the sighting on the deleted event went with it; one on a start event stays (documented)
    assert [s["source"] for s in misp.sightings] == ["correlator"]
    assert reset_to_baseline(site, client_for(misp))[0].detail.startswith("0 event(s)")


def test_the_first_baseline_is_kept(misp_copy: tuple[Site, FakeMispServer]) -> None:
    site, misp = misp_copy
    record_baseline(site, NOW, client_for(misp))
    client_for(misp)(site).add_event({"Event": {"info": "later"}}, pythonify=False)
    again = record_baseline(site, NOW, client_for(misp))
    assert again.ok and "kept" in again.detail and read_baseline(site)["max_event_id"] == 1  # type: ignore[index]


def test_without_a_baseline_reset_touches_nothing_and_says_how_to_get_one(
    misp_copy: tuple[Site, FakeMispServer],
) -> None:
    site, misp = misp_copy
    client_for(misp)(site).add_event({"Event": {"info": "student"}}, pythonify=False)
    checks = reset_to_baseline(site, client_for(misp))
    assert not checks[0].ok and "lab up" in (checks[0].fix or "")
    assert len(misp.state.events) == 2


def test_an_unreachable_misp_fails_the_baseline_check_not_the_command(
    misp_copy: tuple[Site, FakeMispServer],
) -> None:
    site, _ = misp_copy
    check = record_baseline(site, NOW, lambda s: misp_client("http://127.0.0.1:9", KEY, s.profile))
    assert not check.ok and "MISP's start was not recorded" in check.detail
    assert BASELINE_STATE_KEY not in site.paths.read_state()


def test_up_records_the_baseline_only_for_a_healthy_copy_with_misp(
    misp_copy: tuple[Site, FakeMispServer], tmp_path: Path
) -> None:
    site, misp = misp_copy
    failed = Report("up", [Check("services healthy", False, "opensearch unhealthy")])
    assert with_baseline(failed, site, NOW, client_for(misp)) is failed and read_baseline(site) is None
    passed = with_baseline(Report("up", [Check("services healthy", True, "ok")]), site, NOW, client_for(misp))
    assert [c.name for c in passed.checks] == ["services healthy", "misp baseline"]
    make_lab(tmp_path / "nomisp", 1)
    plain = load_site(copies(tmp_path / "nomisp")[0])
    report = Report("up", [Check("services healthy", True, "ok")])
    assert with_baseline(report, plain, NOW, client_for(misp)) is report


def test_events_after_is_by_id() -> None:
    assert events_after([1, 5, 3, 7], 3) == [5, 7]
    assert events_after([], 0) == []


def test_a_misp_that_fails_the_reset_is_a_failed_check_not_a_stopped_reset(
    misp_copy: tuple[Site, FakeMispServer],
) -> None:
    """reset_copy runs the hook between removing the correlator and starting it again: an error there must
    not leave the copy without its correlator."""
    site, misp = misp_copy
    record_baseline(site, NOW, client_for(misp))
    unreachable = lambda s: misp_client("http://127.0.0.1:9", KEY, s.profile)  # noqa: E731
    checks = run_misp_reset(site, lambda s: reset_to_baseline(s, unreachable))
    assert [(c.name, c.ok) for c in checks] == [("misp", False)]
    assert checks[0].detail.startswith("MISP was not reset: MISP at http://127.0.0.1:9 did not answer")
