"""Facts about a site's running stack, read through compose (empty when nothing runs)."""

from __future__ import annotations

from pathlib import Path

from minisoc.errors import MinisocError
from minisoc.ops.site import SiteFiles


def running_services(site_dir: Path, project_name: str) -> set[str]:
    files = SiteFiles(site_dir)
    if not files.is_rendered():
        return set()
    try:
        return {state.service for state in files.project(project_name).ps() if state.state == "running"}
    except MinisocError:
        return set()
