"""`minisoc profile check [SITE_DIR]`, `minisoc profile schema`, `minisoc profile sample`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from minisoc.profile.load import load_profile
from minisoc.profile.model import SiteProfile
from minisoc.profile.opensearch_cluster import compose_services
from minisoc.profile.sample import sample_profile

profile_app = typer.Typer(
    help="Check a site profile, or show what a profile may contain.", no_args_is_help=True,
    rich_markup_mode=None,
)


@profile_app.command(name="check")
def check(
    site_dir: Annotated[Path, typer.Argument(help="The site folder holding minisoc.yaml.")] = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Validate SITE_DIR/minisoc.yaml: every problem as `dotted.path: what is wrong; hint: how to fix`."""
    profile = load_profile(site_dir)
    services = list(compose_services(profile))  # every OpenSearch node by name
    if as_json:
        typer.echo(
            json.dumps({"ok": True, "project": profile.project_name, "services": services}, sort_keys=True)
        )
    else:
        typer.echo(f"{site_dir / 'minisoc.yaml'}: ok (project {profile.project_name}; {', '.join(services)})")


@profile_app.command(name="schema")
def schema() -> None:
    """Print the JSON Schema of minisoc.yaml."""
    typer.echo(json.dumps(SiteProfile.model_json_schema(by_alias=True), indent=2, sort_keys=True))


@profile_app.command(name="sample")
def sample() -> None:
    """Print a complete, commented sample profile (every field with its default)."""
    typer.echo(sample_profile(), nl=False)


def register(app: typer.Typer) -> None:
    """Add the `minisoc profile` group to the root app."""
    app.add_typer(profile_app, name="profile")
