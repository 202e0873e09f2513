"""Load and validate `SITE_DIR/minisoc.yaml` once, at the edge: every problem at once, or a SiteProfile.

`load_profile(site_dir)` is the one entry point the rest of minisoc uses.
"""

from __future__ import annotations

import copy
from pathlib import Path

from pydantic import ValidationError

from minisoc.errors import Problem, ProfileError, UsageError
from minisoc.profile.checks import check_paths_inside, run_checks
from minisoc.profile.model import SiteProfile
from minisoc.profile.problems import problems_from_validation
from minisoc.profile.yaml_source import parse_yaml
from minisoc.site.layout import PROFILE_FILE_NAME


def profile_file(site_dir: Path) -> Path:
    return site_dir / PROFILE_FILE_NAME


def load_profile(site_dir: Path) -> SiteProfile:
    """The validated profile of a site; raises ProfileError (exit 2) listing every problem."""
    path = profile_file(site_dir)
    if not path.is_file():
        raise UsageError(
            f"{path}: no site profile here",
            f"create one with `minisoc init {site_dir} --template small-site`",
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(
            f"{path}: cannot be read ({error.__class__.__name__})",
            "check the file's permissions and that it is UTF-8 text",
        ) from None
    return parse_profile(text, source=PROFILE_FILE_NAME, site_dir=site_dir)


def parse_profile(text: str, source: str = PROFILE_FILE_NAME, site_dir: Path | None = None) -> SiteProfile:
    """Validate profile YAML text; with `site_dir`, also check that existing paths stay inside it."""
    document, problems = parse_yaml(text, source)
    if problems:
        raise ProfileError(problems, source)
    return validate_document(document, source, site_dir)


def validate_document(
    document: object, source: str = PROFILE_FILE_NAME, site_dir: Path | None = None
) -> SiteProfile:
    """Validate an already-parsed YAML document (schema, then cross-field rules, then paths)."""
    if document is None:
        raise ProfileError(
            [
                Problem(
                    "(top level)",
                    "the profile is empty",
                    "start from `minisoc profile sample` or `minisoc init`",
                )
            ],
            source,
        )
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise ProfileError(
            [
                Problem(
                    "(top level)",
                    f"expected a mapping of sections, got {kind}",
                    "the file must start with keys such as `site:`",
                )
            ],
            source,
        )
    try:
        profile = SiteProfile.model_validate(document)
    except ValidationError as error:
        problems = problems_from_validation(error, SiteProfile)
        problems += _cross_field_problems_despite(document, error, {p.path for p in problems})
        raise ProfileError(problems, source) from None
    problems = run_checks(profile)
    if site_dir is not None:
        problems += check_paths_inside(profile, site_dir)
    if problems:
        raise ProfileError(problems, source)
    return profile


def _cross_field_problems_despite(
    document: dict[object, object], error: ValidationError, reported: set[str]
) -> list[Problem]:
    """Cross-field problems of the profile with its invalid values dropped (defaults used instead).

    So a user sees a port clash and a typo in one run. Gives up quietly when dropping is not enough.
    """
    repaired = copy.deepcopy(document)
    for _ in range(_REPAIR_ROUNDS):
        for detail in error.errors(include_url=False):
            loc = [part for part in detail["loc"] if part != "[key]"]
            if detail["type"] == "missing":
                loc = loc[:-1]  # drop the enclosing value so its default applies
            if len(loc) < 2 or not _drop(repaired, loc):
                return []
        try:
            profile = SiteProfile.model_validate(repaired)
        except ValidationError as again:
            error = again
            continue
        return [problem for problem in run_checks(profile) if problem.path not in reported]
    return []


_REPAIR_ROUNDS = 3


def _drop(document: object, loc: list[int | str]) -> bool:
    """Remove the value at `loc` (a whole list when the value is a list item); True when it is gone."""
    parent: object = None
    parent_key: int | str | None = None
    node = document
    for part in loc[:-1]:
        child = _child(node, part)
        if child is _MISSING:
            return True  # an enclosing value was dropped already
        parent, parent_key, node = node, part, child
    last = loc[-1] if loc else None
    if isinstance(node, dict):
        node.pop(last, None)
        return True
    if isinstance(node, list) and isinstance(parent, dict):
        parent.pop(parent_key, None)
        return True
    return False


_MISSING = object()


def _child(node: object, part: int | str) -> object:
    if isinstance(node, dict):
        return node.get(part, _MISSING)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _MISSING
