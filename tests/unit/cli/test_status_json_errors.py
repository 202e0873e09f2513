"""`status` refuses an unrendered site; with --json every command's output is JSON, its errors included."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import typer

from minisoc.cli import build_app
from minisoc.cli.main import main

NO_ENGINE = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ci_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    site = tmp_path / "site"
    assert main(["init", str(site), "--template", "ci", "--non-interactive"]) == 0
    capsys.readouterr()
    return site


def test_status_of_an_unrendered_site_says_render_first(
    ci_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not "every service absent" with exit 0: the site has no compose.yaml, so status says what to do."""
    code, out, err = _run(["status", str(ci_site)], capsys)
    assert (code, out) == (2, "")
    assert err == (
        f"error: {ci_site / 'compose.yaml'}: the site is not rendered, so it has no services to show; "
        f"hint: run `minisoc render {ci_site}` (or `minisoc up {ci_site}`) first\n"
    )
    code, out, err = _run(["status", str(ci_site), "--json"], capsys)
    assert (code, err) == (2, "")
    document = json.loads(out)
    assert document["ok"] is False and document["exit_code"] == 2
    assert "not rendered" in document["error"] and "minisoc render" in document["hint"]


def test_status_json_without_a_docker_engine_is_a_json_error(
    ci_site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rendered site, a `docker` that cannot reach its engine: stdout is one JSON object, exit 3."""
    assert main(["render", str(ci_site)]) == 0
    capsys.readouterr()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(f"#!/bin/sh\necho '{NO_ENGINE}' >&2\nexit 1\n")
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    code, out, err = _run(["status", str(ci_site), "--json"], capsys)
    assert (code, err) == (3, "")
    document = json.loads(out)
    assert document["exit_code"] == 3
    assert document["error"].startswith("command failed with exit code 1: docker compose")
    assert document["command"]["stderr"] == NO_ENGINE and document["command"]["argv"][0] == "docker"
    code, out, err = _run(["status", str(ci_site)], capsys)  # the same error as text, for people
    assert code == 3 and out == "" and f"stderr: {NO_ENGINE}" in err


def _json_commands(command: Any, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    found = set()
    for name, sub in (getattr(command, "commands", None) or {}).items():
        found |= _json_commands(sub, (*path, name))
    if any("--json" in getattr(param, "opts", ()) for param in command.params):
        found.add(path)
    return found


# Each command that has --json, called so that it fails before it touches Docker or the network.
FAILING_JSON_CALLS: dict[tuple[str, ...], list[str]] = {
    ("status",): ["status", "{missing}"],
    ("verify",): ["verify", "{missing}"],
    ("up",): ["up", "{missing}"],
    ("down",): ["down", "{missing}"],
    ("render",): ["render", "{missing}"],
    ("plan",): ["plan", "{missing}"],
    ("profile", "check"): ["profile", "check", "{bad}"],
    ("certs", "show"): ["certs", "show", "{missing}"],
    ("certs", "renew"): ["certs", "renew", "{missing}"],
    ("alerts", "list"): ["alerts", "list", "{missing}"],
    ("alerts", "ack"): ["alerts", "ack", "0123456789", "{missing}"],
    # images ignore a missing SITE_DIR and ask the engine: a bad option fails them before that
    ("images", "build"): ["images", "build", "--no-such-option"],
    ("images", "list"): ["images", "list", "--no-such-option"],
    ("hunt",): ["hunt", "--logs", "{missing}", "--intel", "{missing}"],
    ("replay",): ["replay", "{missing}", "{missing}"],
    ("kafka", "apply"): ["kafka", "apply", "--config", "{missing}"],
    # minisoc lab (its own helper may list these too: keep one copy of each when merging)
    ("lab", "doctor"): ["lab", "doctor", "--count", "0"],
    ("lab", "up"): ["lab", "up", "{missing}"],
    ("lab", "down"): ["lab", "down", "{missing}"],
    ("lab", "status"): ["lab", "status", "{missing}"],
    ("lab", "verify"): ["lab", "verify", "{missing}"],
    ("lab", "reset"): ["lab", "reset", "{missing}"],
    # minisoc scenario
    ("scenario", "run"): ["scenario", "run", "sshguess", "{missing}"],
    ("scenario", "grade"): ["scenario", "grade", "sshguess", "{missing}"],
    ("scenario", "reset"): ["scenario", "reset", "sshguess", "{missing}"],
}
# no site is a valid call: the engine checks alone; the shipped scenarios are package data
NEVER_FAILS_ON_INPUT = {("doctor",), ("scenario", "list")}


def test_every_json_command_is_covered_below() -> None:
    """A new command with --json must be added to FAILING_JSON_CALLS (or say why it cannot fail)."""
    app: typer.Typer = build_app()
    assert _json_commands(typer.main.get_command(app)) == set(FAILING_JSON_CALLS) | NEVER_FAILS_ON_INPUT


@pytest.mark.parametrize("command", sorted(FAILING_JSON_CALLS), ids=" ".join)
def test_json_errors_are_one_json_object(
    command: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "minisoc.yaml").write_text("site: {name: Bad Name, admin_email: soc@example.org}\n")
    argv = [arg.format(missing=tmp_path / "missing", bad=bad) for arg in FAILING_JSON_CALLS[command]]
    code, out, err = _run([*argv, "--json"], capsys)
    stream, other = (err, out) if command == ("hunt",) else (out, err)  # hunt: stdout is for alert lines
    assert code == 2 and other == ""
    document = json.loads(stream)
    assert document["ok"] is False and document["exit_code"] == 2
    if command == ("profile", "check"):
        assert document["error"] == "minisoc.yaml: 1 problem(s)"
        assert document["problems"][0]["path"] == "site.name" and document["problems"][0]["hint"]
    else:
        assert document["error"] and document["hint"]
    code, out, err = _run(argv, capsys)  # without --json: the text lines, as before
    assert code == 2 and err.startswith("error: ")


def test_a_bad_option_with_json_is_a_json_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["status", "--json", "--colour"], capsys)
    assert (code, err) == (2, "")
    assert json.loads(out) == {
        "ok": False,
        "error": "minisoc status: no such option: --colour",
        "hint": "`minisoc status --help` shows the usage",
        "exit_code": 2,
    }
