"""`minisoc hunt`: the offline main job. Zeek logs x intel -> alerts on stdout (or a store) and a summary.

With --json, alerts go to stdout as JSON lines and the summary to stderr as one JSON object.
Exit 0 when the hunt ran (malformed lines are reported, not fatal); 1 when there is nothing to hunt for (no
indicator loaded) without --allow-empty; 2 for bad arguments or unreadable intel; 3 when the --store does not
take the alerts; 130 on Ctrl-C, after `interrupted` and the summary of what was read until then.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import orjson
import typer

from minisoc.cli.alert_table import plain_console, print_alerts
from minisoc.cli.hunt_progress import progress_bar
from minisoc.cli.hunt_report import summary_table, warnings
from minisoc.cli.multivalue import MultiValueCommand
from minisoc.correlator.hunt import HuntRequest, HuntSummary, run_hunt
from minisoc.correlator.model import Alert
from minisoc.correlator.sinks.open import open_store_url
from minisoc.correlator.typing import SinkUnavailable
from minisoc.errors import ServiceError

TABLE_ROWS = 50


def hunt(
    logs: Annotated[
        list[str], typer.Option("--logs", help="Zeek logs, syslog (rsyslog JSON or text: auth.log, access "
                                "logs) and flow JSON (pmacct, goflow2, nfdump): files or directories (gz "
                                "allowed); - for stdin.")
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
    dead_letter: Annotated[
        str | None,
        typer.Option("--dead-letter", help="Write each refused log line and indicator (reason, source) "
                     "to this file, as JSON lines."),
    ] = None,
    allow_empty: Annotated[
        bool, typer.Option("--allow-empty", help="Hunt even when no indicator was loaded (else exit 1).")
    ] = False,
    ignore_notice: Annotated[
        list[str] | None,
        typer.Option("--ignore-notice", help="A Zeek notice type (SSL::Invalid_Server_Cert) or module "
                     "(SSL::*) "
                     "not to raise as an alert of its own; repeatable. Such a notice still alerts when an "
                     "indicator matches it."),
    ] = None,
) -> None:
    """Hunt through Zeek logs, syslog and flow records for the indicators in the given intel, offline."""
    request = HuntRequest(logs=logs, intel=intel, warninglists=warninglists or [], workers=workers, site=site,
                          dead_letter=dead_letter, allow_empty=allow_empty,
                          ignore_notices=tuple(ignore_notice or ()))
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

    bar = progress_bar()
    try:
        if bar is None:
            summary = run_hunt(request, emit)
        else:
            with bar:
                summary = run_hunt(request, emit, progress=bar)
    except KeyboardInterrupt:  # before the logs were reached (intel loading): nothing to summarise
        print("interrupted", file=sys.stderr)
        raise typer.Exit(130) from None
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
    if summary.interrupted:
        print("interrupted", file=sys.stderr)
    if json_output:
        sys.stdout.flush()
        sys.stderr.write(orjson.dumps(report).decode() + "\n")
    else:
        for line in warnings(report):
            print(line, file=sys.stderr)
        _render(shown, summary, report)
    if summary.interrupted:
        raise typer.Exit(130)


def _render(shown: list[Alert], summary: HuntSummary, report: dict[str, Any]) -> None:
    console = plain_console()
    print_alerts(console, [alert.doc for alert in shown], summary.alerts,
                 more_hint="use --json or --store to get them all")
    console.print(summary_table(report))


def register(app: typer.Typer) -> None:
    """Add `minisoc hunt`."""
    app.command(name="hunt", cls=MultiValueCommand.accepting("--logs", "--intel", "--warninglists"))(hunt)
