"""One exception hierarchy for the whole product, turned into exit codes at the CLI edge only.

Every error carries a user-facing message and an optional hint. Messages must never contain secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class MinisocError(Exception):
    """Root of every error that is reported to the user (no traceback unless --debug)."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def lines(self) -> list[str]:
        """The lines printed on stderr for this error."""
        text = self.message
        if self.hint:
            text += f"; hint: {self.hint}"
        return [text]


class UsageError(MinisocError):
    """Bad arguments or unreadable input given by the user."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One validation problem, printed as `dotted.path: what is wrong; hint: how to fix`."""

    path: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        if self.hint:
            text += f"; hint: {self.hint}"
        return text


class ProfileError(UsageError):
    """The site profile is invalid: one line per problem."""

    def __init__(self, problems: Sequence[Problem], source: str = "minisoc.yaml") -> None:
        super().__init__(f"{source}: {len(problems)} problem(s)")
        self.problems = list(problems)
        self.source = source

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


class IntelError(UsageError):
    """Intel (a feed, an event file, an intel list) could not be read or understood."""


class LogSourceError(UsageError):
    """A Zeek log path could not be read."""


class ExternalCommandError(MinisocError):
    """A subprocess (docker, docker compose) failed: the argv, its stdout and its stderr are reported."""

    exit_code = 3

    def __init__(
        self, argv: Sequence[str], returncode: int, stdout: str, stderr: str, hint: str | None = None
    ) -> None:
        super().__init__(f"command failed with exit code {returncode}: {' '.join(argv)}", hint)
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    def lines(self) -> list[str]:
        out = super().lines()
        if self.stdout.strip():
            out.append("stdout: " + self.stdout.strip()[-2000:])
        if self.stderr.strip():
            out.append("stderr: " + self.stderr.strip()[-2000:])
        return out


class ServiceError(MinisocError):
    """A service did not answer, or answered wrongly (OpenSearch, MISP, a feed server, the engine)."""

    exit_code = 3


class ReadinessTimeout(ServiceError):
    """A readiness check ran out of time: the message says what was awaited."""


class VerificationFailed(MinisocError):
    """`minisoc verify` ran and at least one check failed."""

    exit_code = 1
