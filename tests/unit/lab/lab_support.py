"""Labs for the lab tests: planned with fixed site ids, written by `create_lab` (no Docker involved)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from minisoc.lab import LabCreated, LabManifest, create_lab, plan_lab
from minisoc.lab.plan import CopyPlan

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# training-lab without the services whose images need a registry (as the e2e test and CI run it)
NO_REGISTRY = ("intel.misp.enabled=false", "opensearch.dashboards.enabled=false")


def fixed_ids(prefix: str = "lab") -> object:
    counter = itertools.count(1)
    return lambda: f"{prefix[0]}{next(counter):05d}"


def plan(lab_dir: Path, count: int, sets: Sequence[str] = NO_REGISTRY, **options: object) -> list[CopyPlan]:
    return plan_lab(lab_dir, "training-lab", count, list(sets), new_id=fixed_ids(), **options)  # type: ignore[arg-type]


def make_lab(lab_dir: Path, count: int, sets: Sequence[str] = NO_REGISTRY) -> LabCreated:
    plans = plan(lab_dir, count, sets)
    manifest = LabManifest("training-lab", count, 10, 0, "2026-03-02T09:00:00+00:00", list(sets))
    return create_lab(lab_dir, plans, manifest, progress=lambda _message: None, now=NOW)
