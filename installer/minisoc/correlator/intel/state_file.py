"""Sync state that must survive restarts (feed manifests, MISP cursors), written atomically."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec

from minisoc.durable import write_atomic

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(text: str) -> bool:
    """Only a real UUID may become a file name under the state dir (a feed cannot pick `../x`)."""
    return bool(_UUID.match(text))


def safe_name(text: str) -> str:
    """A file-system-safe name for a source (its configured name may contain anything)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-") or "source"
    return cleaned[:100] if _SAFE_NAME.match(cleaned[:100]) else "source"


def write_json_atomic(path: Path, value: Any) -> None:
    write_atomic(path, msgspec.json.encode(value))


def read_json(path: Path, default: Any) -> Any:
    """The saved state, or `default` when there is none yet or it is unreadable (then we resync fully)."""
    try:
        return msgspec.json.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError):
        return default
