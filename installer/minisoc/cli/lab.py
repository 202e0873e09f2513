"""`minisoc lab create|doctor|up|down|status|verify|reset|sheet`: a trainer's N isolated copies of a site.

Thin: each command parses, calls one function of `minisoc.lab` (or a site operation through
`minisoc.lab.for_each_copy`), and prints the result. Secrets are never printed: `create` and `sheet` print
the credentials sheet's path only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from minisoc.cli.check_report import emit_report
from minisoc.cli.lab_progress import lab_progress
from minisoc.lab import (
    DEFAULT_PORT_STRIDE,
    SHEET_NAME,
    LabManifest,
    LabOutcome,
    copies,
    create_lab,
    for_each_copy,
    lab_doctor,
    plan_lab,
    reset_copy,
    write_sheet,
)
from minisoc.lab.layout import now_text
from minisoc.lab.misp_baseline import reset_to_baseline, with_baseline
from minisoc.lab.run import CopyAction
from minisoc.ops import bring_down, bring_up, load_site, run_verify, site_status
from minisoc.scenarios.library import find_scenario
from minisoc.scenarios.run import run_scenario

lab_app = typer.Typer(
    help="A trainer's lab: N isolated copies of a site on one host (docs/training.md).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

LabArg = Annotated[Path, typer.Argument(help="The lab folder (holds lab.yaml and copy-01 ... copy-NN).")]
OnlyOpt = Annotated[int | None, typer.Option("--only", min=1, help="Act on copy K only (1-based).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the per-copy results as JSON.")]
TemplateOpt = Annotated[str, typer.Option("--template", "-t", help="The profile template of every copy.")]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="dotted.key=value applied to every copy (repeatable).")
]
StrideOpt = Annotated[
    int,
    typer.Option("--port-stride", min=1, help="Copy K publishes each port at base + offset + K x stride."),
]
OffsetOpt = Annotated[int, typer.Option("--port-offset", help="Moves every copy's ports (another lab's).")]
NameOpt = Annotated[
    str | None, typer.Option("--name", help="Copies are named NAME-01 ... (default: the template's).")
]


def _finish(outcome: LabOutcome, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(outcome.as_dict(), indent=2, sort_keys=True))
    else:
        for line in outcome.summary_lines():
            typer.echo(line)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


def _each(action_name: str, lab_dir: Path, action: CopyAction, only: int | None, as_json: bool) -> None:
    with lab_progress(action_name, len(copies(lab_dir, only))) as progress:
        outcome = for_each_copy(
            action_name, lab_dir, action, only=only, started=progress.started, progress=progress.step
        )
    _finish(outcome, as_json)


@lab_app.command(name="create")
def create(
    lab_dir: LabArg,
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="How many copies (students).")],
    template: TemplateOpt = "training-lab",
    assignments: SetOpt = None,
    stride: StrideOpt = DEFAULT_PORT_STRIDE,
    offset: OffsetOpt = 0,
    name: NameOpt = None,
) -> None:
    """Create N isolated copies (own project, volumes, network, secrets, ports, fanout id), after a doctor."""
    sets = list(assignments or [])
    plans = plan_lab(lab_dir, template, count, sets, stride=stride, offset=offset, name=name)
    report = lab_doctor(lab_dir, plans)
    emit_report(report, as_json=False)
    if not report.ok:
        typer.echo(f"lab create: nothing written to {lab_dir}", err=True)
        raise typer.Exit(report.exit_code)
    now = datetime.now(UTC)
    manifest = LabManifest(template, count, stride, offset, now_text(now), sets)
    with lab_progress("create", count) as progress:
        created = create_lab(lab_dir, plans, manifest, progress=progress.step, now=now)
    for plan in plans:
        ports = ", ".join(f"{key} {port}" for key, (_, port) in plan.ports().items())
        typer.echo(f"{plan.name}: project {plan.project}; ports {ports}")
    typer.echo(f"credentials sheet (0600, one page per student): {created.sheet}")
    typer.echo(f"next: minisoc lab up {lab_dir}")


@lab_app.command(name="doctor")
def doctor(
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="How many copies to check for.")],
    lab_dir: Annotated[Path, typer.Argument(help="Where the lab would go (its disk is checked).")] = Path(),
    template: TemplateOpt = "training-lab",
    assignments: SetOpt = None,
    stride: StrideOpt = DEFAULT_PORT_STRIDE,
    offset: OffsetOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Can this host hold N copies? RAM, disk, ports, vm.max_map_count; says how many copies fit."""
    plans = plan_lab(
        lab_dir / "lab-doctor", template, count, list(assignments or []), stride=stride, offset=offset
    )
    code = emit_report(lab_doctor(lab_dir, plans), as_json)
    if code:
        raise typer.Exit(code)


