"""`minisoc hunt` never reads as clean what it did not check: an intel source that yields nothing is named,
no indicator at all is "nothing to hunt for" (exit 1) unless --allow-empty, every refused line and indicator
can be seen (--dead-letter), suppressions are shown per warninglist with their values, and a long hunt shows
its progress on a terminal (and nothing when stderr is not one)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from minisoc.cli.main import main

REPO = Path(__file__).resolve().parents[3]
FIELDS = "#fields\tindicator\tindicator_type\tmeta.source\n"
GOOD = FIELDS + "icemaiden.com\tIntel::DOMAIN\tlab\n69.147.64.34\tIntel::ADDR\tlab\n"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture()
def logs(shared_data: Path) -> list[str]:
    return [str(shared_data / "zeek/json/zat" / name) for name in ("dns.log", "http.log")]


def _missing_feed(where: Path) -> Path:
    """A MISP feed whose one event could not be fetched: the manifest names it, its file is not there."""
    where.mkdir()
    (where / "manifest.json").write_text(json.dumps(
        {"5f1a9e8c-1d2b-4c3d-9e4f-0a1b2c3d4e5f": {"info": "x", "timestamp": "1700000000"}}))
    return where


@pytest.mark.parametrize(("name", "make"), [
    ("empty.txt", lambda path: path.write_text("")),
    ("header-only.intel", lambda path: path.write_text(FIELDS)),
    ("feed", _missing_feed),
])
def test_a_source_that_yields_nothing_is_nothing_to_hunt_for(
    tmp_path: Path, logs: list[str], name: str, make: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once: `0 loaded … No alerts.` and exit 0, as if the logs had been checked against something."""
    source = tmp_path / name
    make(source)  # type: ignore[operator]
    code, out, err = run(["hunt", "--logs", *logs, "--intel", str(source)], capsys)
    assert code == 1, out + err
    assert "No alerts" not in out
    [line] = err.strip().splitlines()
    assert line.startswith("error: --intel: nothing to hunt for: no indicator loaded (")
    assert str(source) in line and "--allow-empty" in line
    code, out, err = run(["hunt", "--logs", *logs, "--intel", str(source), "--allow-empty"], capsys)
    assert code == 0, err
    assert f"warning: --intel {source}: no indicator loaded (" in err
    assert "0 loaded" in out


