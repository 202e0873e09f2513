"""`minisoc images build|list`: the images minisoc builds itself (no registry needed)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from minisoc.images.build import BuildOptions, build_images, default_cache_dir, image_exists
from minisoc.ops.images_needed import images_for_site

images_app = typer.Typer(
    help="Build the locally built images (OpenSearch, correlator, feed server).", no_args_is_help=True,
    rich_markup_mode=None,
)

SiteArg = Annotated[Path | None, typer.Argument(help="Only the images this rendered site uses.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the results as JSON.")]


@images_app.command(name="build")
def build(
    site_dir: SiteArg = None,
    as_json: JsonOpt = False,
    wheel: Annotated[Path | None, typer.Option("--wheel", help="The minisoc wheel.")] = None,
    network: Annotated[
        str | None, typer.Option("--network", help="Build network (`host` if the bridge cannot reach apt).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild up-to-date images.")] = False,
    find_links: Annotated[
        list[Path] | None, typer.Option("--find-links", help="Local folder of wheels (air-gapped sites).")
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Use --find-links only.")] = False,
    cache_dir: Annotated[
        Path | None, typer.Option("--cache-dir", help="Downloads and build contexts (~/.cache/minisoc).")
    ] = None,
) -> None:
    """Build the images from Debian packages, Maven Central and PyPI wheels (skips up-to-date ones)."""
    console = Console(stderr=True)
    options = BuildOptions(
        cache_dir=cache_dir or default_cache_dir(),
        network=network,
        force=force,
        minisoc_wheel=wheel,
        find_links=tuple(find_links or ()),
        offline=offline,
    )
    specs = images_for_site(site_dir)
    with console.status("building images") as status:
        results = build_images(specs, options, progress=lambda message: status.update(message))
    if as_json:
        typer.echo(json.dumps([asdict(result) for result in results], indent=2))
        return
    for result in results:
        typer.echo(f"{result.tag:40} {result.status:11} {result.seconds:7.1f}s")


@images_app.command(name="list")
def list_images(site_dir: SiteArg = None, as_json: JsonOpt = False) -> None:
    """The images minisoc can build, and whether each is present in the local engine."""
    rows = [
        {"service": spec.service, "tag": spec.tag, "present": image_exists(spec.tag)}
        for spec in images_for_site(site_dir)
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['tag']:40} {'present' if row['present'] else 'absent'}")


def register(app: typer.Typer) -> None:
    """Add the `images` group to the root app."""
    app.add_typer(images_app, name="images")
