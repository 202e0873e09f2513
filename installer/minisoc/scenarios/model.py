"""What a scenario is: `scenario.yaml` as pydantic models (extra keys refused), checked once when loaded.

A scenario folder (docs/scenarios.md):

    <id>/scenario.yaml      this model: title, brief, expected outcome, questions, points
    <id>/evidence/zeek/     Zeek logs (JSON lines or TSV, `.gz` allowed) dropped into each copy's log folder
    <id>/intel/*.json       MISP events in the MISP feed format ({"Event": {...}}), loaded into each copy
    <id>/SAMPLE-DATA.md     where the evidence comes from, and its licence
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
Slug = Annotated[str, Field(pattern=SLUG, min_length=1, max_length=60)]
_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h)?\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AlertMatch(_Strict):
    """Which of the scenario's alerts an item is about; every criterion given must hold."""

    indicator: str | None = Field(
        None, description="An indicator value the alert matched (threat.enrichments[].indicator.name)."
    )
    dataset: str | None = Field(
        None, pattern=r"^zeek\.[a-z0-9_]+$",
        description="A Zeek log type of one of the alert's records, as zeek.<type> (zeek.ssh, zeek.dns).",
    )
    rule: str | None = Field(None, description="A Zeek notice type (rule.name), e.g. SSH::Password_Guessing.")
    source_ip: str | None = Field(None, description="source.ip of the alert.")
    destination_ip: str | None = Field(None, description="destination.ip of the alert.")

    @model_validator(mode="after")
    def _something(self) -> AlertMatch:
        if not any((self.indicator, self.dataset, self.rule, self.source_ip, self.destination_ip)):
            raise ValueError("names no criterion: give indicator, dataset, rule, source_ip or destination_ip")
        return self


class AlertItem(_Strict):
    """An expected outcome about alerts: they must appear, be acknowledged, or be marked false positives."""

    id: Slug
    description: str = Field(min_length=1, description="What the item checks, shown in the grade.")
    match: AlertMatch
    points: int = Field(ge=0, le=1000)
    min_count: int = Field(
        1, ge=1, description="alerts only: at least this many of the scenario's alerts must match."
    )


class Question(_Strict):
    """A question for the student: an exact answer (`answer`, plus `accept`), or a choice among `choices`."""

    id: Slug
    text: str = Field(min_length=1)
    points: int = Field(ge=0, le=1000)
    answer: str = Field(min_length=1, description="The right answer, or the key of the right choice.")
    accept: list[str] = Field(default_factory=list, description="Other answers that count as right.")
    choices: dict[str, str] | None = Field(
        None, description="Multiple choice: key -> text; the student answers with the key."
    )

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> Question:
        if self.choices is not None:
            if len(self.choices) < 2:
                raise ValueError("a multiple-choice question needs at least 2 choices")
            if self.answer not in self.choices:
                raise ValueError(f"answer {self.answer!r} is not one of the choices {sorted(self.choices)}")
            if self.accept:
                raise ValueError("accept is for exact-answer questions, not multiple choice")
        return self


class Expected(_Strict):
    alerts: list[AlertItem] = Field(
        default_factory=list,
        description="Alerts the scenario must raise in a copy (a passive analyst's points).",
    )
    acknowledge: list[AlertItem] = Field(
        default_factory=list, description="Alerts the student must acknowledge (`minisoc alerts ack ID`)."
    )
    false_positives: list[AlertItem] = Field(
        default_factory=list,
        description="Alerts the student must report as false positives "
        "(`minisoc alerts ack ID --false-positive`).",
    )


class Scenario(_Strict):
    version: Literal[1] = 1
    id: Slug
    title: str = Field(min_length=1, max_length=120)
    difficulty: Literal["beginner", "intermediate", "advanced"]
    duration: str = Field(description="How long the exercise takes: minutes (`30`, `30m`) or hours (`1h`).")
    brief: str = Field(min_length=1, description="What the student reads first (markdown).")
    expected: Expected
    questions: list[Question] = Field(default_factory=list)
    passive_score: float = Field(
        ge=0, le=100,
        description="The score (%) of an analyst who does nothing: the points of `expected.alerts`, stated "
        "so a trainer can read it, checked against the points when the scenario is loaded.",
    )

    @property
    def duration_minutes(self) -> int | None:
        found = _DURATION.match(self.duration)
        return None if found is None else int(found.group(1)) * (60 if found.group(2) == "h" else 1)

    @property
    def items(self) -> list[tuple[str, AlertItem]]:
        """Every alert item with its kind (alerts, acknowledge, false_positives), in that order."""
        return [(kind, item) for kind in ("alerts", "acknowledge", "false_positives")
                for item in getattr(self.expected, kind)]

    @property
    def total_points(self) -> int:
        questions = sum(question.points for question in self.questions)
        return sum(item.points for _, item in self.items) + questions

    @property
    def computed_passive_score(self) -> float:
        passive = sum(item.points for item in self.expected.alerts)
        return round(100.0 * passive / self.total_points, 1) if self.total_points else 0.0
