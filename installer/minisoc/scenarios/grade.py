"""`minisoc scenario grade`: each copy's score from its alert store, its MISP and its answers file.

The alerts are read as `minisoc alerts list` reads them (`minisoc.review`): a running copy's OpenSearch from
the host, a SQLite store inside its correlator, or the store a `--store URL` names. When the scenario has
false positives to report and the copy runs a MISP, the false-positive sightings on the scenario's events
are read from it (`intel.false_positive_values`). A copy whose store or MISP does not answer still gets a
row (what could be read counts), with the problem said.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from minisoc.errors import MinisocError
from minisoc.ops.access import load_site
from minisoc.review.site import open_review
from minisoc.scenarios.answers import read_answers
from minisoc.scenarios.intel import IntelFor, false_positive_values, intel_target
from minisoc.scenarios.library import LoadedScenario
from minisoc.scenarios.run import ALERT_LIMIT, one_store
from minisoc.scenarios.scoring import CopyScore, score_copy


def copy_alerts(site_dir: Path, store_url: str | None) -> list[dict[str, Any]]:
    review = open_review(site_dir, store_url, None, "list")
    try:
        return review.list_alerts(None, ALERT_LIMIT).docs
    finally:
        review.close()


def copy_reported(loaded: LoadedScenario, site_dir: Path, intel_for: IntelFor) -> set[str] | None:
    """The copy's false-positive sightings in MISP (None: no MISP, or nothing to report in the scenario)."""
    if not loaded.scenario.expected.false_positives:
        return None
    return false_positive_values(intel_for(load_site(site_dir)), loaded.intel)


def grade_copies(loaded: LoadedScenario, copy_dirs: Sequence[Path], *, store_url: str | None = None,
                 intel_for: IntelFor = intel_target) -> list[CopyScore]:
    one_store(store_url, copy_dirs)
    scores = []
    for site_dir in copy_dirs:
        problems: list[str] = []
        try:
            alerts = copy_alerts(site_dir, store_url)
        except MinisocError as error:
            alerts = []
            problems.append("alerts: " + " ".join(error.lines()))
        try:
            reported = copy_reported(loaded, site_dir, intel_for)
        except MinisocError as error:
            reported = set()  # MISP did not answer: no false positive is known to have reached it
            problems.append("MISP sightings: " + " ".join(error.lines()))
        answers, answer_problems = read_answers(site_dir, loaded.id)
        scores.append(score_copy(site_dir.name, loaded.scenario, alerts, answers,
                                 problems + answer_problems, reported))
    return scores


def grade_document(loaded: LoadedScenario, scores: Sequence[CopyScore]) -> dict[str, Any]:
    """What `grade --json` prints."""
    scenario = loaded.scenario
    return {
        "scenario": scenario.id, "title": scenario.title, "total_points": scenario.total_points,
        "passive_score": scenario.passive_score, "copies": [score.as_dict() for score in scores],
    }
