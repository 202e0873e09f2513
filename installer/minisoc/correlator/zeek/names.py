"""Zeek log file names: which files are logs, and which log type a file name implies."""

from __future__ import annotations

# Name endings of Zeek log files (plain or compressed). Anything else in a log directory is skipped.
LOG_SUFFIXES = (".log", ".json", ".log.gz", ".json.gz")
_FORMAT_PARTS = frozenset({"log", "json", "gz", "ndjson", "jsonl"})


def is_log_file_name(name: str) -> bool:
    """True for conn.log, dns.json.gz, conn.2024-01-01-00-00-00.log.gz, http.log.json, ..."""
    return not name.startswith(".") and name.endswith(LOG_SUFFIXES)


def log_type_from_name(name: str) -> str | None:
    """The log type a file name implies: the last dotted part that is neither a format suffix nor a date.

    `conn.log` -> conn, `dns.json.gz` -> dns, `conn.2024-01-01-00-00-00.log.gz` -> conn,
    `conn.00:00:00-01:00:00.log.gz` -> conn, `json-non-printable-escaping.http.log.json` -> http. What follows
    the last format suffix is another tool's decoration, not the type: `conn.log.labeled` -> conn.
    """
    every = name.split(".")
    formats = [index for index, part in enumerate(every) if part in _FORMAT_PARTS]
    if formats and formats[-1] > 0:
        every = every[: formats[-1]]
    parts = [part for part in every if part and part not in _FORMAT_PARTS and not part[0].isdigit()]
    return parts[-1] if parts else None
