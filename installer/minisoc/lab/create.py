"""`minisoc lab create`: write every copy (profile, sample data, rendered site with its own secrets and PKI),
the manifest and the credentials sheet into a hidden folder next to LAB_DIR, then rename it into place: a
lab is there whole or not at all.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from minisoc.durable import write_atomic
from minisoc.errors import UsageError
from minisoc.lab.layout import LabManifest, now_text
from minisoc.lab.plan import CopyPlan
from minisoc.lab.sheet import SHEET_NAME, write_sheet
from minisoc.ops.samples import install_samples
from minisoc.render.site import render_site
from minisoc.site.layout import LAB_MANIFEST_NAME, PROFILE_FILE_NAME

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LabCreated:
    lab_dir: Path
    copies: tuple[Path, ...]
    sheet: Path


def refuse_existing(lab_dir: Path) -> None:
    """LAB_DIR must be absent or an empty folder."""
    if lab_dir.exists() and (not lab_dir.is_dir() or any(lab_dir.iterdir())):
        raise UsageError(
            f"{lab_dir}: exists and is not an empty folder",
            "choose a new LAB_DIR, or remove the old lab (`minisoc lab down LAB_DIR --volumes`, rm -r it)",
        )


def create_lab(
    lab_dir: Path,
    plans: Sequence[CopyPlan],
    manifest: LabManifest,
    *,
    progress: Progress,
    now: datetime,
) -> LabCreated:
    """Write the lab of `plans` at `lab_dir` (absent or empty); nothing is left behind on failure."""
    refuse_existing(lab_dir)
    parent = lab_dir.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    stage = parent / f".{lab_dir.name}.creating-{secrets.token_hex(4)}"
    stage.mkdir(mode=0o755)
    try:
        for plan in plans:
            progress(f"{plan.name}: profile, sample data, render (secrets, PKI)")
            site_dir = stage / plan.name
            site_dir.mkdir()
            write_atomic(site_dir / PROFILE_FILE_NAME, plan.text.encode("utf-8"), mode=0o644)
            install_samples(site_dir, manifest.template, plan.profile)
            render_site(site_dir, plan.profile, now=now)
        write_atomic(stage / LAB_MANIFEST_NAME, manifest.to_yaml().encode("utf-8"), mode=0o644)
        progress("credentials sheet")
        write_sheet(stage, stage / SHEET_NAME, created=now_text(now))
        if lab_dir.is_dir():
            lab_dir.rmdir()  # empty (refuse_existing): the rename needs the name free
        stage.rename(lab_dir)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return LabCreated(lab_dir, tuple(lab_dir / plan.name for plan in plans), lab_dir / SHEET_NAME)
