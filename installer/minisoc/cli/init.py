"""`minisoc init SITE_DIR --template NAME [--set dotted.key=value ...] [--non-interactive] [--force]`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from minisoc.ops.samples import install_samples
from minisoc.profile.create import Edit, create_profile, parse_assignment, refuse_overwrite, template_names
from minisoc.profile.interview import Interview, answer_edit, later_paths


def init(
    site_dir: Annotated[Path, typer.Argument(help="The site folder (created if missing).")],
    template: Annotated[
        str, typer.Option("--template", "-t", help="small-site, training-lab, reference or ci.")
    ],
    assignments: Annotated[
        list[str] | None, typer.Option("--set", help="dotted.key=value applied to the template (repeatable).")
    ] = None,
    interactive: Annotated[
        bool | None,
        typer.Option(
            "--interactive/--non-interactive",
            help="Ask the few questions that matter (default: when stdin is a terminal), or ask nothing.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing minisoc.yaml.")] = False,
) -> None:
    """Write SITE_DIR/minisoc.yaml, a commented site profile, from a template."""
    refuse_overwrite(site_dir, force=force)
    edits: list[Edit | str] = [parse_assignment(text) for text in assignments or []]
    if interactive or (interactive is None and sys.stdin.isatty()):
        interview = Interview(site_dir, template, edits)
        _ask(interview)
        edits = interview.edits
    path, profile = create_profile(site_dir, template, edits, force=force)
    typer.echo(f"wrote {path} (template {template}; services: {', '.join(profile.enabled_services())})")
    samples = install_samples(site_dir, template, profile)
    if samples is not None:
        typer.echo(
            f"sample data: {samples.log_files} Zeek log file(s) into {samples.log_dir}, "
            f"{samples.feed_events} MISP feed event(s) into {samples.feed_dir} (see SAMPLE-DATA.md there)"
        )
    if profile.site.topology == "distributed":  # one bundle per host (docs/topology.md)
        typer.echo(
            f"next: minisoc render {site_dir}, then on each host (storage, hub, sensors): "
            f"minisoc up {site_dir} --host NAME   (`minisoc plan` shows which host runs what)"
        )
        return
    typer.echo(f"next: minisoc up {site_dir}   (renders, starts, provisions; `minisoc plan` shows the files)")


def _until_accepted(interview: Interview, path: str, answer: Callable[[], list[Edit]]) -> None:
    """Ask (through `answer`) until the answer's edits leave no problem but those of later questions."""
    while True:
        problems = interview.answer(answer(), later_paths(path))  # a kept default is checked too
        if not problems:
            return
        for problem in problems:
            typer.echo(f"  {problem}", err=True)


def _text(interview: Interview, path: str, question: str, default: str) -> None:
    _until_accepted(interview, path, lambda: _changed(path, typer.prompt(question, default=default), default))


def _number(interview: Interview, path: str, question: str, default: int) -> None:
    def answer() -> list[Edit]:
        text = typer.prompt(question, default=str(default)).strip()
        value: object = int(text) if text.isdecimal() else text  # not a number: the validator says why
        return _changed(path, value, default)

    _until_accepted(interview, path, answer)


def _changed(path: str, value: object, default: object) -> list[Edit]:
    """The answer as an edit, none when it is the template's own value (the template stays as written)."""
    return [] if value == default else [answer_edit(path, value)]


def _ask(interview: Interview) -> None:
    """The few questions that matter; every default is the template's (and --set's) value."""
    _text(interview, "site.name", "Site name (lower-case, digits, -)", interview.profile.site.name)
    _until_accepted(interview, "sensor", lambda: _sensor_answer(interview))
    misp = interview.profile.intel.misp.enabled
    ask_misp = "Use MISP (intel and sightings)?"
    _until_accepted(
        interview, "intel.misp",
        lambda: _changed("intel.misp.enabled", typer.confirm(ask_misp, default=misp), misp),
    )
    _until_accepted(interview, "opensearch", lambda: _opensearch_answer(interview))
    budget = interview.profile.resources.ram_budget_mb
    _number(interview, "resources.ram_budget_mb", "RAM budget for all services (MB)", budget)
    _text(interview, "site.admin_email", "Admin e-mail", interview.profile.site.admin_email)


def _sensor_answer(interview: Interview) -> list[Edit]:
    sensor = interview.profile.sensor
    live = typer.confirm("Capture live traffic with Zeek on this host?", default=sensor.mode == "live")
    if not live:
        if sensor.mode != "live":
            return []  # keep the template's external or off mode
        return [answer_edit("sensor.mode", "external"), answer_edit("sensor.interface", None)]
    default = sensor.interface or "eth0"
    interface = typer.prompt("Capture interface", default=default)
    return [
        *_changed("sensor.mode", "live", sensor.mode),
        *_changed("sensor.interface", interface, sensor.interface),
    ]


def _opensearch_answer(interview: Interview) -> list[Edit]:
    opensearch = interview.profile.opensearch
    enabled = typer.confirm("Run OpenSearch (alerts and Zeek logs)?", default=opensearch.enabled)
    if not enabled:
        if not opensearch.enabled:
            return []
        return [
            answer_edit("opensearch.enabled", False),
            answer_edit("opensearch.dashboards.enabled", False),
            answer_edit("correlator.index_logs", False),
        ]
    dashboards = typer.confirm("Run OpenSearch Dashboards?", default=opensearch.dashboards.enabled)
    return _changed("opensearch.enabled", True, opensearch.enabled) + _changed(
        "opensearch.dashboards.enabled", dashboards, opensearch.dashboards.enabled
    )


def register(app: typer.Typer) -> None:
    """Add `minisoc init` to the root app."""
    app.command(name="init", epilog="Templates: " + ", ".join(template_names()))(init)
