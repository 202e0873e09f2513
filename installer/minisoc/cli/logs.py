"""`minisoc logs SERVICE [SITE_DIR] [--follow] [--tail N]`: a service's container logs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from minisoc.errors import UsageError
from minisoc.ops.access import load_site


def logs(
    service: str = typer.Argument(..., help="Service name (see `minisoc status`)."),
    site_dir: Annotated[Path, typer.Argument(help="Site folder (holds minisoc.yaml).")] = Path(),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines."),
    tail: int | None = typer.Option(None, "--tail", min=0, help="Only the last N lines."),
) -> None:
    """Print the logs of one service of the site."""
    site = load_site(site_dir)
    if service not in site.services:
        raise UsageError(
            f"{service}: not a service of this site", f"choose one of: {', '.join(site.services)}"
        )
    code = site.project().stream_logs(service, follow=follow, tail=tail)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add `logs` to the root app."""
    app.command(name="logs")(logs)
