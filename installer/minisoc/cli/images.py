"""`minisoc images build|list`: the images minisoc builds itself (no registry needed)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.console import Console

from minisoc.images.build import BuildOptions, build_images, default_cache_dir, image_exists
from minisoc.images.select import images_for_site

images_app = typer.Typer(help="Build the locally built images (OpenSearch, correlator, feed server).",
                         no_args_is_help=True)


@images_app.command(name="build")
def build(
    site_dir: Path | None = typer.Argument(None, help="Build only the images this rendered site uses."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
    wheel: Path | None = typer.Option(None, "--wheel", help="The minisoc wheel for the correlator image."),
    network: str | None = typer.Option(None, "--network", help="Build network (`host` if apt cannot reach "
                                       "the Debian mirror from the default bridge)."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if built from the same inputs."),
    find_links: list[Path] = typer.Option([], "--find-links", help="Local folder of wheels (air-gapped)."),
    offline: bool = typer.Option(False, "--offline", help="Resolve wheels from --find-links only."),
    cache_dir: Path = typer.Option(default_cache_dir(), "--cache-dir", help="Downloads and build contexts."),
) -> None:
    """Build the images from Debian packages, Maven Central and PyPI wheels (skips up-to-date ones)."""
    console = Console(stderr=True)
    options = BuildOptions(cache_dir=cache_dir, network=network, force=force, minisoc_wheel=wheel,
                           find_links=tuple(find_links), offline=offline)
    specs = images_for_site(site_dir)
    with console.status("building images") as status:
        results = build_images(specs, options, progress=lambda message: status.update(message))
    if as_json:
        typer.echo(json.dumps([asdict(result) for result in results], indent=2))
        return
    for result in results:
        typer.echo(f"{result.tag:40} {result.status:11} {result.seconds:7.1f}s")


@images_app.command(name="list")
def list_images(
    site_dir: Path | None = typer.Argument(None, help="Only the images this rendered site uses."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """The images minisoc can build, and whether each is present in the local engine."""
    rows = [{"service": spec.service, "tag": spec.tag, "present": image_exists(spec.tag)}
            for spec in images_for_site(site_dir)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(f"{row['tag']:40} {'present' if row['present'] else 'absent'}")


def register(app: typer.Typer) -> None:
    """Add the `images` group to the root app."""
    app.add_typer(images_app, name="images")
