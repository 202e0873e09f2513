"""`minisoc down [SITE_DIR] [--volumes]`: stop the site; data volumes are kept unless --volumes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from minisoc.cli.check_report import emit_report
from minisoc.ops.down import bring_down
from minisoc.ops.hosts import bring_down_host


def down(
    site_dir: Annotated[Path, typer.Argument(help="Site folder (holds minisoc.yaml).")] = Path(),
    volumes: bool = typer.Option(False, "--volumes", help="Also delete the data volumes (alerts, state)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    host: str | None = typer.Option(None, "--host", help="A distributed site: this host's project only."),
) -> None:
    """Stop and remove the site's (or one host's) containers and networks."""
    report = (
        bring_down_host(site_dir, host, volumes=volumes) if host is not None
        else bring_down(site_dir, volumes=volumes)
    )
    code = emit_report(report, as_json)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add `down` to the root app."""
    app.command(name="down")(down)