def test_the_reason_a_source_gave_nothing_is_named(
    tmp_path: Path, logs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    good, empty, junk, feed = (tmp_path / "good.intel", tmp_path / "empty.txt", tmp_path / "junk.intel",
                               _missing_feed(tmp_path / "feed"))
    good.write_text(GOOD)
    empty.write_text("# only a comment\n")
    junk.write_text(FIELDS + "not-an-address\tIntel::ADDR\tx\nx\tIntel::PUBKEY_HASH\tx\n")
    argv = ["hunt", "--logs", *logs, "--intel", str(good), str(empty), str(junk), str(feed), "--json"]
    code, _out, err = run(argv, capsys)
    assert code == 0, err
    summary = json.loads(err)
    assert summary["indicators"]["empty_sources"] == {
        str(empty): "empty: nothing in it",
        str(junk): "1 invalid, 1 of an unsupported type",
        str(feed): "1 feed event file(s) missing",
    }
    code, _out, err = run(argv[:-1], capsys)
    assert code == 0
    assert f"warning: --intel {junk}: no indicator loaded (1 invalid, 1 of an unsupported type)" in err
    assert str(good) not in err


def test_dead_letter_names_each_refused_line_and_indicator(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "dns.log"
    log.write_bytes((shared_data / "zeek/json/zat/dns.log").read_bytes() + b"{broken\n[1, 2]\n")
    intel = tmp_path / "lab.intel"
    intel.write_text(GOOD + "999.1.1.1\tIntel::ADDR\tlab\nx\tIntel::PUBKEY_HASH\tlab\n")
    dead = tmp_path / "out" / "dead.jsonl"
    dead.parent.mkdir()
    dead.write_text("an earlier hunt's entry\n")
    code, out, err = run(["hunt", "--logs", str(log), "--intel", str(intel), "--dead-letter", str(dead)],
                         capsys)
    assert code == 0, err
    entries = [json.loads(line) for line in dead.read_text().splitlines()]
    assert [(e["source"], e["reason"], e["line"]) for e in entries] == [
        ("lab.intel", "invalid_indicator", "999.1.1.1"),
        ("lab.intel", "unsupported_type", "x"),
        (str(log), "invalid_json", "{broken"),
        (str(log), "not_an_object", "[1, 2]"),
    ]
    assert entries[0]["detail"] == "ip-dst: invalid indicator"
    assert entries[2]["offset"] == log.read_bytes().index(b"{broken")
    assert "4 refused line(s) and indicator(s)" in out and str(dead) in out
    code, out, err = run(["hunt", "--logs", str(log), "--intel", str(intel), "--json", "--dead-letter",
                          str(dead)], capsys)
    assert json.loads(err)["dead_letter"] == {"path": str(dead), "entries": 4}
    assert len(dead.read_text().splitlines()) == 4  # emptied first: this hunt's entries only


def test_dead_letter_of_workers_is_in_input_order(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = []
    for number in range(3):
        path = tmp_path / f"dns{number}.log"
        good = (shared_data / "zeek/json/zat/dns.log").read_bytes()
        path.write_bytes(b"{bad %d\n" % number + good * number)
        paths.append(str(path))
    intel = tmp_path / "lab.intel"
    intel.write_text(GOOD)
    dead = tmp_path / "dead.jsonl"
    code, _out, err = run(["hunt", "--logs", *paths, "--intel", str(intel), "--workers", "2", "--json",
                           "--dead-letter", str(dead)], capsys)
    assert code == 0, err
    assert [json.loads(line)["source"] for line in dead.read_text().splitlines()] == paths
    assert not list(tmp_path.glob("dead.jsonl.part-*"))


def test_suppressions_are_shown_per_warninglist_with_their_values(
    tmp_path: Path, logs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    intel = tmp_path / "lab.intel"
    intel.write_text(GOOD + "192.0.2.1\tIntel::ADDR\tlab\n")
    warninglist = tmp_path / "lab-benign.json"
    warninglist.write_text(json.dumps({"name": "Lab benign hosts", "version": 1, "description": "test",
                                       "type": "string", "list": ["69.147.64.34", "192.0.2.1"]}))
    code, out, err = run(["hunt", "--logs", *logs, "--intel", str(intel), "--warninglists", str(warninglist)],
                         capsys)
    assert code == 0, err
    assert "Lab benign hosts: 2 (69.147.64.34, 192.0.2.1)" in " ".join(out.split())
    code, _out, err = run(["hunt", "--logs", *logs, "--intel", str(intel), "--warninglists",
                           str(warninglist), "--json"], capsys)
    suppressed = json.loads(err)["indicators"]["suppressed_values"]
    assert [(s["value"], s["warninglist"], s["entry"]) for s in suppressed] == [
        ("69.147.64.34", "Lab benign hosts", "69.147.64.34"), ("192.0.2.1", "Lab benign hosts", "192.0.2.1")]


def _hunt_with_stderr_on_a_terminal(argv: list[str]) -> tuple[int, bytes]:
    controller, terminal = os.openpty()
    process = subprocess.Popen([sys.executable, "-m", "minisoc", *argv], stdout=subprocess.DEVNULL,
                               stderr=terminal, env={**os.environ, "PYTHONPATH": str(REPO / "installer"),
                                                     "COLUMNS": "160", "TERM": "xterm"})
    os.close(terminal)
    seen = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    return process.wait(timeout=60), seen


def test_a_progress_bar_on_a_terminal_and_nothing_in_a_pipe(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "logs"
    directory.mkdir()
    data = (shared_data / "zeek/json/zat/dns.log").read_bytes()
    for number in range(20):
        (directory / f"dns.{number:02d}.log").write_bytes(data * 40)  # long enough to be drawn
    intel = tmp_path / "lab.intel"
    intel.write_text(GOOD)
    argv = ["hunt", "--logs", str(directory), "--intel", str(intel), "--json"]
    code, seen = _hunt_with_stderr_on_a_terminal(argv)
    assert code == 0, seen
    for shown in (b"hunting", b"20/20", b" files ", b"lines/s", b"alert(s)"):
        assert shown in seen
    code, _out, err = run(argv, capsys)  # stderr captured: not a terminal
    assert code == 0
    assert "hunting" not in err and json.loads(err)["logs"]["files"] == 20
