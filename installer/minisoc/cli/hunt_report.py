"""The summary of `minisoc hunt` as people read it: a table built from the JSON summary
(`HuntSummary.as_dict`), and the warnings printed on stderr before it."""

from __future__ import annotations

from typing import Any

from rich.table import Table

SUPPRESSED_SHOWN = 5  # suppressed values named per warninglist (all of them: --json or --dead-letter)


def warnings(report: dict[str, Any]) -> list[str]:
    """`warning: ...` lines: each intel source that yielded no indicator, and why."""
    return [f"warning: --intel {source}: no indicator loaded ({why})"
            for source, why in report["indicators"]["empty_sources"].items()]


def _suppressed_rows(table: Table, indicators: dict[str, Any]) -> None:
    values: dict[str, list[str]] = {}
    for item in indicators["suppressed_values"]:
        values.setdefault(item["warninglist"], []).append(item["value"])
    for name, count in indicators["suppressed_by_warninglist"].items():
        shown = values.get(name, [])[:SUPPRESSED_SHOWN]
        more = f", … {count - len(shown)} more" if count > len(shown) else ""
        table.add_row("suppressed", f"{name}: {count} ({', '.join(shown)}{more})")


def summary_table(report: dict[str, Any]) -> Table:
    logs = report["logs"]
    indicators = report["indicators"]
    table = Table(title="Summary" + (" (interrupted)" if report["interrupted"] else ""), show_header=False)
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
    for label, key in (("invalid", "invalid_by_type"), ("unsupported", "unsupported_by_type")):
        if indicators[key]:
            table.add_row(label, ", ".join(f"{name} {count}" for name, count in indicators[key].items()))
    for source, why in indicators["empty_sources"].items():
        table.add_row("no indicator", f"{source}: {why}")
    _suppressed_rows(table, indicators)
    unusable = indicators["warninglist_entries_unusable"]
    if unusable:
        table.add_row("warninglists", "entries not applied (unusable here): "
                      + ", ".join(f"{name} {count}" for name, count in unusable.items()))
    skipped = indicators["warninglist_files_skipped"]
    if skipped:
        table.add_row("warninglists",
                      f"{len(skipped)} JSON file(s) skipped, not warninglists: " + ", ".join(skipped))
    if "dead_letter" in report:
        table.add_row("dead letter", f"{report['dead_letter']['entries']} refused line(s) and indicator(s) "
                      f"in {report['dead_letter']['path']}")
    elif logs["malformed"] or indicators["invalid"] or indicators["unsupported"]:
        table.add_row("dead letter", "rerun with --dead-letter FILE to see each refused line and indicator")
    table.add_row(
        "alerts",
        str(report["alerts"]) + (f" (stored: {report['stored_to']})" if "stored_to" in report else "")
        + (f"; {report['notices_ignored']} Zeek notice(s) not raised (--ignore-notice)"
           if report.get("notices_ignored") else ""),
    )
    table.add_row(
        "time",
        f"{report['elapsed_seconds']} s ({report['lines_per_second']} lines/s, "
        f"{report['workers']} worker(s))",
    )
    return table
