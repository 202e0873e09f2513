"""What `minisoc status` shows per input next to Zeek (syslog, netflow), read from the correlator's /healthz
(`components.inputs`, correlator/service/inputs.py): receiving or not, records per second, last record age."""

from __future__ import annotations

from typing import Any

INPUT_KEYS = ("state", "records", "malformed", "records_per_second", "last_record_age_seconds", "dir")


def input_summaries(components: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-input part of a /healthz body's components ({} when no input is on)."""
    inputs = components.get("inputs")
    if not isinstance(inputs, dict):
        return {}
    return {str(name): {key: info.get(key) for key in INPUT_KEYS}
            for name, info in sorted(inputs.items()) if isinstance(info, dict)}


def input_lines(inputs: dict[str, dict[str, Any]]) -> list[str]:
    """`syslog: receiving, 12.5 records/s, last record 3.0s ago (1200 read, 2 malformed)` per input."""
    lines = []
    for name, info in inputs.items():
        age = info.get("last_record_age_seconds")
        last = f"last record {age}s ago" if age is not None else "no record yet"
        state = info.get("state")
        where = f" ({info.get('dir')} does not exist: is the receiver up?)" if state == "missing" else ""
        lines.append(f"input {name}: {state}, {info.get('records_per_second', 0)} records/s, {last} "
                     f"({info.get('records', 0)} read, {info.get('malformed', 0)} malformed){where}")
    return lines
