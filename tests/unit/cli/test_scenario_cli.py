"""`minisoc scenario` end to end on a lab's files, without Docker: list, show, run (fast) into a lab of two
copies, the offline correlator (`minisoc hunt --store`), an analyst's acks (`minisoc alerts ack --store`),
grade (table, --json, --html) and reset; and the errors a trainer can make."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cli_support import run_json
from minisoc.cli.main import main
from minisoc.lab import LabManifest, create_lab, plan_lab
from minisoc.ops.access import load_site

SETS = ["intel.misp.enabled=false", "opensearch.dashboards.enabled=false"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two copies (one render: a copy's PKI takes seconds of CPU), shared by the tests of this file."""
    lab_dir = tmp_path_factory.mktemp("scenario-cli") / "lab"
    now = datetime.now(UTC)
    plans = plan_lab(lab_dir, "training-lab", 2, SETS, offset=42000)
    create_lab(lab_dir, plans, LabManifest("training-lab", 2, 10, 42000, now.isoformat(), SETS),
               progress=lambda _m: None, now=now)
    return lab_dir


def test_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    rows = run_json(["scenario", "list", "--json"], capsys)
    assert isinstance(rows, list)
    assert [row["id"] for row in rows] == ["heartbleed", "phishing", "quic-c2", "sshguess"]
    assert all(row["points"] == 100 and row["passive_score"] == 10.0 for row in rows)
    assert main(["scenario", "show", "quic-c2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Command and control over QUIC") and "- `b`: Zeek's QUIC analyzer" in out


def test_a_class_on_two_copies(lab: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = run_json(["scenario", "run", "sshguess", str(lab), "--speed", "fast", "--json"], capsys)
    assert isinstance(runs, list) and [r["copy"] for r in runs] == ["copy-01", "copy-02"]
    stores = []
    for copy in ("copy-01", "copy-02"):
        site = load_site(lab / copy)
        store = f"sqlite:///{tmp_path / copy}.db"
        stores.append(store)
        assert main(["hunt", "--logs", str(site.paths.log_dir), "--intel", str(site.paths.local_feed_dir),
                     "--store", store, "--json"]) == 0
    capsys.readouterr()
    alerts = run_json(["alerts", "list", "--store", stores[0], "--json"], capsys)
    assert isinstance(alerts, list)
    mine = [a for a in alerts if "/scenarios/sshguess/" in json.dumps(a)]
    assert len(mine) == 12  # 11 SSH connections and Zeek's notice
    for doc in mine:
        assert main(["alerts", "ack", doc["event"]["id"], "--store", stores[0]]) == 0
    (lab / "copy-01" / "answers.yaml").write_text("sshguess:\n  attacker: 192.168.56.1\n  attempts: 28\n")

    graded = []
    for number, store in ((1, stores[0]), (2, stores[1])):
        html = tmp_path / f"grade-{number}.html"
        document = run_json(["scenario", "grade", "sshguess", str(lab), "--only", str(number), "--store",
                             store, "--json", "--html", str(html)], capsys)
        assert isinstance(document, dict) and html.read_text().count("<rect ") == 1
        graded.append(document["copies"][0]["percent"])
    assert graded == [10 + 30 + 25, 10.0]

    assert main(["scenario", "grade", "sshguess", str(lab), "--only", "1", "--store", stores[0]]) == 0
    table = capsys.readouterr().out
    assert "copy-01" in table and "65.0 %" in table and "30/30" in table

    reset = run_json(["scenario", "reset", "sshguess", str(lab), "--only", "1", "--store", stores[0],
                      "--json"], capsys)
    assert isinstance(reset, dict)
    assert reset["reset"][0] | {"problems": []} == {"copy": "copy-01", "run_dirs": 1, "events": 1,
                                                   "alerts": 12, "answers": True, "problems": []}
    assert [run["copy"] for run in reset["run"]] == ["copy-01"]  # started again, fast
    assert not (lab / "copy-01" / "answers.yaml").exists()


def test_errors_read_as_every_other_error(
    lab: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["scenario", "grade", "sshguess", str(lab), "--store", "sqlite:///x.db"]) == 2
    assert "error: --store: one alert store for 2 copies; hint: add --only K" in capsys.readouterr().err
    assert main(["scenario", "run", "sshguess", str(lab), "--only", "3"]) == 2
    assert "error: --only 3: the lab" in capsys.readouterr().err
    assert main(["scenario", "run", "sshguess", str(tmp_path)]) == 2
    assert f"error: {tmp_path}: neither a lab" in capsys.readouterr().err
    assert main(["scenario", "run", "nope", str(lab)]) == 2
    assert "error: scenario nope: no such scenario" in capsys.readouterr().err
