"""Operating a rendered site: up, down, status, logs, doctor and verify (the CLI modules stay thin)."""

from minisoc.ops.access import Site, load_site
from minisoc.ops.checks import Check, Report
from minisoc.ops.doctor import run_doctor
from minisoc.ops.down import bring_down
from minisoc.ops.images_needed import images_for_site
from minisoc.ops.pointers import where_to_look
from minisoc.ops.restart import record_renewed, record_restarts
from minisoc.ops.samples import install_samples
from minisoc.ops.site_facts import running_services, site_project
from minisoc.ops.status import site_status, status_lines
from minisoc.ops.up import bring_up
from minisoc.ops.verify import run_verify

__all__ = [
    "Check",
    "Report",
    "Site",
    "bring_down",
    "bring_up",
    "images_for_site",
    "install_samples",
    "load_site",
    "record_renewed",
    "record_restarts",
    "run_doctor",
    "run_verify",
    "running_services",
    "site_project",
    "site_status",
    "status_lines",
    "where_to_look",
]
