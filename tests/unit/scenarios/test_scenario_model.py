"""The scenario folder schema: scenario.yaml as a strict model, the checks across fields and files, and the
errors a trainer sees for a bad folder (one line per problem, each naming its file and field)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from minisoc.scenarios import ScenarioError, find_scenario, load_scenario, shipped_names
from minisoc.scenarios.evidence import read_evidence
from minisoc.scenarios.library import intel_values, library_dir, scenario_problems
from minisoc.scenarios.model import Scenario

SHIPPED = ["heartbleed", "phishing", "quic-c2", "sshguess"]


def minimal(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": "demo", "title": "Demo", "difficulty": "beginner", "duration": "20m", "brief": "Look.",
        "expected": {
            "alerts": [{"id": "seen", "description": "d", "match": {"indicator": "192.0.2.1"}, "points": 10}],
            "acknowledge": [{"id": "ack", "description": "d", "match": {"indicator": "192.0.2.1"},
                             "points": 30}],
        },
        "questions": [{"id": "q", "text": "Who?", "answer": "192.0.2.1", "points": 60}],
        "passive_score": 10,
    }  # fmt: skip
    document.update(changes)
    return document


def copy_of(name: str, tmp_path: Path, folder: str | None = None) -> Path:
    target = tmp_path / (folder or name)
    shutil.copytree(library_dir() / name, target)
    return target


def edit(folder: Path, change: Any) -> None:
    path = folder / "scenario.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document), encoding="utf-8")


def error_lines(folder: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(folder)
    return caught.value.lines()


def test_the_four_shipped_scenarios_load() -> None:
    assert shipped_names() == SHIPPED
    for name in SHIPPED:
        loaded = find_scenario(name)
        assert loaded.id == name and loaded.evidence and loaded.intel
        assert loaded.scenario.total_points == 100
        assert loaded.scenario.passive_score == loaded.scenario.computed_passive_score


def test_points_and_passive_score_are_computed() -> None:
    scenario = Scenario.model_validate(minimal())
    assert scenario.total_points == 100 and scenario.computed_passive_score == 10.0
    assert [kind for kind, _ in scenario.items] == ["alerts", "acknowledge"]
    assert scenario.duration_minutes == 20
    assert Scenario.model_validate(minimal(duration="1h")).duration_minutes == 60
    assert Scenario.model_validate(minimal(duration="soon")).duration_minutes is None


def test_cross_field_problems() -> None:
    scenario = Scenario.model_validate(minimal(passive_score=50, duration="soon"))
    paths = {problem.path for problem in scenario_problems(scenario)}
    assert paths == {"passive_score", "duration"}
    twice = minimal()
    twice["questions"][0]["id"] = "seen"
    assert [p.path for p in scenario_problems(Scenario.model_validate(twice))] == ["id seen"]
    nothing = minimal(questions=[], passive_score=0)
    nothing["expected"] = {"alerts": []}
    assert [p.path for p in scenario_problems(Scenario.model_validate(nothing))] == ["(points)"]


def test_a_multiple_choice_answer_must_be_a_choice() -> None:
    question = {"id": "q", "text": "?", "points": 1, "answer": "c", "choices": {"a": "x", "b": "y"}}
    with pytest.raises(ValueError, match="not one of the choices"):
        Scenario.model_validate(minimal(questions=[question]))


def test_a_bad_scenario_folder_gets_one_line_per_problem(tmp_path: Path) -> None:
    folder = copy_of("sshguess", tmp_path)

    def break_it(document: dict[str, Any]) -> None:
        document["difficulty"] = "hard"
        document["colour"] = "red"
        document["expected"]["acknowledge"][0]["match"] = {}
        document["questions"][3]["answer"] = "z"

    edit(folder, break_it)
    lines = error_lines(folder)
    source = f"{folder}/scenario.yaml: "
    assert all(line.startswith(source) and "; hint: " in line for line in lines), lines
    fields = sorted(line.removeprefix(source).split(":")[0] for line in lines)
    assert fields == ["colour", "difficulty", "expected.acknowledge.0.match", "questions.3"]


def test_file_problems_name_the_file(tmp_path: Path) -> None:
    folder = copy_of("sshguess", tmp_path, "renamed")
    for event in (folder / "intel").glob("*.json"):
        event.unlink()
    (folder / "intel" / "x.json").write_text("{}", encoding="utf-8")
    (folder / "evidence" / "zeek" / "broken.log").write_text("not json\n", encoding="utf-8")
    lines = error_lines(folder)
    assert f"{folder}/scenario.yaml: id: 'sshguess' is not the folder's name 'renamed'" in lines[0]
    assert any(line.startswith(f"{folder}/evidence/zeek/broken.log: not a Zeek log") for line in lines)
    assert any(line.startswith(f"{folder}/intel/x.json: not a MISP event with a uuid") for line in lines)


def test_an_indicator_must_be_in_the_scenarios_intel(tmp_path: Path) -> None:
    folder = copy_of("quic-c2", tmp_path)
    edit(folder, lambda d: d["expected"]["acknowledge"][0]["match"].update(indicator="24.199.110.23"))
    assert error_lines(folder) == [
        f"{folder}/scenario.yaml: expected.acknowledge.0.match.indicator: '24.199.110.23' is in none of the "
        "scenario's MISP events (intel/); hint: check its spelling, or add it as an attribute of an event in "
        "intel/"]


def test_an_event_file_is_named_after_its_uuid(tmp_path: Path) -> None:
    folder = copy_of("quic-c2", tmp_path)
    event = next((folder / "intel").glob("*.json"))
    event.rename(event.with_name("other.json"))
    assert error_lines(folder) == [
        f"{folder}/intel/other.json: the event's uuid is {event.stem}; hint: name the file <uuid>.json, as "
        "MISP feeds do"]


def test_yaml_and_unknown_names(tmp_path: Path) -> None:
    folder = copy_of("quic-c2", tmp_path)
    (folder / "scenario.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    assert "not valid YAML" in error_lines(folder)[0]
    with pytest.raises(Exception, match="no such scenario") as caught:
        find_scenario("no-such-one")
    assert "heartbleed, phishing, quic-c2, sshguess" in str(getattr(caught.value, "hint", ""))


def test_the_shipped_intel_has_decoys_and_its_items_are_in_the_evidence() -> None:
    """SAMPLE-DATA.md says so: every value an item matches is in the evidence (the scenario can be scored),
    and each scenario's intel also holds values that appear nowhere in it (decoys)."""
    for name in SHIPPED:
        loaded = find_scenario(name)
        text = " ".join(line for path in loaded.evidence for _, line in read_evidence(path).records).lower()
        wanted = {item.match.indicator.lower() for _, item in loaded.scenario.items if item.match.indicator}
        assert wanted and all(value in text for value in wanted), name
        decoys = {value for value in intel_values(loaded.intel) if value not in text}
        assert decoys, name
