"""Which site directories a scenario command acts on: the copies of a lab, or one plain site.

A lab (minisoc lab, docs/training.md) is LAB_DIR/lab.yaml and LAB_DIR/copy-01 ... copy-NN, each a normal
SITE_DIR. Until the lab commands are merged this is a minimal resolver of that layout, behind this one
function, so that it can be switched to `minisoc.lab.copies` without touching its callers. A SITE_DIR (a
folder holding minisoc.yaml) is a lab of one.
"""

from __future__ import annotations

from pathlib import Path

from minisoc.errors import UsageError
from minisoc.site.layout import LAB_COPY_PREFIX, LAB_MANIFEST_NAME, PROFILE_FILE_NAME


def copies(lab_dir: Path, only: int | None = None) -> list[Path]:
    """The site directories of the lab at `lab_dir` (sorted by name), only copy `only` when given; a plain
    site directory gives itself."""
    if (lab_dir / PROFILE_FILE_NAME).is_file():
        if only not in (None, 1):
            raise UsageError(f"--only {only}: {lab_dir} is one site, not a lab", "leave --only out")
        return [lab_dir]
    found = sorted(path for path in lab_dir.glob(f"{LAB_COPY_PREFIX}*")
                   if (path / PROFILE_FILE_NAME).is_file()) if lab_dir.is_dir() else []
    if not found:
        raise UsageError(
            f"{lab_dir}: neither a lab ({LAB_MANIFEST_NAME} and {LAB_COPY_PREFIX}NN folders) nor a site "
            f"({PROFILE_FILE_NAME})",
            "create a lab with `minisoc lab create LAB_DIR --count N`, or give a site directory",
        )
    if only is None:
        return found
    chosen = [path for path in found if path.name == f"{LAB_COPY_PREFIX}{only:02d}"]
    if not chosen:
        names = ", ".join(path.name for path in found)
        raise UsageError(f"--only {only}: no {LAB_COPY_PREFIX}{only:02d} in {lab_dir}",
                         f"the copies: {names}")
    return chosen
