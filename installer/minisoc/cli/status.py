"""`minisoc status [SITE_DIR] [--json]`: services, intel freshness, alerts, data folders, last verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from minisoc.ops.status import site_status, status_lines


def status(
    site_dir: Annotated[Path, typer.Argument(help="Site folder (holds minisoc.yaml).")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
) -> None:
    """Show each service's state and health, intel and alert figures, and where to drop logs and feeds."""
    result = site_status(site_dir)
    if as_json:
        typer.echo(json.dumps(result, indent=2, sort_keys=True))
    else:
        for line in status_lines(result):
            typer.echo(line)


def register(app: typer.Typer) -> None:
    """Add `status` to the root app."""
    app.command(name="status")(status)
