"""Print a check report (ops returns it as a `Report`) as text or JSON, and turn it into the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from minisoc.ops.access import load_site
from minisoc.ops.checks import Report
from minisoc.ops.pointers import where_to_look


def emit_report(report: Report, as_json: bool) -> int:
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.text_lines():
            typer.echo(line)
    return report.exit_code


def finish_site_report(report: Report, site_dir: Path, as_json: bool) -> None:
    """`up` and `verify`: print the report, exit with its code when it failed, else say where to look."""
    code = emit_report(report, as_json)
    if code:
        raise typer.Exit(code)
    if not as_json:
        for line in where_to_look(site_dir, load_site(site_dir)):
            typer.echo(line)