@lab_app.command(name="up")
def up(lab_dir: LabArg, only: OnlyOpt = None, as_json: JsonOpt = False,
       wait_timeout: Annotated[int, typer.Option("--wait-timeout", min=10, help="Seconds per copy.")] = 600,
       ) -> None:  # fmt: skip
    """Bring every copy up (one after the other) and wait until each is healthy."""
    _each(
        "up",
        lab_dir,
        lambda site, step: with_baseline(
            bring_up(site, progress=step, wait_timeout_s=wait_timeout), load_site(site), datetime.now(UTC)
        ),
        only,
        as_json,
    )


@lab_app.command(name="down")
def down(
    lab_dir: LabArg,
    only: OnlyOpt = None,
    volumes: Annotated[bool, typer.Option("--volumes", help="Also delete the copies' data volumes.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Stop every copy (data kept unless --volumes)."""
    _each("down", lab_dir, lambda site, _step: bring_down(site, volumes=volumes), only, as_json)


@lab_app.command(name="status")
def status(lab_dir: LabArg, only: OnlyOpt = None, as_json: JsonOpt = False) -> None:
    """Each copy's services, intel and alerts; exit 1 when a copy is not ready."""
    _each("status", lab_dir, lambda site, _step: site_status(site), only, as_json)


@lab_app.command(name="verify")
def verify(lab_dir: LabArg, only: OnlyOpt = None, as_json: JsonOpt = False) -> None:
    """Prove every copy detects (health, then a canary indicator must raise an alert)."""
    _each("verify", lab_dir, lambda site, _step: run_verify(site), only, as_json)


@lab_app.command(name="reset")
def reset(
    lab_dir: LabArg,
    only: OnlyOpt = None,
    as_json: JsonOpt = False,
    scenario: Annotated[str | None, typer.Option(
        "--scenario", help="Then play this scenario again (at once): each copy back at the scenario's start.",
    )] = None,
) -> None:
    """Back to the lab's start: no alerts or acks, correlator state, logs and MISP events as at `lab up`;
    with --scenario NAME, back to that scenario's start (its intel loaded and its evidence written again)."""
    loaded = find_scenario(scenario) if scenario is not None else None  # a bad name fails before any reset
    _each(  # exits non-zero when a copy failed its reset: the scenario is then not played
        "reset",
        lab_dir,
        lambda site, step: reset_copy(site, progress=step, misp_reset=reset_to_baseline),
        only,
        as_json,
    )
    if loaded is not None:
        runs = run_scenario(loaded, copies(lab_dir, only), None)
        for run in runs:  # stderr: with --json, stdout holds the one JSON document of the reset
            typer.echo(f"[ok] {run.copy}: scenario {loaded.id} played again ({run.events} MISP event(s), "
                       f"{run.records} record(s))", err=True)


@lab_app.command(name="sheet")
def sheet(
    lab_dir: LabArg,
    out: Annotated[
        Path | None, typer.Option("--out", help=f"Where to write it (default LAB_DIR/{SHEET_NAME}).")
    ] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", help="The name students reach this machine by (default: 127.0.0.1)."),
    ] = None,
) -> None:
    """Write the credentials sheet (printable HTML, one page per student, mode 0600); prints only its path."""
    path = write_sheet(lab_dir, out or lab_dir / SHEET_NAME, created=now_text(datetime.now(UTC)), host=host)
    typer.echo(f"credentials sheet (0600, one page per student): {path}")


def register(app: typer.Typer) -> None:
    """Add `minisoc lab` to the root app."""
    app.add_typer(lab_app, name="lab")
