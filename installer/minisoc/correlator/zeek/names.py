"""Zeek log file names: which files are logs, and which log type a file name implies."""

from __future__ import annotations

import re

# Name endings of Zeek log files (plain or compressed). Anything else in a log directory is skipped.
LOG_SUFFIXES = (".log", ".json", ".log.gz", ".json.gz")
_FORMAT_PARTS = frozenset({"log", "json", "gz", "ndjson", "jsonl"})
_STAMP = r"\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}"  # Log::default_rotation_date_format, %Y-%m-%d-%H-%M-%S
# A Zeek cluster's logger under the Supervisor rotates into `log-queue/` with zeek-archiver's names
# (base/frameworks/cluster/nodes/logger.zeek, archiver_rotation_format_func): `<path>__<open>__<close>__` and,
# with several loggers, a `key=value,...__` metadata part, then the writer's extension. Examples from
# zeek/zeek-aux zeek-archiver.cc: `test__2020-07-16-09-43-10__2020-07-16-09-43-10__.log`,
# `test__2020-07-16-09-43-10__2020-07-16-09-43-10__log_suffix=logger-1,pid=4711__.log`.
ARCHIVER_NAME = re.compile(
    rf"^(?P<path>[^._/][^/]*?)__{_STAMP}__{_STAMP}__(?:[^/_][^/]*__)?\.(?:log|json)(?:\.gz)?$"
)
# Where that logger rotates to, relative to its working directory (Log::default_rotation_dir).
ARCHIVER_QUEUE_DIR = "log-queue"


def is_log_file_name(name: str) -> bool:
    """True for conn.log, dns.json.gz, conn.2024-01-01-00-00-00.log.gz, http.log.json, ..."""
    return not name.startswith(".") and name.endswith(LOG_SUFFIXES)


def log_type_from_name(name: str) -> str | None:
    """The log type a file name implies: the last dotted part that is neither a format suffix nor a date.

    `conn.log` -> conn, `dns.json.gz` -> dns, `conn.2024-01-01-00-00-00.log.gz` -> conn,
    `conn.00:00:00-01:00:00.log.gz` -> conn, `json-non-printable-escaping.http.log.json` -> http,
    `conn__2020-07-16-09-43-10__2020-07-16-10-00-00__.log` -> conn (a supervised cluster's rotation). What
    follows the last format suffix is another tool's decoration, not the type: `conn.log.labeled` -> conn.
    """
    archived = ARCHIVER_NAME.match(name)
    if archived is not None:  # `conn__<open>__<close>__.log` (a supervised cluster's logger)
        return archived.group("path")
    every = name.split(".")
    formats = [index for index, part in enumerate(every) if part in _FORMAT_PARTS]
    if formats and formats[-1] > 0:
        every = every[: formats[-1]]
    parts = [part for part in every if part and part not in _FORMAT_PARTS and not part[0].isdigit()]
    return parts[-1] if parts else None
