"""Scoring a copy (pure): the scenario's alerts in its store, their acks, and the student's answers.

- The scenario's alerts are those raised from its evidence: a record of the alert was read from the
  scenario's folder in the copy's log folder (`<log_dir>/scenarios/<id>/...`). Alerts of other data in the
  copy (a template's samples, another scenario) never count, whatever they match.
- `expected.alerts`: the points when at least `min_count` of the scenario's alerts match (a passive
  analyst gets these: they say the lab did its part).
- `expected.acknowledge` / `false_positives`: the points in proportion to the matching alerts in state
  `acknowledged` / `false_positive` (an alert marked the other way does not count); none matching: 0.
  In a copy with a MISP, a false positive counts only when MISP got it too: a false-positive sighting
  (type 1) of one of the alert's indicators on the scenario's events (`reported`). A copy whose intel is a
  feed has no MISP to tell: the correlator's own record (the alert's `false_positive` mark) is graded.
- questions: exact answers compare case-insensitively with surrounding space removed (`answer` or any
  of `accept`); multiple choice compares the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from minisoc.scenarios.model import AlertItem, AlertMatch, Question, Scenario

EVIDENCE_FOLDER = "scenarios"  # <log_dir>/scenarios/<scenario id>/run-<time>/<log files>
STATE_FOR = {"acknowledge": "acknowledged", "false_positives": "false_positive"}


@dataclass(frozen=True)
class ItemScore:
    kind: str  # alerts, acknowledge, false_positives, question
    id: str
    description: str
    points: int
    earned: float
    detail: str


@dataclass(frozen=True)
class CopyScore:
    copy: str
    items: list[ItemScore]
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(item.points for item in self.items)

    @property
    def earned(self) -> float:
        return round(sum(item.earned for item in self.items), 2)

    @property
    def percent(self) -> float:
        return round(100.0 * self.earned / self.total, 1) if self.total else 0.0

    def earned_in(self, kind: str) -> tuple[float, int]:
        chosen = [item for item in self.items if item.kind == kind]
        return round(sum(item.earned for item in chosen), 2), sum(item.points for item in chosen)

    def as_dict(self) -> dict[str, Any]:
        return {
            "copy": self.copy, "percent": self.percent, "earned": self.earned, "total": self.total,
            "items": [vars(item) for item in self.items], "problems": self.problems,
        }


def alert_paths(alert: Mapping[str, Any]) -> list[str]:
    """Every log file path an alert names: its first record's and each record's."""
    paths = [str(alert.get("log", {}).get("file", {}).get("path", ""))]
    for record in alert.get("minisoc", {}).get("records") or []:
        paths.append(str(record.get("log", {}).get("file", {}).get("path", "")))
    return [path for path in paths if path]


def in_scenario(alert: Mapping[str, Any], scenario_id: str) -> bool:
    """Raised from the scenario's evidence: a path with the components `scenarios/<id>` (as the correlator
    in its container or `minisoc hunt` on the host saw it)."""
    for path in alert_paths(alert):
        parts = PurePath(path).parts
        if any(parts[i] == EVIDENCE_FOLDER and parts[i + 1] == scenario_id for i in range(len(parts) - 1)):
            return True
    return False


def scenario_alerts(alerts: Iterable[Mapping[str, Any]], scenario_id: str) -> list[Mapping[str, Any]]:
    return [alert for alert in alerts if in_scenario(alert, scenario_id)]


def _datasets(alert: Mapping[str, Any]) -> set[str]:
    found = {str(alert.get("event", {}).get("dataset", ""))}
    for record in alert.get("minisoc", {}).get("records") or []:
        found.add(f"zeek.{record.get('log_type', '')}")
    return found


def _indicators(alert: Mapping[str, Any]) -> set[str]:
    found = set()
    for enrichment in alert.get("threat", {}).get("enrichments") or []:
        found.add(str(enrichment.get("indicator", {}).get("name", "")).lower())
        found.add(str(enrichment.get("matched", {}).get("atomic", "")).lower())
    name = alert.get("threat", {}).get("indicator", {}).get("name")
    if name:
        found.add(str(name).lower())
    return found


def matches(alert: Mapping[str, Any], match: AlertMatch) -> bool:
    if match.indicator is not None and match.indicator.lower() not in _indicators(alert):
        return False
    if match.dataset is not None and match.dataset not in _datasets(alert):
        return False
    if match.rule is not None and alert.get("rule", {}).get("name") != match.rule:
        return False
    if match.source_ip is not None and alert.get("source", {}).get("ip") != match.source_ip:
        return False
    return match.destination_ip is None or alert.get("destination", {}).get("ip") == match.destination_ip


def ack_state(alert: Mapping[str, Any]) -> str:
    return str((alert.get("minisoc", {}).get("ack") or {}).get("state") or "open")


def _done(kind: str, alert: Mapping[str, Any], reported: set[str] | None) -> bool:
    if ack_state(alert) != STATE_FOR[kind]:
        return False
    return kind != "false_positives" or reported is None or bool(_indicators(alert) & reported)


def score_item(kind: str, item: AlertItem, alerts: Sequence[Mapping[str, Any]],
               reported: set[str] | None = None) -> ItemScore:
    """`reported`: the values with a false-positive sighting in the copy's MISP; None: no MISP."""
    matching = [alert for alert in alerts if matches(alert, item.match)]
    if kind == "alerts":
        met = len(matching) >= item.min_count
        return ItemScore(kind, item.id, item.description, item.points, float(item.points if met else 0),
                         f"{len(matching)} alert(s), at least {item.min_count} expected")
    done = sum(1 for alert in matching if _done(kind, alert, reported))
    earned = round(item.points * done / len(matching), 2) if matching else 0.0
    detail = f"{done} of {len(matching)} alert(s) {STATE_FOR[kind].replace('_', ' ')}"
    if kind == "false_positives":
        detail += (" (the alert's mark: no MISP in this copy)" if reported is None
                   else " (marked, and a false-positive sighting in MISP)")
    return ItemScore(kind, item.id, item.description, item.points, earned, detail)


def normalise_answer(text: object) -> str:
    return " ".join(str(text).split()).lower()


def score_question(question: Question, answers: Mapping[str, object]) -> ItemScore:
    given = answers.get(question.id)
    if given is None:
        return ItemScore("question", question.id, question.text, question.points, 0.0, "not answered")
    right = {normalise_answer(question.answer), *(normalise_answer(other) for other in question.accept)}
    correct = normalise_answer(given) in right
    return ItemScore("question", question.id, question.text, question.points,
                     float(question.points if correct else 0), "right" if correct else "wrong")


def score_copy(copy: str, scenario: Scenario, alerts: Iterable[Mapping[str, Any]],
               answers: Mapping[str, object], problems: Sequence[str] = (),
               reported: set[str] | None = None) -> CopyScore:
    """The score of one copy from all the alerts of its store (the scenario's are picked here); `reported`:
    the indicator values with a false-positive sighting in the copy's MISP (None: the copy has none)."""
    mine = scenario_alerts(alerts, scenario.id)
    items = [score_item(kind, item, mine, reported) for kind, item in scenario.items]
    items += [score_question(question, answers) for question in scenario.questions]
    return CopyScore(copy, items, list(problems))
