"""`minisoc alerts` run inside the site's correlator container, for stores the host cannot reach.

A SQLite store lives in the correlator's named volume (`/data/alerts.db`, owned by uid 10001): reading the
volume's host path (`docker volume inspect` Mountpoint) needs root, does not exist with Docker Desktop or
rootless engines, and SQLite's WAL files need write access next to the database. Running the command in the
container works with every engine and sees exactly what the correlator sees (`/config/correlator.yaml`, its
secrets, the MISP URL on the stack's network): `docker compose exec -T correlator minisoc alerts ...` while
the correlator runs, otherwise a one-off `docker compose run --rm --no-deps -T correlator alerts ...`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from minisoc.compose.process import Completed, run_command
from minisoc.compose.runner import ComposeProject
from minisoc.errors import ExternalCommandError, ServiceError, UsageError
from minisoc.review.store import AckResult, AlertListing, check_limit

SERVICE = "correlator"
CONTAINER_CONFIG = "/config/correlator.yaml"
TIMEOUT_S = 180.0


class ContainerReview:
    """Alerts read and marked by `minisoc` inside the correlator container of `project`."""

    def __init__(self, project: ComposeProject, *, running: bool) -> None:
        self.project = project
        self.running = running
        how = "exec" if running else "run"
        self.description = f"{how} in the {SERVICE} container of {project.name}"

    def argv(self, args: Sequence[str]) -> list[str]:
        """The docker compose command line running `minisoc <args>` in the correlator container."""
        inner = [*args, "--config", CONTAINER_CONFIG, "--json"]
        if self.running:
            return self.project.argv("exec", "-T", SERVICE, "minisoc", *inner)
        return self.project.argv("run", "--rm", "--no-deps", "-T", SERVICE, *inner)  # entrypoint: minisoc

    def list_alerts(self, since: str | None, limit: int) -> AlertListing:
        """The alerts as the container lists them; their total is known when fewer than `limit` came."""
        check_limit(limit)
        args = ["alerts", "list", "--limit", str(limit)]
        if since:
            args += ["--since", since]
        docs = self._run(args)
        if not isinstance(docs, list):
            raise ServiceError(f"{self.description}: did not print a JSON array of alerts")
        return AlertListing(docs, len(docs) if len(docs) < limit else None)

    def ack(self, alert_id: str, false_positive: bool) -> AckResult:
        args = ["alerts", "ack", alert_id, *(["--false-positive"] if false_positive else [])]
        reply = self._run(args)
        if not isinstance(reply, dict) or "id" not in reply:
            raise ServiceError(f"{self.description}: did not print the acknowledged alert")
        return AckResult(str(reply["id"]), dict(reply.get("ack") or {}), str(reply.get("sighting", "")))

    def _run(self, args: Sequence[str]) -> Any:
        done = run_command(
            self.argv(args),
            timeout_s=TIMEOUT_S,
            check=False,
            hint="check the stack with `minisoc status` and `minisoc logs correlator`",
        )
        if done.returncode != 0:
            raise relayed_error(done)
        try:
            return orjson.loads(done.stdout)
        except orjson.JSONDecodeError:
            raise ServiceError(
                f"{self.description}: the output is not JSON",
                "check that the correlator image matches this minisoc (`minisoc images build`)",
            ) from None

    def close(self) -> None:
        """Nothing stays open between commands."""


def relayed_error(done: Completed) -> UsageError | ServiceError | ExternalCommandError:
    """The error the command in the container reported (exit 2: usage, 3: service), or compose's own."""
    lines = [line.removeprefix("error: ") for line in done.stderr.splitlines() if line.startswith("error: ")]
    lines += _json_errors(done.stdout)  # the container ran with --json: its error is one object on stdout
    if lines and done.returncode == UsageError.exit_code:
        return UsageError(" / ".join(lines))
    if lines and done.returncode == ServiceError.exit_code:
        return ServiceError(" / ".join(lines))
    return ExternalCommandError(
        done.argv,
        done.returncode,
        done.stdout,
        done.stderr,
        "is the stack up and the correlator image built? run `minisoc up SITE_DIR`, then `minisoc status`",
    )


def _json_errors(stdout: str) -> list[str]:
    """`error; hint: hint` of each JSON error object the command printed (`--json` errors, cli/main.py)."""
    found = []
    for line in stdout.splitlines():
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict) and value.get("ok") is False and isinstance(value.get("error"), str):
            hint = value.get("hint")
            found.append(value["error"] + (f"; hint: {hint}" if isinstance(hint, str) and hint else ""))
    return found
