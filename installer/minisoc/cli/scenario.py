"""`minisoc scenario list|show|run|grade|reset`: graded exercises on the copies of a lab (or one site)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import orjson
import typer
from rich.table import Table

from minisoc.cli.alert_table import plain_console
from minisoc.durable import write_atomic
from minisoc.scenarios import (
    copies,
    find_scenario,
    grade_copies,
    grade_document,
    parse_speed,
    render_html,
    reset_scenario,
    run_scenario,
    shipped_names,
)

scenario_app = typer.Typer(help="Graded training scenarios on a lab's copies.", no_args_is_help=True,
                           rich_markup_mode=None)

Name = Annotated[str, typer.Argument(
    help="A shipped scenario (`minisoc scenario list`) or a scenario folder.")]
LabDir = Annotated[Path, typer.Argument(help="The lab directory (its copy-NN sites), or one site directory.")]
Only = Annotated[int | None, typer.Option("--only", help="Only copy K (copy-0K).", min=1)]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Store = Annotated[str | None, typer.Option(
    "--store", help="Read the alerts from this store (sqlite:///alerts.db or https://host:9200) instead of "
    "the copy's own; for one copy.")]


def _print_json(value: object) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


@scenario_app.command("list")
def list_scenarios(json_output: Json = False) -> None:
    """The scenarios shipped with minisoc."""
    rows = []
    for name in shipped_names():
        scenario = find_scenario(name).scenario
        rows.append({"id": scenario.id, "title": scenario.title, "difficulty": scenario.difficulty,
                     "duration": scenario.duration, "points": scenario.total_points,
                     "passive_score": scenario.passive_score})
    if json_output:
        _print_json(rows)
        return
    table = Table(title="Scenarios")
    for column in ("id", "title", "difficulty", "duration", "points", "passive analyst"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["id"]), str(row["title"]), str(row["difficulty"]), str(row["duration"]),
                      str(row["points"]), f"{row['passive_score']} %")
    plain_console().print(table)


@scenario_app.command("show")
def show(name: Name) -> None:
    """The student's brief (markdown) and the questions, to hand out."""
    scenario = find_scenario(name).scenario
    typer.echo(f"# {scenario.title}\n\n{scenario.difficulty}, about {scenario.duration}\n")
    typer.echo(scenario.brief.rstrip() + "\n")
    if scenario.questions:
        typer.echo(f"## Questions (answer in SITE_DIR/answers.yaml, under `{scenario.id}:`)\n")
        for question in scenario.questions:
            typer.echo(f"- `{question.id}` ({question.points} points): {question.text}")
            for key, text in (question.choices or {}).items():
                typer.echo(f"  - `{key}`: {text}")


@scenario_app.command("run")
def run(
    name: Name, lab_dir: LabDir, only: Only = None,
    speed: Annotated[str, typer.Option(
        "--speed", help="real: each record when its time comes (shifted to now); 10x: ten times faster; "
        "fast: all at once.",
    )] = "real",
    evidence: Annotated[Literal["auto", "logs", "pcap"], typer.Option(
        "--evidence", help="auto: the scenario's captures through the copy's Zeek when its sensor is live, "
        "else its Zeek logs; logs; pcap: the captures through the site's Zeek image (`minisoc replay`).",
    )] = "auto",
    json_output: Json = False,
) -> None:
    """Load the scenario's intel into each copy and drop its Zeek evidence into the copy's log folder."""
    factor = parse_speed(speed)
    loaded = find_scenario(name)
    targets = copies(lab_dir, only)
    if factor is not None:
        typer.echo(f"{loaded.id}: replaying at {speed} speed into {len(targets)} copy(ies); --speed fast for "
                   "all at once", err=True)
    runs = run_scenario(loaded, targets, factor, progress=None if json_output else _replay_progress(),
                        evidence=evidence)
    if json_output:
        _print_json([{"copy": r.copy, "run_dir": str(r.run_dir), "intel": r.intel, "events": r.events,
                      "records": r.records} for r in runs])
        return
    for r in runs:
        typer.echo(f"[ok] {r.copy}: {r.events} MISP event(s) -> {r.intel}; {r.records} Zeek record(s) -> "
                   f"{r.run_dir}")
    typer.echo(f"Students: `minisoc scenario show {loaded.id}`; alerts within the correlator's sync "
               "interval (`minisoc alerts list SITE_DIR`); then "
               f"`minisoc scenario grade {loaded.id} {lab_dir}`")


def _replay_progress() -> Callable[[int, int], None]:
    """A line on stderr at each tenth of the records replayed."""
    said = [0]

    def progress(done: int, total: int) -> None:
        tenth = done * 10 // total
        if tenth > said[0]:
            said[0] = tenth
            typer.echo(f"  {done}/{total} records replayed", err=True)

    return progress


@scenario_app.command("grade")
def grade(
    name: Name, lab_dir: LabDir, only: Only = None, json_output: Json = False,
    html: Annotated[Path | None, typer.Option(
        "--html", help="Also write an HTML report to this file.")] = None,
    store: Store = None,
) -> None:
    """Score each copy: its alerts, acks, false-positive reports and answers.yaml."""
    loaded = find_scenario(name)
    scores = grade_copies(loaded, copies(lab_dir, only), store_url=store)
    if html is not None:
        page = render_html(loaded.scenario, scores, datetime.now(UTC))
        write_atomic(html, page.encode("utf-8"), mode=0o644)
    if json_output:
        _print_json(grade_document(loaded, scores))
        return
    scenario = loaded.scenario
    table = Table(title=f"{scenario.title} (a passive analyst scores {scenario.passive_score} %)")
    for column in ("copy", "score", "alerts", "acknowledged", "false positives", "questions"):
        table.add_column(column)
    for score in scores:
        cells = [f"{earned:g}/{points}" for earned, points in
                 (score.earned_in(kind) for kind in ("alerts", "acknowledge", "false_positives", "question"))]
        table.add_row(score.copy, f"{score.percent} %", *cells)
    console = plain_console()
    console.print(table)
    for score in scores:
        for problem in score.problems:
            typer.echo(f"[problem] {score.copy}: {problem}", err=True)
    if html is not None:
        typer.echo(f"HTML report: {html}")


@scenario_app.command("reset")
def reset(
    name: Name, lab_dir: LabDir, only: Only = None,
    remove: Annotated[bool, typer.Option(
        "--remove",
        help="Only take the scenario out (default: then run it again, fast: the scenario's start).")
    ] = False,
    json_output: Json = False, store: Store = None,
) -> None:
    """Take the scenario's evidence, intel, alerts (with their acks) and answers out of each copy, then
    start it again (unless --remove)."""
    loaded = find_scenario(name)
    targets = copies(lab_dir, only)
    results = reset_scenario(loaded, targets, store_url=store)
    runs = [] if remove else run_scenario(loaded, targets, None)
    if json_output:
        _print_json({"reset": [vars(r) for r in results],
                     "run": [{"copy": r.copy, "run_dir": str(r.run_dir)} for r in runs]})
    else:
        for r in results:
            state = "[ok]" if not r.problems else "[problem]"
            typer.echo(f"{state} {r.copy}: removed {r.run_dirs} run folder(s), {r.events} MISP event(s), "
                       f"{r.alerts} alert(s), answers: {'yes' if r.answers else 'none'}")
            for problem in r.problems:
                typer.echo(f"  {problem}", err=True)
        for run_result in runs:
            typer.echo(f"[ok] {run_result.copy}: started again -> {run_result.run_dir}")
    if any(r.problems for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the `minisoc scenario` group."""
    app.add_typer(scenario_app, name="scenario")
