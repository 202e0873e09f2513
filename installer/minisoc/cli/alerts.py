"""`minisoc alerts list|ack`: read alerts back from whichever sink the site uses, and mark them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from minisoc.cli.alert_table import plain_console, print_alerts
from minisoc.review.site import open_review

alerts_app = typer.Typer(help="List and acknowledge alerts.", no_args_is_help=True, rich_markup_mode=None)

SiteDir = Annotated[
    Path | None,
    typer.Argument(help="The site directory (default: the current directory); run on the host."),
]
StoreUrl = Annotated[
    str | None, typer.Option("--store", help="sqlite:///alerts.db or https://host:9200[/index].")
]
ConfigPath = Annotated[
    Path | None, typer.Option("--config", help="A correlator.yaml (inside the container).")
]


@alerts_app.command("list")
def list_alerts(
    site_dir: SiteDir = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only alerts raised in the last 15m, 2h, 7d...")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="At most this many (1 or more), newest first.")
    ] = 1000,
    json_output: Annotated[bool, typer.Option("--json", help="A JSON array of alert documents.")] = False,
    store: StoreUrl = None,
    config: ConfigPath = None,
) -> None:
    """List alerts, newest first."""
    review = open_review(site_dir, store, config, "list")
    try:
        listing = review.list_alerts(since, limit)
    finally:
        review.close()
    if json_output:
        sys.stdout.write(orjson.dumps(listing.docs).decode() + "\n")
        return
    print_alerts(plain_console(), listing.docs, listing.total, more_hint="newest first: raise --limit")


@alerts_app.command("ack")
def ack_alert(
    alert_id: Annotated[str, typer.Argument(help="The alert id (or a unique prefix of 8+ characters).")],
    site_dir: SiteDir = None,
    false_positive: Annotated[
        bool, typer.Option("--false-positive", help="A false positive: also tell MISP (a type 1 sighting).")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    store: StoreUrl = None,
    config: ConfigPath = None,
) -> None:
    """Acknowledge an alert, or mark it a false positive."""
    review = open_review(site_dir, store, config, "ack")
    try:
        result = review.ack(alert_id, false_positive)
    finally:
        review.close()
    if json_output:
        reply = {"id": result.alert_id, "ack": result.ack, "sighting": result.sighting}
        sys.stdout.write(orjson.dumps(reply).decode() + "\n")
    else:
        typer.echo(f"alert {result.alert_id}: {result.ack.get('state')} (MISP sighting: {result.sighting})")


def register(app: typer.Typer) -> None:
    """Add the `minisoc alerts` group."""
    app.add_typer(alerts_app, name="alerts")
