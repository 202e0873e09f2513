"""Run docker compose for one site: the one place where compose subprocesses start.

Each call raises ExternalCommandError (argv, stdout, stderr) on failure; readiness waits have a timeout,
a poll
interval and a hint saying what to check.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minisoc.compose import argv as compose
from minisoc.compose.process import Completed, run_command
from minisoc.errors import ReadinessTimeout, ServiceError


@dataclass(frozen=True)
class ServiceState:
    """One container of the project, as `docker compose ps --format json` reports it."""

    service: str
    name: str
    state: str  # running, exited, restarting, created, paused, dead
    health: str  # healthy, unhealthy, starting, or "" when the service has no healthcheck
    exit_code: int | None

    @property
    def ready(self) -> bool:
        return self.state == "running" and self.health in {"", "healthy"}


def parse_ps(output: str) -> list[ServiceState]:
    """compose v2 prints a JSON array (older 2.x) or one JSON object per line (2.21+): accept both."""
    text = output.strip()
    if not text:
        return []
    rows: list[dict[str, Any]]
    if text.startswith("["):
        rows = json.loads(text)
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    states = []
    for row in rows:
        exit_code = row.get("ExitCode")
        states.append(
            ServiceState(
                service=str(row.get("Service", "")),
                name=str(row.get("Name", "")),
                state=str(row.get("State", "")).lower(),
                health=str(row.get("Health", "")).lower(),
                exit_code=int(exit_code) if isinstance(exit_code, int) else None,
            )
        )
    return sorted(states, key=lambda s: s.service)


@dataclass(frozen=True)
class ComposeProject:
    """A rendered site: project name, compose file(s) and the .env file, run from the site directory."""

    name: str
    files: tuple[Path, ...]
    env_file: Path | None

    def argv(self, *args: str) -> list[str]:
        return compose.compose_argv(self.name, self.files, self.env_file, *args)

    def run(self, *args: str, timeout_s: float = 600, hint: str | None = None) -> Completed:
        return run_command(self.argv(*args), timeout_s=timeout_s, hint=hint)

    def up(self, *, wait_timeout_s: int = 600, services: Sequence[str] = ()) -> Completed:
        return self.run(
            *compose.up_args(wait_timeout_s=wait_timeout_s, services=services),
            timeout_s=wait_timeout_s + 120,
            hint="a service did not become healthy: run `minisoc status` and `minisoc logs SERVICE`",
        )

    def recreate(self, services: Sequence[str], *, wait_timeout_s: int = 600) -> Completed:
        return self.run(
            *compose.recreate_args(services, wait_timeout_s=wait_timeout_s),
            timeout_s=wait_timeout_s + 120,
            hint="a restarted service did not become healthy: run `minisoc logs SERVICE`",
        )

    def down(self, *, volumes: bool = False) -> Completed:
        return self.run(*compose.down_args(volumes=volumes), timeout_s=300)

    def ps(self) -> list[ServiceState]:
        return parse_ps(self.run(*compose.ps_args(), timeout_s=60).stdout)

    def config(self) -> dict[str, Any]:
        loaded = json.loads(
            self.run(
                *compose.config_args(),
                timeout_s=60,
                hint="the rendered compose.yaml is invalid: run `minisoc render`",
            ).stdout
        )
        if not isinstance(loaded, dict):
            raise ServiceError("docker compose config did not print a JSON object")
        return loaded

    def logs(self, service: str | None = None, *, tail: int | None = None) -> str:
        return self.run(*compose.logs_args(service, tail=tail), timeout_s=120).stdout

    def stream_logs(self, service: str | None, *, follow: bool, tail: int | None) -> int:
        """Let compose write straight to the terminal (used by `minisoc logs --follow`)."""
        return subprocess.run(
            self.argv(*compose.logs_args(service, follow=follow, tail=tail)), check=False
        ).returncode

    def service_action(self, action: str, *services: str) -> Completed:
        return self.run(*compose.service_args(action, *services), timeout_s=180)


def wait_until(
    check: Callable[[], bool],
    *,
    what: str,
    timeout_s: float,
    interval_s: float = 1.0,
    hint: str | None = None,
) -> float:
    """Poll `check` until True; return the seconds waited, raise ReadinessTimeout after timeout_s."""
    started = time.monotonic()
    while True:
        if check():
            return time.monotonic() - started
        if time.monotonic() - started >= timeout_s:
            raise ReadinessTimeout(f"{what}: not ready after {timeout_s:.0f}s", hint)
        time.sleep(interval_s)


def wait_healthy(project: ComposeProject, *, timeout_s: float, interval_s: float = 2.0) -> float:
    """Wait until every container of the project is running and healthy (or has no healthcheck)."""

    def all_ready() -> bool:
        states = project.ps()
        return bool(states) and all(state.ready for state in states)

    return wait_until(
        all_ready,
        what=f"compose project {project.name}",
        timeout_s=timeout_s,
        interval_s=interval_s,
        hint="run `minisoc status` to see which service is unhealthy, then `minisoc logs SERVICE`",
    )
