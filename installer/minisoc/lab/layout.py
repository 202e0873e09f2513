"""A trainer's lab on disk: LAB_DIR/lab.yaml (the manifest) and one site directory per copy (copy-01 ...).

The names come from `minisoc.site.layout` (LAB_MANIFEST_NAME, LAB_COPY_PREFIX). `copies(lab_dir, only)` is the
one way every lab command (and `minisoc scenario`) finds the copies it acts on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from minisoc.errors import UsageError
from minisoc.site.layout import LAB_COPY_PREFIX, LAB_MANIFEST_NAME, PROFILE_FILE_NAME

MAX_COPIES = 99  # copy-NN: two digits


def copy_name(number: int) -> str:
    """`copy-01` for copy 1 (copies are numbered from 1, as students are)."""
    return f"{LAB_COPY_PREFIX}{number:02d}"


@dataclass(frozen=True)
class LabManifest:
    """What `minisoc lab create` was asked for, kept in LAB_DIR/lab.yaml."""

    template: str
    count: int
    port_stride: int
    port_offset: int
    created: str  # ISO 8601, UTC
    sets: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "count": self.count,
            "sets": list(self.sets),
            "port_stride": self.port_stride,
            "port_offset": self.port_offset,
            "created": self.created,
        }

    def to_yaml(self) -> str:
        header = "# minisoc lab manifest (written by `minisoc lab create`; docs/training.md)\n"
        return header + yaml.safe_dump(self.as_dict(), sort_keys=False)


def _not_a_lab(lab_dir: Path, why: str) -> UsageError:
    return UsageError(
        f"{lab_dir}: not a minisoc lab ({why})",
        f"create one with `minisoc lab create {lab_dir} --count N`",
    )


def read_manifest(lab_dir: Path) -> LabManifest:
    """LAB_DIR/lab.yaml, checked; UsageError when LAB_DIR is not a lab."""
    path = lab_dir / LAB_MANIFEST_NAME
    if not path.is_file():
        raise _not_a_lab(lab_dir, f"no {LAB_MANIFEST_NAME}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise _not_a_lab(lab_dir, f"{LAB_MANIFEST_NAME} is unreadable: {error}") from None
    try:
        manifest = LabManifest(
            template=str(data["template"]),
            count=int(data["count"]),
            port_stride=int(data["port_stride"]),
            port_offset=int(data.get("port_offset", 0)),
            created=str(data["created"]),
            sets=[str(item) for item in data.get("sets") or []],
        )
    except (KeyError, TypeError, ValueError) as error:
        raise _not_a_lab(lab_dir, f"{LAB_MANIFEST_NAME} lacks or garbles {error}") from None
    if not 1 <= manifest.count <= MAX_COPIES:
        raise _not_a_lab(lab_dir, f"{LAB_MANIFEST_NAME}: count {manifest.count} is not 1-{MAX_COPIES}")
    return manifest


def copies(lab_dir: Path, only: int | None = None) -> list[Path]:
    """The site directories of the lab's copies (LAB_DIR/copy-01 ...), or just copy `only` (1-based).

    UsageError when LAB_DIR is not a lab, a copy is missing, or `only` is out of range."""
    manifest = read_manifest(lab_dir)
    if only is not None and not 1 <= only <= manifest.count:
        raise UsageError(
            f"--only {only}: the lab {lab_dir} has copies 1 to {manifest.count}",
            f"pass a number from 1 to {manifest.count}, or leave --only out for every copy",
        )
    numbers = [only] if only is not None else list(range(1, manifest.count + 1))
    found = []
    for number in numbers:
        site_dir = lab_dir / copy_name(number)
        if not (site_dir / PROFILE_FILE_NAME).is_file():
            raise UsageError(
                f"{site_dir}: copy {number} of the lab has no {PROFILE_FILE_NAME}",
                "the lab was changed by hand: re-create it with `minisoc lab create`",
            )
        found.append(site_dir)
    return found


def copy_number(site_dir: Path) -> int:
    """The number of a copy from its folder name (`copy-03` -> 3)."""
    return int(site_dir.name.removeprefix(LAB_COPY_PREFIX))


def now_text(now: datetime) -> str:
    return now.replace(microsecond=0).isoformat()
