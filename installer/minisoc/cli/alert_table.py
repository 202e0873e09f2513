"""The alerts table that `minisoc hunt` and `minisoc alerts list` print: one renderer for both.

One row per alert (a log record): when the record happened (`@timestamp`) over when it was raised
(`event.created`), its id (never wrapped, so it can be copied into `minisoc alerts ack`), the log type, file
and Zeek uid, source over destination, one line per matched indicator, and the review state.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

NOT_A_TERMINAL_WIDTH = 200  # when stdout is a file or a pipe and COLUMNS does not say
ID_WIDTH = 32  # characters of an alert id (minisoc.correlator.alerts.alert_id)


def console_width(environ: dict[str, str] | None = None, is_terminal: bool | None = None) -> int | None:
    """The width to print at: COLUMNS when it is a positive number, else the terminal's (None: rich
    measures it), else NOT_A_TERMINAL_WIDTH for a file or a pipe."""
    columns = (os.environ if environ is None else environ).get("COLUMNS", "").strip()
    if columns.isdecimal() and int(columns) > 0:  # not isdigit: int() refuses '²'
        return int(columns)
    terminal = sys.stdout.isatty() if is_terminal is None else is_terminal
    return None if terminal else NOT_A_TERMINAL_WIDTH


def plain_console() -> Console:
    """A console for tables whose cells hold log and intel text, which anyone on the wire can shape: no
    markup, no emoji codes, no highlighting."""
    return Console(markup=False, emoji=False, highlight=False, width=console_width())


def _get(doc: dict[str, Any], dotted: str, default: Any = "-") -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return default if node in (None, "") else node


def endpoint(doc: dict[str, Any], side: str) -> str:
    """`source`/`destination` as `ip:port` (`[v6]:port`), `ip`, or `-`."""
    ip, port = _get(doc, f"{side}.ip", ""), _get(doc, f"{side}.port", "")
    if not ip:
        return "-"
    shown = f"[{ip}]" if ":" in str(ip) and port != "" else str(ip)
    return f"{shown}:{port}" if port != "" else shown


def _enrichment_lines(doc: dict[str, Any]) -> tuple[str, str]:
    matched: list[str] = []
    indicators: list[str] = []
    rule = _get(doc, "rule.name", "")
    if rule:  # a Zeek notice
        matched.append(f"notice: {rule}")
    for enrichment in _get(doc, "threat.enrichments", []) or []:
        found = enrichment.get("matched", {})
        indicator = enrichment.get("indicator", {})
        matched.append(f"{found.get('field', '?')}: {found.get('atomic', '?')}")
        misp_type = indicator.get("misp", {}).get("type") or indicator.get("type", "?")
        indicators.append(f"{misp_type} {indicator.get('name', '?')} ({indicator.get('provider', '?')})")
    return "\n".join(matched) or "-", "\n".join(indicators) or "-"


def _log_cell(doc: dict[str, Any]) -> str:
    """The log type and file (`stdin` when read from it), the other log types of the connection's records
    (`+ssh,intel`), and the Zeek uid of the record when it has one."""
    first = _get(doc, "zeek.log_type", "") or _get(doc, "event.dataset")  # syslog, netflow: no `zeek`
    others = sorted({str(ref.get("log_type")) for ref in _get(doc, "minisoc.records", []) or []} - {first})
    cell = f"{first}{'+' + ','.join(others) if others else ''} {_get(doc, 'log.file.path', 'stdin')}"
    uid = _get(doc, "zeek.uid", "")
    return f"{cell}\nuid {uid}" if uid else cell


def alerts_table(docs: Sequence[dict[str, Any]], title: str) -> Table:
    """The table of alert documents (newest first, as given)."""
    # no vertical rules nor edge padding: the columns keep the width for text
    table = Table(title=title, box=box.SIMPLE, collapse_padding=True, pad_edge=False)
    table.add_column("time / raised", no_wrap=True)
    table.add_column("id", no_wrap=True, min_width=ID_WIDTH, overflow="ignore")
    table.add_column("log", overflow="fold", max_width=40)  # a long path folds, not the matched values
    table.add_column("source / destination", overflow="fold")
    table.add_column("matched", overflow="fold")
    table.add_column("indicator", overflow="fold")
    table.add_column("state", overflow="fold")
    for doc in docs:
        matched, indicators = _enrichment_lines(doc)
        state = str(_get(doc, "minisoc.ack.state", "?"))
        table.add_row(
            f"{_get(doc, '@timestamp')}\n{_get(doc, 'event.created')}",
            str(_get(doc, "event.id")),
            _log_cell(doc),
            f"{endpoint(doc, 'source')}\n{endpoint(doc, 'destination')}",
            matched,
            indicators,
            state + ("\nretro" if _get(doc, "minisoc.retro", False) is True else ""),
        )
    return table


def print_alerts(console: Console, docs: Sequence[dict[str, Any]], total: int | None, *,
                 more_hint: str) -> None:
    """The table, titled with how many alerts there are; a line saying how to get the ones not shown."""
    if not docs:
        console.print("No alerts.")
        return
    shown = len(docs)
    title = f"Alerts ({shown})" if total is None or total <= shown else f"Alerts ({shown} of {total})"
    console.print(alerts_table(docs, title))
    if total is not None and total > shown:
        console.print(f"... and {total - shown} more ({more_hint})")
