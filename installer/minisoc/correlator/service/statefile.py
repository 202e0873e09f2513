"""State that must survive a restart, written atomically (temp file, fsync, rename, fsync the directory)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from minisoc.durable import fsync_directory, write_atomic

__all__ = ["fsync_directory", "read_json", "write_atomic", "write_json_atomic"]


def write_json_atomic(path: Path, value: Any) -> None:
    write_atomic(path, orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2))


def read_json(path: Path, default: Any = None) -> Any:
    """The JSON in `path`, or `default` when the file does not exist."""
    try:
        return orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return default
