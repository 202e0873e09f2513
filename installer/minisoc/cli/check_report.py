"""Print a check report (ops returns it as a `Report`) as text or JSON, and turn it into the exit code."""

from __future__ import annotations

import json

import typer

from minisoc.ops.checks import Report


def emit_report(report: Report, as_json: bool) -> int:
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in report.text_lines():
            typer.echo(line)
    return report.exit_code
