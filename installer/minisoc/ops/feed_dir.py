"""A MISP feed folder on disk (manifest.json, <uuid>.json, hashes.csv): publish and remove events atomically.

This is how `verify` publishes its canary through the local feed, and how a user (or a test) feeds the
running stack: the feed server serves the folder, the correlator syncs it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from minisoc.durable import write_atomic
from minisoc.site.layout import FEED_MANIFEST_NAME as MANIFEST

HASHES = "hashes.csv"


def atomic_write(path: Path, data: bytes) -> None:
    """Readers (the feed server, the correlator) never see a partial file; 0644: the feed server runs as
    another user."""
    write_atomic(path, data, mode=0o644)


def read_manifest(feed_dir: Path) -> dict[str, Any]:
    path = feed_dir / MANIFEST
    if not path.is_file():
        return {}
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def write_manifest(feed_dir: Path, manifest: dict[str, Any]) -> None:
    atomic_write(feed_dir / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))


def publish_event(
    feed_dir: Path, event_uuid: str, event: dict[str, Any], manifest_entry: dict[str, Any], hashes: list[str]
) -> None:
    """Add (or replace) one event: its file first, then the manifest that announces it, then hashes.csv."""
    feed_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(feed_dir / f"{event_uuid}.json", json.dumps({"Event": event}).encode("utf-8"))
    manifest = read_manifest(feed_dir)
    manifest[event_uuid] = manifest_entry
    write_manifest(feed_dir, manifest)
    rows = [row for row in _hash_rows(feed_dir) if not row.endswith("," + event_uuid)]
    rows += [f"{digest},{event_uuid}" for digest in hashes]
    atomic_write(feed_dir / HASHES, ("\n".join(rows) + "\n" if rows else "").encode("ascii"))


def remove_event(feed_dir: Path, event_uuid: str) -> None:
    """Withdraw one event: the manifest first (so no reader fetches it any more), then its file and hashes."""
    manifest = read_manifest(feed_dir)
    if manifest.pop(event_uuid, None) is not None:
        write_manifest(feed_dir, manifest)
    (feed_dir / f"{event_uuid}.json").unlink(missing_ok=True)
    rows = [row for row in _hash_rows(feed_dir) if not row.endswith("," + event_uuid)]
    if (feed_dir / HASHES).is_file():
        atomic_write(feed_dir / HASHES, ("\n".join(rows) + "\n" if rows else "").encode("ascii"))


def _hash_rows(feed_dir: Path) -> list[str]:
    path = feed_dir / HASHES
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text(encoding="ascii").splitlines() if line.strip()]
