"""`minisoc init`: a commented SITE_DIR/minisoc.yaml from a template, with `dotted.key=value` edits applied
(comments kept, through ruamel.yaml) and the result validated before anything is written.
"""

from __future__ import annotations

import io
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from minisoc.durable import write_atomic
from minisoc.errors import UsageError
from minisoc.profile.load import parse_profile
from minisoc.profile.model import SiteProfile
from minisoc.resources import templates_dir
from minisoc.site.layout import PROFILE_FILE_NAME

TEMPLATE_SUFFIX = ".yaml"
SITE_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_site_id() -> str:
    """A fresh `site.id`: a letter, then five letters or digits (26 * 36^5 ids: no two sites meet)."""
    return secrets.choice(string.ascii_lowercase) + "".join(
        secrets.choice(SITE_ID_ALPHABET) for _ in range(5)
    )


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


@dataclass(frozen=True)
class Edit:
    """One value set in the template: `path` (dotted, split), the value, and how the user wrote it."""

    path: tuple[str, ...]
    value: object
    origin: str  # for error messages, e.g. "--set site.name=x"


def parse_assignment(text: str) -> Edit:
    """`a.b.c=value` -> an Edit of a.b.c with the value read as a YAML scalar/flow value."""
    key, sep, raw = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise UsageError(f"--set {text}: expected dotted.key=value", "e.g. --set opensearch.heap_mb=2048")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw  # not YAML: take the text as it is
    return Edit(tuple(parts), value, f"--set {text}")


def with_site_id(text: str, site_id: str) -> str:
    """The template text with `site.id` set right after `site.name`, comments and layout kept."""
    document = _load_round_trip(text)
    site = document.get("site")
    if not isinstance(site, CommentedMap):
        raise UsageError("the template has no `site` section", "this is a packaging bug: report it")
    if "id" in site:
        site["id"] = site_id
    else:
        site.insert(1, "id", site_id, comment="this site's own (compose project, volumes): keep it")
    return _dump_round_trip(document)


def _load_round_trip(text: str) -> CommentedMap:
    document = _round_trip().load(text)
    if not isinstance(document, CommentedMap):
        raise UsageError("the template is not a YAML mapping", "this is a packaging bug: report it")
    return document


def _round_trip() -> YAML:
    round_trip = YAML()
    round_trip.preserve_quotes = True
    round_trip.representer.add_representer(type(None), _represent_null)  # `key: null`, as templates say
    return round_trip


def _represent_null(representer: Any, _: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _dump_round_trip(document: CommentedMap) -> str:
    out = io.StringIO()
    _round_trip().dump(document, out)
    return out.getvalue()


def apply_assignments(text: str, assignments: Sequence[str | Edit]) -> str:
    """The profile text with each edit (an Edit, or `dotted.key=value` text) applied, comments kept."""
    if not assignments:
        return text
    document = _load_round_trip(text)
    for assignment in assignments:
        edit = assignment if isinstance(assignment, Edit) else parse_assignment(assignment)
        _assign(document, list(edit.path), _as_written(edit.value), edit.origin)
    return _dump_round_trip(document)


def _as_written(value: object) -> object:
    """A text value quoted when the profile loader would read it as something else (`yes`, `8192`, `null`).

    ruamel writes YAML 1.2, where `yes` is text; the profile is read by PyYAML (YAML 1.1): `yes` is true.
    """
    if not isinstance(value, str):
        return value
    try:
        reread = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    return value if reread == value else SingleQuotedScalarString(value)


def _assign(document: CommentedMap, parts: list[str], value: object, origin: str) -> None:
    node: Any = document
    for index, part in enumerate(parts[:-1]):
        child = _child(node, part, origin)
        if child is None:
            child = CommentedMap()
            _set(node, part, child, origin)
        elif not isinstance(child, CommentedMap | CommentedSeq):
            raise UsageError(
                f"{origin}: {'.'.join(parts[: index + 1])} is a value, not a section",
                "set the section's keys, e.g. ports.misp.port=8443",
            )
        node = child
    _set(node, parts[-1], value, origin)


def _child(node: Any, part: str, origin: str) -> Any:
    if isinstance(node, CommentedSeq):
        return node[_index(node, part, origin)]
    return node.get(part)


def _set(node: Any, part: str, value: object, origin: str) -> None:
    if isinstance(node, CommentedSeq):
        node[_index(node, part, origin)] = value
    else:
        node[part] = value


def _index(node: CommentedSeq, part: str, origin: str) -> int:
    if not part.isdecimal() or int(part) >= len(node):
        raise UsageError(
            f"{origin}: {part!r} is not an index of that list ({len(node)} items)",
            "edit lists in minisoc.yaml directly",
        )
    return int(part)


def refuse_overwrite(site_dir: Path, *, force: bool) -> None:
    """An existing profile is replaced only with `force` (checked before any question is asked)."""
    target = site_dir / PROFILE_FILE_NAME
    _refuse_wrong_kinds(site_dir, target)
    if target.exists() and not force:
        raise UsageError(
            f"{target}: a site profile exists already",
            "edit it, or pass --force to replace it with a new one",
        )


def build_profile(
    site_dir: Path, template: str, assignments: Sequence[str | Edit], site_id: str | None = None
) -> tuple[str, SiteProfile]:
    """The profile text of `template` with `site.id` (when given) and `assignments` applied, and the profile
    it validates to."""
    text = template_text(template)
    if site_id is not None:
        text = with_site_id(text, site_id)
    text = apply_assignments(text, assignments)
    profile = parse_profile(text, source=PROFILE_FILE_NAME, site_dir=site_dir if site_dir.is_dir() else None)
    return text, profile


def create_profile(
    site_dir: Path,
    template: str,
    assignments: Sequence[str | Edit] = (),
    *,
    force: bool = False,
    site_id: str | None = None,
) -> tuple[Path, SiteProfile]:
    """Write SITE_DIR/minisoc.yaml from `template` with `assignments`; refuse to overwrite without `force`.

    The profile gets a `site.id` (`site_id`, else the one of the profile `force` replaces, else a new one):
    it makes the compose project, and so the containers and data volumes, this site's own.
    """
    target = site_dir / PROFILE_FILE_NAME
    refuse_overwrite(site_dir, force=force)
    identity = site_id or _existing_site_id(target) or new_site_id()
    text, profile = build_profile(site_dir, template, assignments, identity)
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


def _existing_site_id(profile_file: Path) -> str | None:
    """The `site.id` of a profile about to be replaced: --force keeps the site (and its volumes) the same."""
    try:
        loaded = yaml.safe_load(profile_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    site = loaded.get("site") if isinstance(loaded, dict) else None
    value = site.get("id") if isinstance(site, dict) else None
    return value if isinstance(value, str) else None
