"""A site's compose project, and facts about its running stack read through compose (empty when nothing
runs). The site's paths and ops state: `minisoc.site`."""

from __future__ import annotations

from pathlib import Path

from minisoc.compose.runner import ComposeProject
from minisoc.errors import MinisocError
from minisoc.site import SiteLayout, site_layout


def site_project(files: SiteLayout, name: str) -> ComposeProject:
    """The compose project: compose.yaml, plus the engine-limits override when `up` wrote one."""
    env = files.env_file if files.env_file.is_file() else None
    extra = (files.engine_limits_file,) if files.engine_limits_file.is_file() else ()
    return ComposeProject(name, (files.compose_file, *extra), env)


def running_services(site_dir: Path, project_name: str) -> set[str]:
    files = site_layout(site_dir)
    if not files.is_rendered():
        return set()
    try:
        return {state.service for state in site_project(files, project_name).ps() if state.state == "running"}
    except MinisocError:
        return set()
