"""`minisoc verify [SITE_DIR] [--json]`: service health, then a canary indicator must raise an alert."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from minisoc.cli.check_report import finish_site_report
from minisoc.ops.verify import run_verify


def verify(
    site_dir: Annotated[Path, typer.Argument(help="Site folder (holds minisoc.yaml).")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print each step as JSON.")] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=5, help="Seconds to wait for the alert.")
    ] = None,
) -> None:
    """Prove the SOC detects: exit 0 only if every service is healthy and the canary alert arrives."""
    finish_site_report(run_verify(site_dir, alert_timeout_s=timeout), site_dir, as_json)


def register(app: typer.Typer) -> None:
    """Add `verify` to the root app."""
    app.command(name="verify")(verify)
