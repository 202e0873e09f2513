"""`minisoc down`: stop and remove the site's containers and networks (volumes only when asked)."""

from __future__ import annotations

from pathlib import Path

from minisoc.ops.access import load_site
from minisoc.ops.checks import Check, Report


def bring_down(site_dir: Path, *, volumes: bool = False) -> Report:
    site = load_site(site_dir)
    if site.profile.site.topology == "distributed":  # every host whose project this engine runs
        from minisoc.ops.hosts import bring_down_host

        reports = [bring_down_host(site_dir, h.name, volumes=volumes) for h in reversed(site.profile.hosts)]
        return Report("down", [check for report in reports for check in report.checks])
    if not site.paths.is_rendered():
        return Report("down", [Check("down", True, "nothing to stop: the site is not rendered")])
    site.project().down(volumes=volumes)
    detail = (
        "containers, networks and volumes removed"
        if volumes
        else "containers and networks removed (data kept)"
    )
    return Report("down", [Check("down", True, detail)])
