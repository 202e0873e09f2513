"""`minisoc render [SITE_DIR] [--json]`: write compose.yaml, .env, secrets, configs and minisoc.lock."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from minisoc.ops.restart import record_restarts
from minisoc.profile.load import load_profile
from minisoc.profile.opensearch_cluster import compose_services
from minisoc.render import render_site
from minisoc.site import site_layout


def render(
    site_dir: Annotated[Path, typer.Argument(help="The site folder holding minisoc.yaml.")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")] = False,
) -> None:
    """Render the site's stacks from its profile (existing secrets are kept; unchanged files untouched)."""
    profile = load_profile(site_dir)
    result = render_site(site_dir, profile)
    due = record_restarts(site_layout(result.site_dir), compose_services(profile), result.restarts)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "site_dir": str(result.site_dir),
                    "project": profile.project_name,
                    "written": [str(path) for path in result.written],
                    "unchanged": [str(path) for path in result.unchanged],
                    "removed": [str(path) for path in result.removed],
                    "created_dirs": [str(path) for path in result.created_dirs],
                    "restart": {name: list(why) for name, why in result.restarts.items()},
                    "finished_interrupted_render": result.recovered,
                },
                indent=2,
                sort_keys=True,
            )
        )
        return
    if result.recovered:
        typer.echo("finished the swap of an interrupted render first")
    for path in result.written:
        typer.echo(f"wrote   {path}")
    for path in result.removed:
        typer.echo(f"removed {path}")
    typer.echo(
        f"{result.site_dir}: {len(result.written)} file(s) written, {len(result.unchanged)} unchanged"
        f" (project {profile.project_name})"
    )
    if due:
        typer.echo(f"restart needed: {', '.join(due)} (`minisoc up` restarts them)")


def register(app: typer.Typer) -> None:
    """Add `minisoc render` to the root app."""
    app.command(name="render")(render)
