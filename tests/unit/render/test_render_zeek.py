"""The rendered Zeek sensor: what Zeek 8.0 (the zeek/zeek image) really needs and honours."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
import yaml

from minisoc.correlator.export import REFRESH_INTERVAL_S
from minisoc.render import render_site
from minisoc.render.secrets import CORRELATOR_UID
from minisoc.render.zeek_sensor import FANOUT_ID_MIN, fanout_id
from render_support import fixed_secret, site_from_template


def rendered_local_zeek(tmp_path: Path, template: str = "small-site", *assignments: str) -> str:
    site, profile = site_from_template(tmp_path, template, *assignments)
    render_site(site, profile, secrets=fixed_secret)
    return (site / "config" / "zeek" / "local.zeek").read_text()


def test_zeek_expires_intel_items_only_after_two_missed_export_refreshes(tmp_path: Path) -> None:
    text = rendered_local_zeek(tmp_path)
    assert 'redef Intel::read_files += { "/intel/minisoc.intel" };' in text
    match = re.search(r"^redef Intel::item_expiration = (\d+) secs;$", text, re.MULTILINE)
    assert match is not None, "without item_expiration Zeek keeps every item ever exported"
    assert int(match.group(1)) > 2 * REFRESH_INTERVAL_S


ZEEK_SCRIPTS = Path(__file__).parents[2] / "data" / "zeek8-scripts.txt"


def zeek8_scripts() -> dict[str, str]:
    lines = [line.split("\t") for line in ZEEK_SCRIPTS.read_text().splitlines() if not line.startswith("#")]
    return {cells[0]: cells[1] for cells in lines}


def loads(local_zeek: str) -> list[str]:
    return re.findall(r"^@load\s+(\S+)\s*$", local_zeek, re.MULTILINE)


def test_the_script_list_follows_zeeks_load_path_rules() -> None:
    """Each name resolves to its file along ZEEKPATH: share/zeek (base/, policy/...) or share/zeek/policy."""
    scripts = zeek8_scripts()
    assert scripts
    for name, path in scripts.items():
        candidates = {
            f"{prefix}{name}{suffix}" for prefix in ("", "policy/") for suffix in (".zeek", "/__load__.zeek")
        }
        assert path in candidates, name


@pytest.mark.parametrize("template", ["small-site", "reference"])
def test_local_zeek_loads_only_scripts_zeek_8_has(tmp_path: Path, template: str) -> None:
    names = loads(rendered_local_zeek(tmp_path, template))
    assert "base/frameworks/intel" in names
    unknown = [name for name in names if name not in zeek8_scripts()]
    assert unknown == [], f"not in Zeek 8.0's scripts/ (tests/data/zeek8-scripts.txt): {unknown}"


def test_a_restart_rotates_the_last_runs_logs_instead_of_truncating_them(tmp_path: Path) -> None:
    text = rendered_local_zeek(tmp_path)
    assert "redef LogAscii::enable_leftover_log_rotation = T;" in text
    # leftover rotation only acts with a positive rotation interval
    assert re.search(r"^redef Log::default_rotation_interval = [1-9]\d* hrs?;$", text, re.MULTILINE)


def test_each_site_has_its_own_stable_fanout_group(tmp_path: Path) -> None:
    first = rendered_local_zeek(tmp_path / "a")
    again = rendered_local_zeek(tmp_path / "b")
    other = rendered_local_zeek(tmp_path / "c", "small-site", "site.id=oth3r1")
    ids = [int(m.group(1)) for text in (first, again, other)
           for m in [re.search(r"^redef AF_Packet::fanout_id = (\d+);$", text, re.MULTILINE)] if m]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]
    assert all(FANOUT_ID_MIN <= i <= 0xFFFF and i != 23 for i in ids)  # 23: Zeek's default group


def test_fanout_ids_spread_over_the_range() -> None:
    ids = {fanout_id(f"minisoc-site{n}-abc{n:03d}") for n in range(200)}
    assert len(ids) >= 195 and min(ids) >= FANOUT_ID_MIN and max(ids) <= 0xFFFF


def test_zeek_runs_as_the_official_image_needs_without_zeekctl(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    zeek = yaml.safe_load((site / "compose.yaml").read_text())["services"]["zeek"]
    assert zeek["command"][:2] == ["/usr/local/zeek/bin/zeek", "-C"]  # the image's PATH is not a given
    assert zeek["command"][-1] == "/etc/minisoc/zeek/local.zeek"
    assert "entrypoint" not in zeek and "user" not in zeek  # the image: no entrypoint, root
    assert "environment" not in zeek  # nothing reads ZEEK_INTERFACE
    assert not any("node.cfg" in volume["source"] for volume in zeek["volumes"])
    assert not (site / "config" / "zeek" / "node.cfg").exists()  # zeekctl's; a plain `zeek -i` ignores it


def test_zeek_image_is_pinned_at_the_8_0_lts() -> None:
    root = Path(__file__).parents[3]
    default = yaml.safe_load((root / "stacks" / "images.yaml").read_text())["zeek"]
    assert re.fullmatch(r"zeek/zeek:8\.0\.\d+", default)
    # a template that writes its pins out (reference) pins the same Zeek the scripts were checked against
    for template in sorted((root / "templates").glob("*.yaml")):
        pinned = (yaml.safe_load(template.read_text()).get("images") or {}).get("zeek", default)
        assert pinned == default, template.name


def test_the_log_folder_render_creates_for_its_own_zeek_is_writable_by_zeek_and_the_correlator(
    tmp_path: Path,
) -> None:
    """Zeek (root without CAP_DAC_OVERRIDE) writes the logs, the correlator (uid 10001) gzips and prunes the
    rotated ones: a root:root 0755 folder left housekeeping failing with Permission denied."""
    site, profile = site_from_template(tmp_path, "small-site")
    render_site(site, profile, secrets=fixed_secret)
    folder = site / "logs" / "zeek"
    info = folder.stat()
    assert stat.S_IMODE(info.st_mode) == 0o2775
    if os.geteuid() == 0:  # only root can give the folder to the correlator's group
        assert info.st_gid == CORRELATOR_UID


def test_an_existing_log_folder_is_left_as_the_operator_made_it(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site")
    folder = site / "logs" / "zeek"
    folder.mkdir(parents=True)
    folder.chmod(0o750)
    render_site(site, profile, secrets=fixed_secret)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750
