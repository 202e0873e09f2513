"""`minisoc doctor [SITE_DIR] [--json]`: preflight checks, each failure with a fix; exit 1 if any fails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from minisoc.cli.check_report import emit_report
from minisoc.ops.doctor_hosts import run_host_doctor


def doctor(
    site_dir: Annotated[Path | None, typer.Argument(help="Site folder to check.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
    host: Annotated[
        str | None, typer.Option("--host", help="A distributed site: check this machine as host NAME.")
    ] = None,
) -> None:
    """Check Docker, compose v2, kernel settings, memory, disk, ports and the capture interface; for a
    distributed site, which host runs what, and with --host that host's share on this machine."""
    code = emit_report(run_host_doctor(site_dir, host), as_json)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add `doctor` to the root app."""
    app.command(name="doctor")(doctor)
