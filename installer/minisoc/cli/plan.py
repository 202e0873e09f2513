"""`minisoc plan [SITE_DIR] [--json]`: what `render` would change, as a diff; touches nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from minisoc.profile.load import load_profile
from minisoc.render.plan import plan_site


def plan(
    site_dir: Annotated[Path, typer.Argument(help="The site folder holding minisoc.yaml.")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Show the files `minisoc render` would add, change or remove (secret values masked), certificates
    included, and the services that would need a restart (`minisoc up` restarts them)."""
    profile = load_profile(site_dir)
    result = plan_site(site_dir, profile)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "site_dir": str(result.site_dir),
                    "changes": [
                        {
                            "path": str(c.path),
                            "action": c.action,
                            "secret": c.secret,
                            "diff": c.diff,
                            "reason": c.reason,
                        }
                        for c in result.changes
                    ],
                    "unchanged": [str(path) for path in result.unchanged],
                    "notes": list(result.notes),
                    "restart": {name: list(why) for name, why in result.restarts.items()},
                },
                indent=2,
                sort_keys=True,
            )
        )
        return
    for change in result.changes:
        suffix = " (secret: content not shown)" if change.secret and not change.diff else ""
        suffix += f" ({change.reason})" if change.reason else ""
        typer.echo(f"{change.action:<7} {change.path}{suffix}")
    for change in result.changes:
        if change.diff:
            typer.echo(change.diff, nl=False)
    for note in result.notes:
        typer.echo(f"note: {note}")
    for name, why in result.restarts.items():
        typer.echo(f"restart {name}: {', '.join(why)}")
    summary = f"{len(result.changes)} change(s)" if result.has_changes else "no changes"
    typer.echo(f"{result.site_dir}: {summary}, {len(result.unchanged)} file(s) unchanged")


def register(app: typer.Typer) -> None:
    """Add `minisoc plan` to the root app."""
    app.command(name="plan")(plan)
