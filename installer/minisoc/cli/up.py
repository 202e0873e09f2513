"""`minisoc up [SITE_DIR]`: render if needed, build missing local images, start, wait healthy, provision."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from minisoc.cli.check_report import finish_site_report
from minisoc.ops.hosts import bring_up_host
from minisoc.ops.up import bring_up


def up(
    site_dir: Annotated[Path, typer.Argument(help="Site folder (holds minisoc.yaml).")] = Path(),
    as_json: bool = typer.Option(False, "--json", help="Print the steps as JSON."),
    wait_timeout: int = typer.Option(
        600, "--wait-timeout", min=10, help="Seconds to wait for healthy services."
    ),
    host: str | None = typer.Option(
        None, "--host", help="A distributed site: bring up this host's bundle (hosts/NAME/) only."
    ),
) -> None:
    """Bring the site (or one host of a distributed site) up and wait until every service is healthy."""
    console = Console(stderr=True)
    with console.status("starting") as status:
        if host is not None:
            report = bring_up_host(
                site_dir, host, progress=lambda message: status.update(message), wait_timeout_s=wait_timeout
            )
        else:
            report = bring_up(
                site_dir, progress=lambda message: status.update(message), wait_timeout_s=wait_timeout
            )
    finish_site_report(report, site_dir, as_json)


def register(app: typer.Typer) -> None:
    """Add `up` to the root app."""
    app.command(name="up")(up)
