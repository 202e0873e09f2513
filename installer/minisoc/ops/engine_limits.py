"""Fit the rendered compose file to the engine's limits, without changing compose.yaml.

Some engines run under a hard open-files limit below what a service asks for (e.g. dockerd started inside a
CI sandbox with `nofile` 20000, where OpenSearch asks for 65536): the container then fails to start with
"error setting rlimit type 7". `up` measures the engine's limit once and, only when it is lower, writes an
override (SITE_DIR/.minisoc-state/compose.engine-limits.yaml) lowering those ulimits to what the engine
allows; every compose call of the site then uses it. Single-node OpenSearch only warns about the lower limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from minisoc.compose.process import run_command
from minisoc.site import SiteLayout


def engine_nofile_limit(image: str) -> int | None:
    """The hard open-files limit a container of `image` gets by default (None when it cannot be measured)."""
    done = run_command(
        ["docker", "run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", "ulimit -Hn"],
        check=False,
        timeout_s=120,
    )
    text = done.stdout.strip()
    if done.returncode != 0:
        return None
    return 1 << 30 if text == "unlimited" else int(text) if text.isdigit() else None


def requested_nofile(document: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """service -> (soft, hard) nofile ulimits the compose document asks for."""
    wanted: dict[str, tuple[int, int]] = {}
    for name, service in (document.get("services") or {}).items():
        nofile = ((service or {}).get("ulimits") or {}).get("nofile")
        if isinstance(nofile, dict):
            wanted[name] = (int(nofile.get("soft", 0)), int(nofile.get("hard", 0)))
        elif isinstance(nofile, int):
            wanted[name] = (nofile, nofile)
    return wanted


def limits_override(wanted: dict[str, tuple[int, int]], engine_limit: int) -> dict[str, Any] | None:
    """A compose override lowering every nofile ulimit above the engine's limit; None when none is."""
    lowered = {
        name: {"ulimits": {"nofile": {"soft": min(soft, engine_limit), "hard": min(hard, engine_limit)}}}
        for name, (soft, hard) in sorted(wanted.items())
        if hard > engine_limit or soft > engine_limit
    }
    return {"services": lowered} if lowered else None


def write_override(files: SiteLayout, document: dict[str, Any]) -> Path | None:
    """Measure and write (or remove) the override for this site (`document`: its compose.yaml, as render
    made it); return its path when one is needed."""
    path = files.engine_limits_file
    wanted = requested_nofile(document)
    override = None
    if wanted:
        image = str(document["services"][sorted(wanted)[0]]["image"])
        limit = engine_nofile_limit(image)
        override = limits_override(wanted, limit) if limit is not None else None
    if override is None:
        path.unlink(missing_ok=True)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Written by `minisoc up`: this engine allows fewer open files than compose.yaml asks for.\n"
    path.write_text(header + yaml.safe_dump(override, sort_keys=True), encoding="utf-8")
    return path
