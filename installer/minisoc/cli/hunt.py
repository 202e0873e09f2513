"""`minisoc hunt`: the offline main job. Zeek logs x intel -> alerts on stdout (or a store) and a summary.

With --json, alerts go to stdout as JSON lines and the summary to stderr as one JSON object.
Exit 0 when the hunt ran (malformed lines are reported, not fatal); 2 for bad arguments or unreadable intel;
3 when the --store does not take the alerts.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from minisoc.cli.alert_table import plain_console, print_alerts
from minisoc.cli.multivalue import MultiValueCommand
from minisoc.correlator.hunt import HuntRequest, HuntSummary, run_hunt
from minisoc.correlator.model import Alert
from minisoc.correlator.sinks.open import open_store_url
from minisoc.correlator.typing import SinkUnavailable
from minisoc.errors import ServiceError

TABLE_ROWS = 50


def hunt(
    logs: Annotated[
        list[str], typer.Option("--logs", help="Zeek log files or directories (gz allowed); - for stdin.")
    ],
    intel: Annotated[
        list[str], typer.Option("--intel", help="MISP feed dir/URL, MISP event JSON, Zeek intel files.")
    ],
    warninglists: Annotated[
        list[str] | None, typer.Option("--warninglists", help="MISP warninglist files or directories.")
    ] = None,
    store: Annotated[
        str | None,
        typer.Option("--store", help="Also store alerts: sqlite:///alerts.db or https://host:9200."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Alerts as JSON lines on stdout, summary on stderr.")
    ] = False,
    workers: Annotated[int, typer.Option("--workers", help="Processes to split the files over.")] = 1,
    site: Annotated[str | None, typer.Option("--site", help="Site name recorded in the alerts.")] = None,
) -> None:
    """Hunt through Zeek logs for the indicators in the given intel, offline."""
    request = HuntRequest(logs=logs, intel=intel, warninglists=warninglists or [], workers=workers, site=site)
    sink = open_store_url(store) if store else None
    shown: list[Alert] = []

    def emit(alerts: list[Alert]) -> None:
        if sink is not None:
            sink.write(alerts)
        if json_output:
            if alerts:
                sys.stdout.write("".join(orjson.dumps(alert.doc).decode() + "\n" for alert in alerts))
        elif len(shown) < TABLE_ROWS:
            shown.extend(alerts[: TABLE_ROWS - len(shown)])

    try:
        summary = run_hunt(request, emit)
    except SinkUnavailable as error:
        raise ServiceError(
            f"--store {store}: the store did not take the alerts ({error})",
            "the alerts it took are kept; run the same hunt again once it answers (alert ids are "
            "deterministic: nothing is stored twice)",
        ) from error
    finally:
        if sink is not None:
            sink.close()
    report = summary.as_dict()
    if store:
        report["stored_to"] = store.split("://", 1)[0]
    if json_output:
        sys.stdout.flush()
        sys.stderr.write(orjson.dumps(report).decode() + "\n")
    else:
        _render(shown, summary, report)


def _render(shown: list[Alert], summary: HuntSummary, report: dict[str, Any]) -> None:
    console = plain_console()
    print_alerts(console, [alert.doc for alert in shown], summary.alerts,
                 more_hint="use --json or --store to get them all")
    logs = report["logs"]
    indicators = report["indicators"]
    table = Table(title="Summary", show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    by_type = ", ".join(f"{k} {v}" for k, v in logs["lines_by_type"].items()) or "-"
    table.add_row("lines read", f"{logs['lines']} ({by_type}) in {logs['files']} file(s)")
    malformed = ", ".join(f"{k} {v}" for k, v in logs["malformed_by_reason"].items())
    table.add_row("malformed", f"{logs['malformed']}" + (f" ({malformed})" if malformed else ""))
    for error in logs["file_errors"]:
        table.add_row("file error", f"{error['path']}: {error['message']}")
    table.add_row(
        "indicators",
        f"{indicators['loaded']} loaded, {indicators['suppressed']} suppressed, "
        f"{indicators['unsupported']} unsupported, {indicators['invalid']} invalid"
        + (f", {indicators['missing_events']} feed event(s) missing" if indicators["missing_events"] else "")
        + (f"; skipped: {indicators['not_for_ids']} not for IDS, {indicators['deleted']} deleted"
           if indicators["not_for_ids"] or indicators["deleted"] else ""),
    )
    unusable = indicators["warninglist_entries_unusable"]
    if unusable:
        table.add_row("warninglists", "entries not applied (unusable here): "
                      + ", ".join(f"{name} {count}" for name, count in unusable.items()))
    skipped = indicators["warninglist_files_skipped"]
    if skipped:
        table.add_row("warninglists",
                      f"{len(skipped)} JSON file(s) skipped, not warninglists: " + ", ".join(skipped))
    table.add_row(
        "alerts",
        str(report["alerts"]) + (f" (stored: {report['stored_to']})" if "stored_to" in report else ""),
    )
    table.add_row(
        "time",
        f"{report['elapsed_seconds']} s ({report['lines_per_second']} lines/s, "
        f"{report['workers']} worker(s))",
    )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add `minisoc hunt`."""
    app.command(name="hunt", cls=MultiValueCommand.accepting("--logs", "--intel", "--warninglists"))(hunt)
