"""`minisoc init`: a commented SITE_DIR/minisoc.yaml from a template, with `dotted.key=value` edits applied
(comments kept, through ruamel.yaml) and the result validated before anything is written.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from minisoc.durable import write_atomic
from minisoc.errors import UsageError
from minisoc.profile.load import PROFILE_FILE_NAME, parse_profile
from minisoc.profile.model import SiteProfile
from minisoc.resources import templates_dir

TEMPLATE_SUFFIX = ".yaml"


def template_names() -> list[str]:
    """The profile templates shipped with minisoc."""
    return sorted(
        entry.name.removesuffix(TEMPLATE_SUFFIX)
        for entry in templates_dir().iterdir()
        if entry.name.endswith(TEMPLATE_SUFFIX)
    )


def template_text(name: str) -> str:
    entry = templates_dir() / f"{name}{TEMPLATE_SUFFIX}"
    if not entry.is_file():
        raise UsageError(f"--template {name}: no such template", "use one of " + ", ".join(template_names()))
    return entry.read_text(encoding="utf-8")


def parse_assignment(text: str) -> tuple[list[str], object]:
    """`a.b.c=value` -> (["a", "b", "c"], value read as a YAML scalar/flow value)."""
    key, sep, raw = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise UsageError(f"--set {text}: expected dotted.key=value", "e.g. --set opensearch.heap_mb=2048")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw  # not YAML: take the text as it is
    return parts, value


def apply_assignments(text: str, assignments: Sequence[str]) -> str:
    """The profile text with each `dotted.key=value` applied, comments and layout kept."""
    if not assignments:
        return text
    round_trip = YAML()
    round_trip.preserve_quotes = True
    document = round_trip.load(text)
    if not isinstance(document, CommentedMap):
        raise UsageError("the template is not a YAML mapping", "this is a packaging bug: report it")
    for assignment in assignments:
        parts, value = parse_assignment(assignment)
        _assign(document, parts, value, assignment)
    out = io.StringIO()
    round_trip.dump(document, out)
    return out.getvalue()


def _assign(document: CommentedMap, parts: list[str], value: object, assignment: str) -> None:
    node: Any = document
    for index, part in enumerate(parts[:-1]):
        child = _child(node, part, assignment)
        if child is None:
            child = CommentedMap()
            _set(node, part, child, assignment)
        elif not isinstance(child, CommentedMap | CommentedSeq):
            raise UsageError(
                f"--set {assignment}: {'.'.join(parts[: index + 1])} is a value, not a section",
                "set the section's keys, e.g. ports.misp.port=8443",
            )
        node = child
    _set(node, parts[-1], value, assignment)


def _child(node: Any, part: str, assignment: str) -> Any:
    if isinstance(node, CommentedSeq):
        return node[_index(node, part, assignment)]
    return node.get(part)


def _set(node: Any, part: str, value: object, assignment: str) -> None:
    if isinstance(node, CommentedSeq):
        node[_index(node, part, assignment)] = value
    else:
        node[part] = value


def _index(node: CommentedSeq, part: str, assignment: str) -> int:
    if not part.isdecimal() or int(part) >= len(node):
        raise UsageError(
            f"--set {assignment}: {part!r} is not an index of that list ({len(node)} items)",
            "edit lists in minisoc.yaml directly",
        )
    return int(part)


def create_profile(
    site_dir: Path, template: str, assignments: Sequence[str] = (), *, force: bool = False
) -> tuple[Path, SiteProfile]:
    """Write SITE_DIR/minisoc.yaml from `template` with `assignments`; refuse to overwrite without `force`."""
    target = site_dir / PROFILE_FILE_NAME
    _refuse_wrong_kinds(site_dir, target)
    if target.exists() and not force:
        raise UsageError(
            f"{target}: a site profile exists already",
            "edit it, or pass --force to replace it with a new one",
        )
    text = apply_assignments(template_text(template), assignments)
    profile = parse_profile(text, source=PROFILE_FILE_NAME, site_dir=site_dir if site_dir.is_dir() else None)
    try:
        site_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(target, text.encode("utf-8"), mode=0o644)
    except OSError as error:
        raise UsageError(
            f"{target}: cannot be written ({error.strerror or type(error).__name__})",
            "check that its folder is yours and writable, and that the disk has room",
        ) from None
    return target, profile


def _refuse_wrong_kinds(site_dir: Path, target: Path) -> None:
    """A folder where minisoc.yaml goes (even with --force: it may hold the user's files), or a file where
    SITE_DIR or one of its parents goes, is a one-line error, never a traceback."""
    for folder in (site_dir, *site_dir.parents):
        if folder.exists() and not folder.is_dir():
            raise UsageError(
                f"{folder}: is not a folder, so {target} cannot be written",
                "choose another SITE_DIR, or move that file away",
            )
    if target.exists() and not target.is_file():
        raise UsageError(
            f"{target}: is a folder, not a file (--force replaces a profile, never a folder)",
            "move that folder away, or choose another SITE_DIR",
        )
