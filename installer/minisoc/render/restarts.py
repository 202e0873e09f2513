"""Which services a render asks to restart: those already in compose.yaml whose definition changed, that
mount, read as a secret or as an env_file something that changed, or take a changed `.env` variable into
their environment. New services are not listed: `minisoc up` starts them.

Pure: it reads the compose documents (old and new) and the lists of changes; `plan` prints its answer,
`render` returns it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


def services_to_restart(
    old_compose: Mapping[str, Any] | None,
    new_compose: Mapping[str, Any],
    changed: Iterable[PurePosixPath],
    old_env: Mapping[str, str],
    new_env: Mapping[str, str],
) -> dict[str, tuple[str, ...]]:
    """Service name -> why it must (re)start (paths relative to SITE_DIR, `compose.yaml`, `.env NAME`).

    Values of `.env` are compared, never returned.
    """
    changed_paths = sorted(set(changed))
    names = old_env.keys() | new_env.keys()
    changed_vars = {name for name in names if old_env.get(name) != new_env.get(name)}
    secret_files = {
        name: _site_path(str(spec.get("file", "")))
        for name, spec in (new_compose.get("secrets") or {}).items()
        if isinstance(spec, dict)
    }
    old_services = (old_compose or {}).get("services") or {}
    answer: dict[str, tuple[str, ...]] = {}
    for name, spec in sorted((new_compose.get("services") or {}).items()):
        if name not in old_services:
            continue  # a new service (or a first render): `minisoc up` starts it, nothing to restart
        reasons: list[str] = []
        if old_services[name] != spec:
            reasons.append("compose.yaml")
        sources = _sources(spec, secret_files)
        reasons += [str(path) for path in changed_paths if any(_under(path, src) for src in sources)]
        used = set(_VARIABLE.findall(json.dumps(spec.get("environment") or {})))
        reasons += [f".env {variable}" for variable in sorted(used & changed_vars)]
        if reasons:
            answer[name] = tuple(dict.fromkeys(reasons))
    return answer


def _sources(
    spec: Mapping[str, Any], secret_files: Mapping[str, PurePosixPath | None]
) -> list[PurePosixPath]:
    sources: list[PurePosixPath | None] = []
    for mount in spec.get("volumes") or []:
        if isinstance(mount, dict) and mount.get("type") == "bind":
            sources.append(_site_path(str(mount.get("source", ""))))
    sources += [_site_path(str(item)) for item in spec.get("env_file") or []]
    sources += [secret_files.get(str(name)) for name in spec.get("secrets") or []]
    return [source for source in sources if source is not None]


def _site_path(source: str) -> PurePosixPath | None:
    """`./config/x` -> config/x; absolute host paths (outside SITE_DIR) are not rendered files: None."""
    if not source.startswith("./"):
        return None
    return PurePosixPath(source[2:])


def _under(path: PurePosixPath, source: PurePosixPath) -> bool:
    return path == source or source in path.parents
