"""Scoring a copy (pure): which alerts are the scenario's, how items and questions earn points, how false
positives count with and without a MISP, and the grade as JSON and as an HTML page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from minisoc.scenarios import find_scenario, grade_document, render_html, score_copy
from minisoc.scenarios.answers import read_answers, remove_answers
from minisoc.scenarios.model import AlertMatch, Question, Scenario
from minisoc.scenarios.report_html import bar_chart
from minisoc.scenarios.scoring import CopyScore, ItemScore, in_scenario, matches, score_question

RUN = "/var/log/zeek/scenarios/phishing/run-20261205T070000Z"


def alert(n: int, indicator: str, dataset: str = "zeek.dns", state: str = "open", *, rule: str | None = None,
          path: str = RUN, records: tuple[str, ...] = ()) -> dict[str, Any]:
    """An alert document as the stores hold it (the fields scoring reads)."""
    doc: dict[str, Any] = {
        "event": {"id": f"id{n}", "dataset": dataset},
        "log": {"file": {"path": f"{path}/{dataset.removeprefix('zeek.')}.log"}},
        "threat": {"enrichments": [{"indicator": {"name": indicator}, "matched": {"atomic": indicator}}]},
        "minisoc": {"ack": {"state": state},
                    "records": [{"log_type": kind, "log": {"file": {"path": f"{path}/{kind}.log"}}}
                                for kind in records]},
        "source": {"ip": "10.47.8.10"},
    }  # fmt: skip
    if rule:
        doc["rule"] = {"name": rule}
    return doc


@pytest.fixture
def phishing() -> Scenario:
    return find_scenario("phishing").scenario


def passive_alerts() -> list[dict[str, Any]]:
    return [alert(0, "polamer.us", "zeek.dns"), *(alert(n, "polamer.us", "zeek.ssl") for n in (1, 2, 3)),
            alert(4, "pastebin.com"), alert(5, "pastebin.com")]


def right_answers(scenario: Scenario) -> dict[str, object]:
    return {question.id: question.answer for question in scenario.questions}


def test_only_the_scenarios_alerts_count() -> None:
    assert in_scenario(alert(0, "x"), "phishing")
    assert in_scenario(alert(0, "x", path="/logs/zeek/other", records=()), "phishing") is False
    moved = alert(0, "x", path="/logs/zeek/samples")
    moved["minisoc"]["records"] = [{"log": {"file": {"path": f"{RUN}/dns.log"}}}]
    assert in_scenario(moved, "phishing")  # one record of the scenario is enough
    assert not in_scenario(alert(0, "x", path="/logs/zeek/scenarios/phishing-2/run"), "phishing")
    assert not in_scenario(alert(0, "x", path="/scenarios"), "phishing")


def test_matching_criteria_all_hold() -> None:
    doc = alert(0, "Polamer.US", "zeek.ssl", rule="SSL::Invalid_Server_Cert", records=("conn",))
    assert matches(doc, AlertMatch(indicator="polamer.us", dataset="zeek.ssl"))
    assert matches(doc, AlertMatch(dataset="zeek.conn"))  # a record's log type
    assert matches(doc, AlertMatch(rule="SSL::Invalid_Server_Cert", source_ip="10.47.8.10"))
    assert not matches(doc, AlertMatch(indicator="polamer.us", dataset="zeek.dns"))
    assert not matches(doc, AlertMatch(destination_ip="10.47.8.10"))


def test_a_passive_analyst_scores_the_scenarios_figure(phishing: Scenario) -> None:
    score = score_copy("copy-02", phishing, passive_alerts(), {})
    assert score.percent == phishing.passive_score == 10.0
    assert score.earned_in("alerts") == (10.0, 10) and score.earned_in("question") == (0.0, 40)


def test_min_count_and_missing_alerts(phishing: Scenario) -> None:
    few = [alert(0, "polamer.us", "zeek.dns"), alert(1, "polamer.us", "zeek.ssl")]
    items = {item.id: item for item in score_copy("c", phishing, few, {}).items}
    assert items["phishing-dns"].earned == 5 and items["phishing-tls"].earned == 0
    assert items["phishing-tls"].detail == "1 alert(s), at least 3 expected"
    assert score_copy("c", phishing, [], {}).earned == 0


def test_acks_count_in_proportion_and_a_wrong_mark_does_not(phishing: Scenario) -> None:
    alerts = passive_alerts()
    alerts[0]["minisoc"]["ack"]["state"] = "acknowledged"
    alerts[1]["minisoc"]["ack"]["state"] = "false_positive"  # marked the other way
    alerts[4]["minisoc"]["ack"]["state"] = "acknowledged"
    items = {item.id: item for item in score_copy("c", phishing, alerts, {}).items}
    assert items["ack-phishing"].earned == 25 * 1 / 4 and items["ack-phishing"].detail == (
        "1 of 4 alert(s) acknowledged")
    assert items["paste-site"].earned == 0


def test_false_positives_without_and_with_a_misp(phishing: Scenario) -> None:
    alerts = passive_alerts()
    for doc in alerts[4:]:
        doc["minisoc"]["ack"]["state"] = "false_positive"
    no_misp = {i.id: i for i in score_copy("c", phishing, alerts, {}).items}["paste-site"]
    assert no_misp.earned == 25 and "no MISP in this copy" in no_misp.detail
    untold = {i.id: i for i in score_copy("c", phishing, alerts, {}, reported=set()).items}["paste-site"]
    assert untold.earned == 0 and "sighting in MISP" in untold.detail
    told = score_copy("c", phishing, alerts, {}, reported={"pastebin.com"})
    assert {i.id: i for i in told.items}["paste-site"].earned == 25


def test_a_perfect_analyst_scores_100(phishing: Scenario) -> None:
    alerts = passive_alerts()
    for doc in alerts:
        doc["minisoc"]["ack"]["state"] = "false_positive" if "pastebin" in str(doc) else "acknowledged"
    score = score_copy("copy-01", phishing, alerts, right_answers(phishing), reported={"pastebin.com"})
    assert score.percent == 100.0 and score.earned == score.total == 100


def test_questions() -> None:
    exact = Question(id="q", text="?", points=10, answer="SSH-2.0-OpenSSH_6.2", accept=["OpenSSH 6.2"])
    assert score_question(exact, {"q": "  ssh-2.0-openssh_6.2 "}).earned == 10
    assert score_question(exact, {"q": "openssh   6.2"}).earned == 10
    assert score_question(exact, {"q": "OpenSSH"}).detail == "wrong"
    assert score_question(exact, {}).detail == "not answered"
    assert score_question(exact, {"q": 28}).earned == 0
    number = Question(id="n", text="?", points=5, answer="28")
    assert score_question(number, {"n": 28}).earned == 5  # YAML reads 28 as a number
    choice = Question(id="c", text="?", points=5, answer="b", choices={"a": "x", "b": "y"})
    assert score_question(choice, {"c": "B"}).earned == 5 and score_question(choice, {"c": "y"}).earned == 0


def test_answers_file(tmp_path: Path) -> None:
    assert read_answers(tmp_path, "phishing") == ({}, [])
    (tmp_path / "answers.yaml").write_text("phishing:\n  victims: b\nsshguess:\n  attempts: 28\n")
    assert read_answers(tmp_path, "phishing") == ({"victims": "b"}, [])
    assert remove_answers(tmp_path, "phishing") and not remove_answers(tmp_path, "phishing")
    assert read_answers(tmp_path, "sshguess") == ({"attempts": 28}, [])
    assert remove_answers(tmp_path, "sshguess") and not (tmp_path / "answers.yaml").exists()
    (tmp_path / "answers.yaml").write_text("phishing: [unclosed\n")
    answers, problems = read_answers(tmp_path, "phishing")
    assert answers == {} and "cannot be read as YAML" in problems[0] and "; hint: " in problems[0]
    (tmp_path / "answers.yaml").write_text("phishing: just text\n")
    assert "expected question ids and answers" in read_answers(tmp_path, "phishing")[1][0]


def test_grade_document(phishing: Scenario) -> None:
    loaded = find_scenario("phishing")
    scores = [score_copy("copy-01", phishing, passive_alerts(), right_answers(phishing)),
              score_copy("copy-02", phishing, [], {}, ["alerts: the store did not answer"])]
    document = grade_document(loaded, scores)
    assert document["scenario"] == "phishing" and document["total_points"] == 100
    assert [(c["copy"], c["percent"]) for c in document["copies"]] == [("copy-01", 50.0), ("copy-02", 0.0)]
    assert document["copies"][1]["problems"] == ["alerts: the store did not answer"]
    assert document["copies"][0]["items"][0] == {
        "kind": "alerts", "id": "phishing-dns", "description": "the DNS lookup of the phishing domain",
        "points": 5, "earned": 5.0, "detail": "1 alert(s), at least 1 expected"}


def test_the_html_report_has_a_bar_per_student_and_escapes_everything(phishing: Scenario) -> None:
    evil = "<script>alert(1)</script>"
    scores = [CopyScore("copy-01", [ItemScore("question", "q", evil, 10, 10.0, "right")]),
              CopyScore("copy-02", [ItemScore("question", "q", "fine", 10, 0.0, "wrong")], [evil])]
    page = render_html(phishing, scores, datetime(2026, 12, 5, 8, 0, tzinfo=UTC))
    assert page.startswith("<!DOCTYPE html>") and page.count("<rect ") == 2
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "copy-01: 100.0 %" in page and "copy-02: 0.0 %" in page and "2026-12-05 08:00 UTC" in page
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched


def test_the_chart_scales_bars_and_marks_the_passive_score() -> None:
    full = CopyScore("a", [ItemScore("question", "q", "t", 4, 4.0, "")])
    half = CopyScore("b", [ItemScore("question", "q", "t", 4, 2.0, "")])
    svg = bar_chart([full, half], passive=10.0)
    widths = [float(part.split('"')[0]) for part in svg.split('<rect x="110" ')[1:]
              for part in [part.split('width="')[1]]]
    assert widths == [470.0, 235.0]
    assert 'class="passive" x1="157.0"' in svg and "passive analyst: 10.0 %" in svg
