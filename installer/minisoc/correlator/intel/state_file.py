"""File names for sync state (feed manifests, MISP cursors); the state itself is read and written with
`minisoc.durable.read_json` / `write_json_atomic`."""

from __future__ import annotations

import re

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(text: str) -> bool:
    """Only a real UUID may become a file name under the state dir (a feed cannot pick `../x`)."""
    return bool(_UUID.match(text))


def safe_name(text: str) -> str:
    """A file-system-safe name for a source (its configured name may contain anything)."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-") or "source"
    return cleaned[:100] if _SAFE_NAME.match(cleaned[:100]) else "source"
