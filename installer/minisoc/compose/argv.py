"""Pure argv builders for `docker compose` (v2) calls. No side effects: unit-tested directly."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def compose_argv(
    project: str, files: Sequence[Path], env_file: Path | None, *args: str, docker: str = "docker"
) -> list[str]:
    """`docker compose -p PROJECT -f FILE... [--env-file ENV] ARGS...`."""
    if not project:
        raise ValueError("a compose project name is required")
    if not files:
        raise ValueError("at least one compose file is required")
    argv = [docker, "compose", "--project-name", project]
    for path in files:
        argv += ["--file", str(path)]
    if env_file is not None:
        argv += ["--env-file", str(env_file)]
    argv += list(args)
    return argv


def up_args(
    *,
    wait: bool = True,
    wait_timeout_s: int = 300,
    services: Sequence[str] = (),
    build: bool = False,
    force_recreate: bool = False,
    no_deps: bool = False,
) -> list[str]:
    args = ["up", "--detach", "--remove-orphans"]
    if wait:
        args += ["--wait", "--wait-timeout", str(wait_timeout_s)]
    args.append("--build" if build else "--no-build")
    if force_recreate:
        args.append("--force-recreate")
    if no_deps:
        args.append("--no-deps")
    return [*args, *services]


def recreate_args(services: Sequence[str], *, wait_timeout_s: int = 300) -> list[str]:
    """`up --force-recreate --no-deps --wait SERVICE...`: new containers for exactly these services, so they
    read the files they mount again (a bind-mounted file replaced by an atomic rename stays the old inode in a
    running container; a compose secret is the file as it was at start). Nothing else is touched."""
    if not services:
        raise ValueError("recreate needs at least one service (without one compose recreates them all)")
    return up_args(wait_timeout_s=wait_timeout_s, services=sorted(set(services)), force_recreate=True,
                   no_deps=True)


def down_args(*, volumes: bool = False, timeout_s: int = 30) -> list[str]:
    args = ["down", "--remove-orphans", "--timeout", str(timeout_s)]
    if volumes:
        args.append("--volumes")
    return args


def rm_args(services: Sequence[str]) -> list[str]:
    """`rm --stop --force SERVICE...`: stop and remove exactly these services' containers (a lab reset removes
    the correlator's so that its data volume can go)."""
    if not services:
        raise ValueError("rm needs a service (without one compose removes every stopped container)")
    return ["rm", "--stop", "--force", *sorted(set(services))]


def ps_args(*, all_containers: bool = True) -> list[str]:
    args = ["ps", "--format", "json"]
    if all_containers:
        args.append("--all")
    return args


def logs_args(
    service: str | None = None, *, follow: bool = False, tail: int | None = None, timestamps: bool = False
) -> list[str]:
    args = ["logs", "--no-color"]
    if follow:
        args.append("--follow")
    if tail is not None:
        args += ["--tail", str(tail)]
    if timestamps:
        args.append("--timestamps")
    if service:
        args.append(service)
    return args


def config_args() -> list[str]:
    return ["config", "--format", "json"]


def service_args(action: str, *services: str) -> list[str]:
    """start/stop/restart/kill of named services (the e2e fault tests use these)."""
    if action not in {"start", "stop", "restart", "kill", "pause", "unpause"}:
        raise ValueError(f"unsupported compose action {action!r}")
    return [action, *services]
