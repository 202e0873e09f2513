"""Run an external command; failures become ExternalCommandError with the argv, stdout and stderr."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from minisoc.errors import ExternalCommandError, ReadinessTimeout


@dataclass(frozen=True)
class Completed:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_command(
    argv: Sequence[str],
    *,
    timeout_s: float | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    hint: str | None = None,
    input_text: str | None = None,
) -> Completed:
    """Run argv (never through a shell); raise ExternalCommandError on a non-zero exit when `check`."""
    full_env = {**os.environ, **env} if env else None
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
            env=full_env,
            input=input_text,
        )
    except FileNotFoundError as error:
        raise ExternalCommandError(
            argv, 127, "", str(error), hint or f"{argv[0]} is not installed; run .ci/bootstrap or install it"
        ) from error
    except subprocess.TimeoutExpired as error:
        raise ReadinessTimeout(
            f"{' '.join(argv[:4])} ... did not finish within {timeout_s:.0f}s",
            hint or "the engine may be overloaded; retry or raise the timeout",
        ) from error
    result = Completed(list(argv), done.returncode, done.stdout, done.stderr)
    if check and done.returncode != 0:
        raise ExternalCommandError(argv, done.returncode, done.stdout, done.stderr, hint)
    return result
