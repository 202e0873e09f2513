"""How compose.yaml names a host path the profile gives (the site's paths themselves: `minisoc.site`)."""

from __future__ import annotations

from pathlib import PurePosixPath


def compose_source(path: PurePosixPath) -> str:
    """How compose.yaml names a host path: `./relative` inside SITE_DIR, or the absolute path."""
    return str(path) if path.is_absolute() else f"./{path}"
