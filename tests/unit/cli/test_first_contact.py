"""First contact: the quick-start template brings sample data that alerts, and `up`/`verify` end with where to
look next."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from minisoc.cli.main import main
from minisoc.ops import Check, Report, load_site, where_to_look

REPO_ROOT = Path(__file__).resolve().parents[3]
SAMPLES = REPO_ROOT / "templates" / "samples"


def init(site: Path, template: str, *extra: str) -> str:
    return f"{main(['init', str(site), '--template', template, '--non-interactive', *extra])}"


def demo_indicators() -> set[str]:
    """The values of the minisoc-made event of the sample feed (the TweetFeed event matches nothing)."""
    manifest = json.loads((SAMPLES / "misp-feed" / "manifest.json").read_text())
    (ours,) = [uuid for uuid, entry in manifest.items() if entry["Orgc"]["name"] == "minisoc sample data"]
    event = json.loads((SAMPLES / "misp-feed" / f"{ours}.json").read_text())["Event"]
    return {attribute["value"] for attribute in event["Attribute"]}


def test_first_contact_site_gets_sample_logs_and_feed_that_raise_alerts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "mysite"
    assert init(site, "first-contact") == "0"
    out = capsys.readouterr().out
    assert "sample data: 11 Zeek log file(s)" in out and "2 MISP feed event(s)" in out
    logs, feed = site / "logs" / "zeek", site / "feeds" / "local"
    assert (logs / "SAMPLE-DATA.md").is_file() and (feed / "SAMPLE-DATA.md").is_file()
    assert all(oct(p.stat().st_mode)[-3:] == "644" for p in [*logs.iterdir(), *feed.iterdir()])
    code = main(["hunt", "--logs", str(logs), "--intel", str(feed), "--json"])
    alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and alerts
    matched = {e["indicator"]["name"] for alert in alerts for e in alert["threat"]["enrichments"]}
    assert matched == demo_indicators()  # every indicator of the sample event is seen in the sample logs
    note = (SAMPLES / "SAMPLE-DATA.md").read_text()  # its figure (and the docs') is the real one
    assert f"they give {len(alerts)} alerts" in note


def test_a_reinit_keeps_files_the_user_changed_and_other_templates_bring_no_samples(tmp_path: Path) -> None:
    site = tmp_path / "lab"
    assert init(site, "training-lab") == "0"
    edited = site / "logs" / "zeek" / "sshguess.ssh.log"
    edited.write_text("mine\n")
    assert init(site, "training-lab", "--force") == "0"
    assert edited.read_text() == "mine\n"
    assert init(tmp_path / "ci", "ci") == "0"
    assert not (tmp_path / "ci" / "logs").exists()


def test_sample_data_is_small_and_every_file_has_its_origin_noted() -> None:
    files = [p for p in SAMPLES.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 300_000
    note = (SAMPLES / "SAMPLE-DATA.md").read_text()
    for path in files:
        if path.name != "SAMPLE-DATA.md":
            stem = path.name.split(".")[0]
            assert stem in note, f"{path.name}: no origin in SAMPLE-DATA.md"
    assert "MIT License" in note and "Redistribution and use in source and binary forms" in note


def test_where_to_look_names_alerts_dashboards_and_the_credentials_file(tmp_path: Path) -> None:
    assert init(tmp_path / "fc", "first-contact") == "0"
    lines = where_to_look(Path("fc"), load_site(tmp_path / "fc"))
    text = "\n".join(lines)
    assert "minisoc alerts list fc" in text and "fc/secrets/opensearch-admin-password" in text
    assert "dashboards" not in text  # off in this template: no URL that answers nothing
    assert init(tmp_path / "small", "small-site") == "0"
    text = "\n".join(where_to_look(Path("small"), load_site(tmp_path / "small")))
    assert "https://127.0.0.1:5601/" in text and "https://127.0.0.1:8443/" in text


def test_up_ends_with_where_to_look_in_text_but_not_in_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "fc"
    assert init(site, "first-contact") == "0"
    capsys.readouterr()
    monkeypatch.setattr(
        "minisoc.cli.up.bring_up", lambda *_, **__: Report("up", [Check("render", True, "ok")])
    )
    assert main(["up", str(site)]) == 0
    last = capsys.readouterr().out.splitlines()[-4:]
    assert last[0] == "where to look:" and f"minisoc alerts list {site}" in last[1]
    assert main(["up", str(site), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


@pytest.mark.integration
def test_the_wheel_carries_the_sample_data(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO_ROOT)],
        check=True,
    )
    with zipfile.ZipFile(next(tmp_path.glob("minisoc-*.whl"))) as wheel:
        names = set(wheel.namelist())
    expected = {
        f"minisoc/templates/{p.relative_to(SAMPLES.parent)}" for p in SAMPLES.rglob("*") if p.is_file()
    }
    assert expected <= names and "minisoc/templates/first-contact.yaml" in names


def test_the_vagrantfile_runs_the_readme_first_command_verbatim() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## On a fresh machine", 1)[1]
    command = section.split("```sh\n", 1)[1].split("\n```", 1)[0]
    assert "\n" not in command, "the first command is one line a newcomer pastes"
    assert "python3 -m pip install" not in command  # Debian's Python refuses it (PEP 668)
    assert ". .venv/bin/activate" in command and "--template first-contact" in command
    provisioning = [line.strip() for line in (REPO_ROOT / "Vagrantfile").read_text().splitlines()]
    assert command in provisioning
