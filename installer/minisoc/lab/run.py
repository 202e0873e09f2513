"""Run one site operation on every copy of a lab (or one): `minisoc lab up/down/status/verify/reset`.

Copies are taken one after the other (each `up` already starts its services in parallel; several at once
would only fight for the same cores). A copy that fails does not stop the others: every copy gets its
outcome, and the lab's exit code is non-zero when any failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minisoc.errors import MinisocError
from minisoc.lab.layout import copies, copy_number
from minisoc.ops.checks import Report

Progress = Callable[[str], None]
# One copy's work: its site directory and a progress callback in, a check report or a status document out
CopyAction = Callable[[Path, Progress], Report | dict[str, Any]]
# Told when a copy starts (number, site directory) and when it is done (its outcome)
CopyStarted = Callable[[int, Path], None]


@dataclass(frozen=True)
class CopyOutcome:
    number: int
    site_dir: Path
    exit_code: int  # 0 when the copy's action passed
    summary: str  # one line for the per-copy summary
    document: dict[str, Any]  # the copy's report or status as JSON, or the error

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class LabOutcome:
    action: str
    copies: tuple[CopyOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(outcome.ok for outcome in self.copies)

    @property
    def exit_code(self) -> int:
        return max((outcome.exit_code for outcome in self.copies), default=0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "ok": self.ok,
            "copies": [
                {"copy": outcome.number, "site_dir": str(outcome.site_dir), "ok": outcome.ok,
                 "exit_code": outcome.exit_code, "summary": outcome.summary, "result": outcome.document}
                for outcome in self.copies
            ],
        }  # fmt: skip

    def summary_lines(self) -> list[str]:
        lines = [
            f"[{'ok  ' if item.ok else 'FAIL'}] copy {item.number:02d} ({item.site_dir}): {item.summary}"
            for item in self.copies
        ]
        failed = sum(not outcome.ok for outcome in self.copies)
        verdict = "every copy passed" if not failed else f"{failed} of {len(self.copies)} copies failed"
        return [*lines, f"lab {self.action}: {verdict}"]


def _outcome(number: int, site_dir: Path, result: Report | dict[str, Any]) -> CopyOutcome:
    if isinstance(result, Report):
        failed = [check.name for check in result.checks if not (check.ok or check.warning)]
        summary = "all checks passed" if not failed else "failed: " + ", ".join(failed)
        return CopyOutcome(number, site_dir, result.exit_code, summary, result.as_dict())
    ready = bool(result.get("all_ready"))
    services = result.get("services") or []
    summary = f"{'all services ready' if ready else 'not ready'} ({len(services)} services)"
    return CopyOutcome(number, site_dir, 0 if ready else 1, summary, result)


def for_each_copy(
    action_name: str,
    lab_dir: Path,
    action: CopyAction,
    *,
    only: int | None = None,
    started: CopyStarted | None = None,
    progress: Progress | None = None,
) -> LabOutcome:
    """Run `action` on each copy (copy `only` alone when given); an error in one copy is its outcome."""
    outcomes = []
    for site_dir in copies(lab_dir, only):
        number = copy_number(site_dir)
        if started is not None:
            started(number, site_dir)
        try:
            result = action(site_dir, progress or (lambda _message: None))
        except MinisocError as error:
            line = error.message + (f"; hint: {error.hint}" if error.hint else "")
            outcomes.append(CopyOutcome(
                number, site_dir, error.exit_code, line,
                {"ok": False, "error": error.message, "hint": error.hint, "exit_code": error.exit_code},
            ))  # fmt: skip
            continue
        outcomes.append(_outcome(number, site_dir, result))
    return LabOutcome(action_name, tuple(outcomes))
