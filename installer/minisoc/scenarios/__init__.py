"""Graded training scenarios (`minisoc scenario`): a scenario's intel and Zeek evidence replayed into the
copies of a lab, each copy scored from its alerts, acks, false-positive reports and answers.
docs/scenarios.md says what a scenario folder holds and how grading works."""

from minisoc.scenarios.copies import copies
from minisoc.scenarios.evidence import parse_speed
from minisoc.scenarios.grade import grade_copies, grade_document
from minisoc.scenarios.library import (
    LoadedScenario,
    ScenarioError,
    find_scenario,
    load_scenario,
    shipped_names,
)
from minisoc.scenarios.report_html import render_html
from minisoc.scenarios.run import CopyReset, CopyRun, misp_reset, reset_scenario, run_scenario
from minisoc.scenarios.scoring import CopyScore, score_copy

__all__ = [
    "CopyReset",
    "CopyRun",
    "CopyScore",
    "LoadedScenario",
    "ScenarioError",
    "copies",
    "find_scenario",
    "grade_copies",
    "grade_document",
    "load_scenario",
    "misp_reset",
    "parse_speed",
    "render_html",
    "reset_scenario",
    "run_scenario",
    "score_copy",
    "shipped_names",
]
