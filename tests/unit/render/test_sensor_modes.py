"""Sensor modes: what each renders (the compose service and its command, the Zeek scripts) and which
combinations the profile refuses."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from minisoc.errors import ProfileError
from minisoc.profile.checks import check_sensor
from minisoc.profile.load import load_profile
from minisoc.render import render_site
from minisoc.render.zeek_sensor import fanout_id
from render_support import fixed_secret, site_from_template

ZEEK = "/usr/local/zeek/bin/zeek"


def rendered(tmp_path: Path, template: str, *assignments: str) -> tuple[Path, dict[str, object]]:
    site, profile = site_from_template(tmp_path, template, *assignments)
    render_site(site, profile, secrets=fixed_secret)
    return site, yaml.safe_load((site / "compose.yaml").read_text())["services"]


def test_live_runs_one_zeek_on_the_interface_as_the_official_image_needs(tmp_path: Path) -> None:
    site, services = rendered(tmp_path, "small-site")
    zeek = services["zeek"]
    assert isinstance(zeek, dict)
    assert zeek["command"] == [ZEEK, "-C", "-i", "af_packet::eth0", "/etc/minisoc/zeek/local.zeek"]
    assert zeek["network_mode"] == "host" and zeek["cap_add"] == ["NET_RAW", "NET_ADMIN"]
    assert (site / "config/zeek/local.zeek").is_file() and (site / "config/zeek/replay-hold.zeek").is_file()


def test_live_workers_run_one_zeek_cluster_under_zeeks_supervisor(tmp_path: Path) -> None:
    """More than one worker: Zeek's supervisor (`zeek -C -j`) with the rendered cluster script, not N
    standalone Zeeks; the nodes join the site's fanout group, set once in local.zeek (tests/unit/render/
    test_zeek_cluster.py has the layout)."""
    site, services = rendered(tmp_path, "small-site", "sensor.workers=3", "resources.ram_budget_mb=12288")
    zeek = services["zeek"]
    assert isinstance(zeek, dict)
    assert zeek["command"] == [ZEEK, "-C", "-j", "/etc/minisoc/zeek/cluster.zeek"]
    # the supervisor works in the tmpfs; its logger writes the log folder (test_zeek_cluster.py)
    assert zeek["network_mode"] == "host" and zeek["working_dir"] == "/tmp"
    profile = load_profile(site)
    fanout = fanout_id(profile.project_name)
    assert f"redef AF_Packet::fanout_id = {fanout};" in (site / "config/zeek/local.zeek").read_text()
    assert f"fanout group {fanout}" in (site / "config/zeek/cluster.zeek").read_text()


@pytest.mark.parametrize("template", ["first-contact", "training-lab"])
def test_external_has_no_sensor_container_but_the_scripts_replay_uses(tmp_path: Path, template: str) -> None:
    site, services = rendered(tmp_path, template)
    assert "zeek" not in services
    assert (site / "config/zeek/local.zeek").is_file() and (site / "config/zeek/replay-hold.zeek").is_file()


def test_off_renders_no_zeek_at_all(tmp_path: Path) -> None:
    site, services = rendered(tmp_path, "ci", 'sensor.mode="off"')
    assert "zeek" not in services and not (site / "config" / "zeek").exists()


@pytest.mark.parametrize(
    ("assignments", "path"),
    [
        (("sensor.mode=external", "sensor.workers=2"), "sensor.workers"),
        (('sensor.mode="off"', "sensor.workers=4"), "sensor.workers"),
        (("sensor.interface=null",), "sensor.interface"),
    ],
)
def test_bad_sensor_combinations_are_refused_with_path_and_hint(
    tmp_path: Path, assignments: tuple[str, ...], path: str
) -> None:
    with pytest.raises(ProfileError) as caught:
        site_from_template(tmp_path, "small-site", *assignments)
    problems = [p for p in caught.value.problems if p.path == path]
    assert problems and problems[0].hint


def test_one_worker_is_fine_in_every_mode(tmp_path: Path) -> None:
    for mode in ("live", "external", '"off"'):  # quoted: YAML reads a bare off as false
        _, profile = site_from_template(tmp_path / mode.strip('"'), "small-site", f"sensor.mode={mode}")
        assert list(check_sensor(profile)) == []
