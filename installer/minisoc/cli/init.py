"""`minisoc init SITE_DIR --template NAME [--set dotted.key=value ...] [--non-interactive] [--force]`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from minisoc.ops.samples import install_samples
from minisoc.profile.create import create_profile, template_names


def init(
    site_dir: Annotated[Path, typer.Argument(help="The site folder (created if missing).")],
    template: Annotated[
        str, typer.Option("--template", "-t", help="small-site, training-lab, reference or ci.")
    ],
    assignments: Annotated[
        list[str] | None, typer.Option("--set", help="dotted.key=value applied to the template (repeatable).")
    ] = None,
    non_interactive: Annotated[
        bool, typer.Option("--non-interactive", help="Ask nothing; use the template.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing minisoc.yaml.")] = False,
) -> None:
    """Write SITE_DIR/minisoc.yaml, a commented site profile, from a template."""
    edits = list(assignments or [])
    if not non_interactive and sys.stdin.isatty():
        edits = _ask(template) + edits
    path, profile = create_profile(site_dir, template, edits, force=force)
    typer.echo(f"wrote {path} (template {template}; services: {', '.join(profile.enabled_services())})")
    samples = install_samples(site_dir, template, profile)
    if samples is not None:
        typer.echo(
            f"sample data: {samples.log_files} Zeek log file(s) into {samples.log_dir}, "
            f"{samples.feed_events} MISP feed event(s) into {samples.feed_dir} (see SAMPLE-DATA.md there)"
        )
    typer.echo(f"next: minisoc profile check {site_dir} && minisoc render {site_dir}")


def _ask(template: str) -> list[str]:
    """The few questions that matter, as --set edits (defaults from the template's usual values)."""
    edits = [f"site.name={typer.prompt('Site name (lower-case, digits, -)', default='my-site')}"]
    capture = typer.confirm(
        "Capture live traffic with Zeek on this host?", default=template in {"small-site", "reference"}
    )
    if capture:
        edits += ["sensor.mode=live", f"sensor.interface={typer.prompt('Capture interface', default='eth0')}"]
    else:
        edits += ["sensor.mode=external", "sensor.interface=null"]
    misp = typer.confirm("Run MISP in this stack?", default=template != "ci")
    opensearch = typer.confirm("Run OpenSearch (and Dashboards)?", default=True)
    edits += [
        f"intel.misp.enabled={str(misp).lower()}",
        f"opensearch.enabled={str(opensearch).lower()}",
        f"opensearch.dashboards.enabled={str(opensearch).lower()}",
    ]
    if not opensearch:
        edits.append("correlator.index_logs=false")
    edits.append(f"resources.ram_budget_mb={typer.prompt('RAM budget for all services (MB)', default=8192)}")
    edits.append(f"site.admin_email={typer.prompt('Admin e-mail', default='soc@example.org')}")
    return edits


def register(app: typer.Typer) -> None:
    """Add `minisoc init` to the root app."""
    app.command(name="init", epilog="Templates: " + ", ".join(template_names()))(init)
