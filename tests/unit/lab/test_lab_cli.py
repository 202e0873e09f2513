"""The lab commands over the copies: `--only K` picks one, `status --json` gives one result per copy with the
lab's verdict, a copy that fails does not stop the others, and bad input is one error line. The site
operation (`site_status`) is replaced by a stand-in: these tests are about the lab around it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from lab_support import make_lab

import minisoc.cli.lab as cli_lab
from minisoc.cli.main import main
from minisoc.errors import UsageError
from minisoc.lab import copies, copy_number, for_each_copy
from minisoc.ops.checks import Check, Report


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One lab for the module (rendering 3 copies takes seconds): tests that change it take a copy."""
    lab_dir = tmp_path_factory.mktemp("lab-cli") / "class"
    make_lab(lab_dir, 3)
    return lab_dir


def status_of(site_dir: Path) -> dict[str, Any]:
    ready = copy_number(site_dir) != 2  # copy 2 has a service down
    return {"site_dir": str(site_dir), "all_ready": ready, "services": [{"service": "opensearch"}]}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_status_json_has_every_copy_and_fails_when_one_is_not_ready(
    lab: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_lab, "site_status", status_of)
    code, out, _ = run(["lab", "status", str(lab), "--json"], capsys)
    document = json.loads(out)
    assert code == 1 and document["action"] == "status" and not document["ok"]
    assert [(c["copy"], c["ok"]) for c in document["copies"]] == [(1, True), (2, False), (3, True)]
    assert document["copies"][0]["result"]["site_dir"] == str(lab / "copy-01")
    assert document["copies"][1]["summary"] == "not ready (1 services)"


def test_only_acts_on_one_copy(
    lab: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Path] = []
    monkeypatch.setattr(cli_lab, "site_status", lambda site: seen.append(site) or status_of(site))
    code, out, _ = run(["lab", "status", str(lab), "--only", "3"], capsys)
    assert code == 0 and seen == [lab / "copy-03"]
    assert out.splitlines() == [f"[ok  ] copy 03 ({lab / 'copy-03'}): all services ready (1 services)",
                                "lab status: every copy passed"]  # fmt: skip


def test_only_out_of_range_and_not_a_lab_are_one_line_errors(
    lab: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["lab", "status", str(lab), "--only", "4"], capsys)
    assert code == 2 and err.startswith(f"error: --only 4: the lab {lab} has copies 1 to 3; hint: ")
    code, _, err = run(["lab", "up", str(tmp_path / "nolab")], capsys)
    assert code == 2 and f"{tmp_path / 'nolab'}: not a minisoc lab (no lab.yaml); hint: " in err
    assert "Traceback" not in err


def test_a_failing_copy_does_not_stop_the_others(lab: Path) -> None:
    def action(site_dir: Path, _progress: object) -> Report:
        if copy_number(site_dir) == 1:
            raise UsageError(f"{site_dir}: OpenSearch is not running", "bring the copy up first")
        return Report("reset", [Check("reset", True, "done")])

    started: list[int] = []
    outcome = for_each_copy("reset", lab, action, started=lambda number, _dir: started.append(number))
    assert started == [1, 2, 3] and outcome.exit_code == 2 and not outcome.ok
    assert [c.ok for c in outcome.copies] == [False, True, True]
    assert outcome.copies[0].summary.endswith("OpenSearch is not running; hint: bring the copy up first")
    assert outcome.summary_lines()[-1] == "lab reset: 1 of 3 copies failed"


def test_a_copy_removed_by_hand_is_named(lab: Path, tmp_path: Path) -> None:
    lab = Path(shutil.copytree(lab, tmp_path / "class", symlinks=True))
    (lab / "copy-02" / "minisoc.yaml").unlink()
    with pytest.raises(UsageError, match=r"copy 2 of the lab has no minisoc\.yaml"):
        copies(lab)
    assert copies(lab, only=3) == [lab / "copy-03"]


def _reset_ok(site_dir: Path, **_: Any) -> Report:
    return Report("reset", [Check("reset", True, f"{site_dir.name} back at the start")])


def test_reset_with_a_scenario_plays_it_again_after_every_copy_is_reset(
    lab: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    monkeypatch.setattr(cli_lab, "reset_copy",
                        lambda site, **kw: order.append(f"reset {site.name}") or _reset_ok(site))
    monkeypatch.setattr(cli_lab, "run_scenario", lambda loaded, dirs, speed: order.append(
        f"run {loaded.id} {[d.name for d in dirs]} {speed}") or [])
    code, _, err = run(["lab", "reset", str(lab), "--only", "2", "--scenario", "sshguess"], capsys)
    assert code == 0, err
    assert order == ["reset copy-02", "run sshguess ['copy-02'] None"]


def test_reset_with_an_unknown_scenario_resets_nothing(
    lab: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    monkeypatch.setattr(cli_lab, "reset_copy", lambda site, **kw: order.append(site.name) or _reset_ok(site))
    code, _, err = run(["lab", "reset", str(lab), "--scenario", "no-such-scenario"], capsys)
    assert code == 2 and order == [] and "no such scenario" in err


def test_a_failed_reset_does_not_play_the_scenario(
    lab: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    played: list[str] = []
    failed = Report("reset", [Check("misp", False, "MISP down")])
    monkeypatch.setattr(cli_lab, "reset_copy", lambda site, **kw: failed)
    monkeypatch.setattr(cli_lab, "run_scenario", lambda *args: played.append("run") or [])
    code, _, _ = run(["lab", "reset", str(lab), "--only", "1", "--scenario", "sshguess"], capsys)
    assert code == 1 and played == []
