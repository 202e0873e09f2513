"""Host ports other compose projects on this engine will take when they start: a stopped site does not listen,
so `port_is_free` cannot see it, but its containers keep their port bindings (`docker inspect`).

The argv and the parser are pure; `reserved_ports` runs them (an engine that does not answer reserves nothing:
the engine check of the doctor reports that on its own).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from minisoc.compose.process import run_command
from minisoc.errors import MinisocError

PROJECT_LABEL = "com.docker.compose.project"
WILDCARDS = frozenset({"0.0.0.0", "::"})  # noqa: S104 - addresses compared, nothing bound


def list_argv() -> list[str]:
    """Every container of a compose project, running or not: id and project."""
    return ["docker", "ps", "--all", "--filter", f"label={PROJECT_LABEL}",
            "--format", "{{.ID}} {{.Label \"" + PROJECT_LABEL + "\"}}"]  # fmt: skip


def inspect_argv(ids: Sequence[str]) -> list[str]:
    return ["docker", "inspect", "--format", "{{json .HostConfig.PortBindings}}", *ids]


def parse_bindings(text: str) -> list[tuple[str, int]]:
    """`docker inspect` lines of `HostConfig.PortBindings` JSON -> (host address, port) bound; the address
    0.0.0.0 when docker was given none (it binds every address then)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line == "null":
            continue
        bindings = json.loads(line)
        for targets in (bindings or {}).values():
            for target in targets or []:
                port = str(target.get("HostPort") or "")
                if port.isdecimal():
                    found.append((str(target.get("HostIp") or "0.0.0.0"), int(port)))  # noqa: S104
    return found


def reserved_ports(exclude_projects: set[str]) -> dict[tuple[str, int], str]:
    """(address, port) -> the compose project whose containers bind it, for every project not excluded."""
    try:
        listed = run_command(list_argv(), check=False, timeout_s=60)
    except MinisocError:
        return {}
    by_project: dict[str, list[str]] = {}
    for line in listed.stdout.splitlines() if listed.returncode == 0 else []:
        container, _, project = line.strip().partition(" ")
        if container and project and project not in exclude_projects:
            by_project.setdefault(project, []).append(container)
    reserved: dict[tuple[str, int], str] = {}
    for project, ids in sorted(by_project.items()):
        try:
            done = run_command(inspect_argv(ids), check=False, timeout_s=60)
        except MinisocError:
            continue
        for binding in parse_bindings(done.stdout) if done.returncode == 0 else []:
            reserved.setdefault(binding, project)
    return reserved


def clashes(address: str, port: int, reserved: dict[tuple[str, int], str]) -> str | None:
    """The project that binds `port` on `address` (or on every address, or `address` is every address)."""
    for (bound, bound_port), project in reserved.items():
        if bound_port == port and (bound == address or WILDCARDS & {bound, address}):
            return project
    return None
