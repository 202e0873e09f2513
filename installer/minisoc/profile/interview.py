"""`minisoc init`'s questions, without the terminal: the profile built answer by answer.

Each answer is a list of Edits validated when it is given, against the template with every earlier edit (and
the `--set` edits) applied, by the one profile validator. A problem that a question still to come can fix
(e.g. the RAM budget after MISP was switched on) waits for that question; any other problem is returned so
the question is asked again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from minisoc.errors import Problem, ProfileError
from minisoc.profile.create import Edit, build_profile

# The dotted paths each question sets, in the order they are asked.
QUESTION_PATHS: tuple[str, ...] = (
    "site.name",
    "sensor",
    "intel.misp",
    "opensearch",
    "resources.ram_budget_mb",
    "site.admin_email",
)


def later_paths(path: str) -> tuple[str, ...]:
    """The paths of the questions asked after the one that sets `path`."""
    return QUESTION_PATHS[QUESTION_PATHS.index(path) + 1 :]


def _under(path: str, prefixes: Collection[str]) -> bool:
    return any(path == prefix or path.startswith(prefix + ".") for prefix in prefixes)


def answer_edit(path: str, value: object) -> Edit:
    """An answer as an Edit: the value is kept as given (a typed text stays text)."""
    return Edit(tuple(path.split(".")), value, path)


class Interview:
    """The template, the edits accepted so far, and the last valid profile (the next questions' defaults)."""

    def __init__(self, site_dir: Path, template: str, edits: Sequence[Edit | str] = ()) -> None:
        self.site_dir = site_dir
        self.template = template
        self.edits: list[Edit | str] = list(edits)
        _, self.profile = build_profile(site_dir, template, self.edits)  # bad --set: refused before asking

    def answer(self, edits: Sequence[Edit], later: Collection[str]) -> list[Problem]:
        """Keep `edits` and return [] when no problem is left but those of the `later` questions' paths."""
        try:
            _, profile = build_profile(self.site_dir, self.template, [*self.edits, *edits])
        except ProfileError as error:
            blocking = [problem for problem in error.problems if not _under(problem.path, later)]
            if blocking:
                return blocking
            self.edits += edits  # a later question fixes what is left
            return []
        self.edits += edits
        self.profile = profile
        return []
