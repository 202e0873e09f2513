"""The result objects of preflight and verification checks, rendered as text or JSON by the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Check:
    """One check: what was checked, whether it passed, what was found, and how to fix a failure."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None
    seconds: float | None = None
    warning: bool = False  # a failed warning does not fail the report


@dataclass(frozen=True)
class Report:
    title: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok or check.warning for check in self.checks)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "ok": self.ok, "checks": [asdict(check) for check in self.checks]}

    def text_lines(self) -> list[str]:
        lines = []
        for check in self.checks:
            mark = "ok  " if check.ok else ("warn" if check.warning else "FAIL")
            timing = f" ({check.seconds:.1f}s)" if check.seconds is not None else ""
            lines.append(f"[{mark}] {check.name}: {check.detail}{timing}")
            if not check.ok and check.fix:
                lines.append(f"       fix: {check.fix}")
        lines.append(f"{self.title}: {'all checks passed' if self.ok else 'some checks failed'}")
        return lines
