"""`minisoc doctor [SITE_DIR] [--json]`: preflight checks, each failure with a fix; exit 1 if any fails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from minisoc.cli.check_report import emit_report
from minisoc.ops.doctor import run_doctor


def doctor(
    site_dir: Annotated[Path | None, typer.Argument(help="Site folder to check.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Check Docker, compose v2, kernel settings, memory, disk, ports and the capture interface."""
    code = emit_report(run_doctor(site_dir), as_json)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add `doctor` to the root app."""
    app.command(name="doctor")(doctor)
