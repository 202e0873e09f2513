"""Which site directories a scenario command acts on: the copies of a lab, or one plain site.

A lab (`minisoc lab`, docs/training.md) is LAB_DIR/lab.yaml and LAB_DIR/copy-01 ... copy-NN, each a normal
SITE_DIR: `minisoc.lab.copies` finds them (the one rule every lab command follows). A SITE_DIR (a folder
holding minisoc.yaml) is a lab of one, so a trainer can try a scenario on a single site first.
"""

from __future__ import annotations

from pathlib import Path

from minisoc import lab
from minisoc.errors import UsageError
from minisoc.site.layout import LAB_MANIFEST_NAME, PROFILE_FILE_NAME


def copies(lab_dir: Path, only: int | None = None) -> list[Path]:
    """The site directories of the lab at `lab_dir` (copy `only` alone when given); a plain site directory
    gives itself."""
    if (lab_dir / PROFILE_FILE_NAME).is_file():
        if only not in (None, 1):
            raise UsageError(f"--only {only}: {lab_dir} is one site, not a lab", "leave --only out")
        return [lab_dir]
    if not (lab_dir / LAB_MANIFEST_NAME).is_file():
        raise UsageError(
            f"{lab_dir}: neither a lab (no {LAB_MANIFEST_NAME}) nor a site (no {PROFILE_FILE_NAME})",
            "create a lab with `minisoc lab create LAB_DIR --count N`, or give a site directory",
        )
    return lab.copies(lab_dir, only)
