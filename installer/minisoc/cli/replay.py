"""`minisoc replay SITE PCAP... [--json]`: run the site's Zeek over capture files into its log folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from minisoc.ops.replay import replay as replay_pcaps


def replay(
    site_dir: Annotated[Path, typer.Argument(help="Site folder (holds minisoc.yaml).")],
    pcaps: Annotated[list[Path], typer.Argument(help="Capture files (pcap or pcapng), one Zeek run each.")],
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Replay pcaps through the site's Zeek (zeek -r, original timestamps, intel loaded first) into its
    log folder, where the running correlator alerts on them."""
    report = replay_pcaps(site_dir, pcaps)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
        return
    for warning in report.warnings:
        typer.echo(f"[warn] {warning}")
    for run in report.runs:
        typer.echo(f"[ok] {run.pcap.name} -> {run.folder} ({len(run.files)} files: {', '.join(run.files)})")
    typer.echo(f"alerts appear as the correlator reads them: minisoc alerts list {site_dir}")


def register(app: typer.Typer) -> None:
    """Add `replay` to the root app."""
    app.command(name="replay")(replay)
