"""`minisoc status [SITE_DIR] [--json]`: services, intel freshness, alerts, data folders, last verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from minisoc.ops.hosts import hosts_status_lines, site_hosts_status
from minisoc.ops.status import site_status, status_lines
from minisoc.profile.load import load_profile


def status(
    site_dir: Annotated[Path, typer.Argument(help="Site folder (holds minisoc.yaml).")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
    host: Annotated[
        str | None, typer.Option("--host", help="A distributed site: this host only.")
    ] = None,
) -> None:
    """Show each service's state and health, intel and alert figures, and where to drop logs and feeds;
    for a distributed site, each host's services (the ones this machine's engine can see)."""
    if host is not None or load_profile(site_dir).site.topology == "distributed":
        hosts = site_hosts_status(site_dir, host)
        lines = hosts_status_lines(hosts)
        result = hosts
    else:
        result = site_status(site_dir)
        lines = status_lines(result)
    if as_json:
        typer.echo(json.dumps(result, indent=2, sort_keys=True))
    else:
        for line in lines:
            typer.echo(line)


def register(app: typer.Typer) -> None:
    """Add `status` to the root app."""
    app.command(name="status")(status)
