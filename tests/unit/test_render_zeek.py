"""The rendered Zeek sensor: what Zeek 8.0 (the zeek/zeek image) really needs and honours."""

from __future__ import annotations

import re
from pathlib import Path

from render_support import fixed_secret, site_from_template

from minisoc.correlator.export import REFRESH_INTERVAL_S
from minisoc.render import render_site


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
