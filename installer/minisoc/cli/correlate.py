"""`minisoc correlate run --config correlator.yaml`: the correlator service (the container's entrypoint)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from minisoc.correlator.config import load_correlator_config
from minisoc.correlator.service.build import run_service

correlate_app = typer.Typer(help="The correlation service.", no_args_is_help=True, rich_markup_mode=None)


@correlate_app.command("run")
def run(
    config: Annotated[
        Path, typer.Option("--config", help="The correlator.yaml rendered by `minisoc render`.")
    ],
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the correlator until SIGTERM: intel sync, log tail, alerts, sightings, retro-hunt, export."""
    logging.basicConfig(
        level=getattr(logging, log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("opensearch").setLevel(logging.ERROR)  # our own messages say what failed, once
    run_service(load_correlator_config(config))


def register(app: typer.Typer) -> None:
    """Add the `minisoc correlate` group."""
    app.add_typer(correlate_app, name="correlate")
