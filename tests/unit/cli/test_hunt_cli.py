"""`minisoc hunt` on the real sample logs: alerts, the --json stdout/stderr contract, exit codes, stdin,
--workers giving the same alerts in the same order, and --store writing to SQLite idempotently."""

from __future__ import annotations

import io
import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

from minisoc.cli import build_app
from minisoc.cli.main import main
from minisoc.cli.multivalue import spread_multi_values
from minisoc.correlator.sinks import SqliteAlertSink

INTEL_FIELDS = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n"


@pytest.fixture()
def intel_file(tmp_path: Path) -> Path:
    """Zeek intel naming values that occur in the zat JSON logs (conn/dns/http)."""
    path = tmp_path / "hunt.intel"
    path.write_text(
        INTEL_FIELDS
        + "69.147.64.34\tIntel::ADDR\ttest-intel\taol web server\t-\n"  # http.log id.resp_h
        + "icemaiden.com\tIntel::DOMAIN\ttest-intel\tlab domain\t-\n"  # parent of dns.log queries
        + "192.0.2.123\tIntel::ADDR\ttest-intel\tnever seen\t-\n"
    )
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_contract_alerts_on_stdout_summary_on_stderr(
    shared_data: Path, intel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = shared_data / "zeek" / "json" / "zat"
    code, out, err = run(
        [
            "hunt",
            "--logs",
            str(logs / "dns.log"),
            str(logs / "http.log"),
            "--intel",
            str(intel_file),
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    alerts = [json.loads(line) for line in out.splitlines()]
    summary = json.loads(err)
    assert summary["alerts"] == len(alerts) > 0
    assert summary["logs"]["lines_by_type"] == {"dns": 50, "http": 28}
    assert summary["logs"]["malformed"] == 0
    assert summary["indicators"]["loaded"] == 3
    values = {e["indicator"]["name"] for a in alerts for e in a["threat"]["enrichments"]}
    assert values == {"69.147.64.34", "icemaiden.com"}
    dns_alert = next(a for a in alerts if a["event"]["dataset"] == "zeek.dns")
    assert dns_alert["threat"]["enrichments"][0]["matched"]["atomic"].endswith(".icemaiden.com")
    assert dns_alert["threat"]["enrichments"][0]["matched"]["field"] == "query"
    assert dns_alert["log"]["file"]["path"] == str(logs / "dns.log")
    http_alert = next(a for a in alerts if a["event"]["dataset"] == "zeek.http")
    assert http_alert["destination"]["ip"] == "69.147.64.34"
    assert http_alert["threat"]["indicator"]["type"] == "ipv4-addr"
    assert http_alert["threat"]["indicator"]["misp"]["type"] == "ip-dst"
    assert len({a["event"]["id"] for a in alerts}) == len(alerts)


def test_text_output_has_alerts_table_and_summary(
    shared_data: Path, intel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        [
            "hunt",
            "--logs",
            str(shared_data / "zeek" / "json" / "zat" / "http.log"),
            "--intel",
            str(intel_file),
        ],
        capsys,
    )
    assert code == 0
    assert "Alerts (" in out and "69.147.64.34" in out and "lines read" in out and "http 28" in out


def test_workers_give_the_same_alerts_in_the_same_order(
    shared_data: Path, intel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = [str(shared_data / "zeek" / "json" / "zat"), str(shared_data / "zeek" / "tsv" / "zat")]
    base = ["hunt", "--logs", *logs, "--intel", str(intel_file), "--json"]
    code1, out1, err1 = run(base, capsys)
    code2, out2, err2 = run([*base, "--workers", "3"], capsys)
    assert code1 == code2 == 0
    ids1 = [json.loads(line)["event"]["id"] for line in out1.splitlines()]
    ids2 = [json.loads(line)["event"]["id"] for line in out2.splitlines()]
    assert ids1 == ids2 and ids1
    assert json.loads(err1)["logs"]["lines_by_type"] == json.loads(err2)["logs"]["lines_by_type"]
    assert json.loads(err2)["workers"] == 3


def test_stdin_and_malformed_lines_are_reported_not_fatal(
    shared_data: Path, intel_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = (shared_data / "zeek" / "json" / "zat" / "http.log").read_bytes().splitlines()[:3]
    data = b"\n".join([lines[0], b'{"ts": broken', lines[1]]) + b"\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = run(["hunt", "--logs", "-", "--intel", str(intel_file), "--json"], capsys)
    assert code == 0, err
    summary = json.loads(err)
    assert summary["logs"]["malformed"] == 1 and summary["logs"]["lines"] == 2
    alerts = [json.loads(line) for line in out.splitlines()]
    assert alerts and all("log" not in alert for alert in alerts)  # no file, no log.file.path


def test_bad_arguments_and_unreadable_intel_exit_2(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = str(shared_data / "zeek" / "json" / "zat" / "http.log")
    code, out, err = run(["hunt", "--logs", logs, "--intel", str(tmp_path / "missing.json")], capsys)
    assert code == 2 and out == "" and "error:" in err and "hint:" in err and "Traceback" not in err
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    code, _, err = run(["hunt", "--logs", logs, "--intel", str(garbage)], capsys)
    assert code == 2 and "error:" in err
    code, _, err = run(["hunt", "--logs", str(tmp_path / "nolog"), "--intel", str(garbage)], capsys)
    assert code == 2 and "nolog" in err
    code, _, _ = run(["hunt", "--logs", logs], capsys)  # --intel missing
    assert code == 2


def test_store_sqlite_twice_keeps_one_copy(
    shared_data: Path, intel_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "alerts.db"
    argv = [
        "hunt",
        "--logs",
        str(shared_data / "zeek" / "json" / "zat"),
        "--intel",
        str(intel_file),
        "--store",
        f"sqlite:///{db}",
        "--json",
    ]
    code, out, _ = run(argv, capsys)
    assert code == 0
    count = len(out.splitlines())
    assert run(argv, capsys)[0] == 0
    assert SqliteAlertSink(db).count() == count > 0


def test_spread_multi_values() -> None:
    options = frozenset({"--logs", "--intel"})
    assert spread_multi_values(
        ["--logs", "a", "b", "-", "--json", "--intel", "x", "--store", "s"], options
    ) == ["--logs", "a", "--logs", "b", "--logs", "-", "--json", "--intel", "x", "--store", "s"]


def test_text_output_shows_log_text_as_it_is_never_as_markup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A uri with BBCode forum spam (real traffic) once crashed the table (rich markup) or lost its tags."""
    monkeypatch.setenv("COLUMNS", "300")  # wide enough that no cell folds (tmp_path is long)
    uri = "/f.php?m=[b]x[/b]:fire:[/url]"
    line = {"ts": 1.5e9, "uid": "Cbb1", "id.orig_h": "10.0.0.1", "id.orig_p": 1, "id.resp_h": "10.0.0.2",
            "id.resp_p": 80, "host": "spam.example", "uri": uri}
    (tmp_path / "http.log").write_text(json.dumps(line) + "\n")
    (tmp_path / "t.intel").write_text(INTEL_FIELDS + "spam.example/f.php\tIntel::URL\tt\t-\t-\n")
    store = f"sqlite:///{tmp_path / 'a.db'}"
    argv = ["hunt", "--logs", str(tmp_path / "http.log"), "--intel", str(tmp_path / "t.intel")]
    code, out, err = run([*argv, "--store", store], capsys)
    assert code == 0, err
    assert "spam.example" + uri in out
    code, out, err = run(["alerts", "list", "--store", store], capsys)
    assert code == 0, err
    assert "spam.example" + uri in out


def test_every_help_page_renders(capsys: pytest.CaptureFixture[str]) -> None:
    """Help texts are plain text: `[/index]` in an option's help once crashed `alerts list --help`."""
    root = typer.main.get_command(build_app())
    pending: list[tuple[list[str], Any]] = [([], root)]
    pages = 0
    while pending:
        path, command = pending.pop()
        pending += [([*path, name], sub) for name, sub in getattr(command, "commands", {}).items()]
        code, out, _ = run([*path, "--help"], capsys)
        assert code == 0 and out.startswith("Usage: minisoc"), path
        pages += 1
    assert pages > 20


def test_a_store_that_cannot_take_alerts_is_one_line_not_a_traceback(
    shared_data: Path, intel_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["hunt", "--logs", str(shared_data / "zeek" / "json" / "zat"), "--intel", str(intel_file)]
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("notes\n" * 100)
    for store in (f"sqlite:///{not_a_db}", f"sqlite:///{tmp_path}"):
        code, _, err = run([*argv, "--store", store], capsys)
        assert code == 2 and err.startswith("error: ") and "; hint: " in err and "Traceback" not in err, err
    assert not_a_db.read_text() == "notes\n" * 100
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    code, _, err = run([*argv, "--store", f"http://127.0.0.1:{port}"], capsys)
    assert code == 3, err
    assert err.startswith(f"error: --store http://127.0.0.1:{port}: the store did not take"), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_json_without_path_from_stdin_is_hunted_as_its_own_log_type(
    shared_data: Path, intel_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """LogAscii JSON has no `_path`: on stdin, every zat record was `unknown` and only addresses matched."""
    zat = shared_data / "zeek" / "json" / "zat"
    names = ("conn.log", "dns.log", "http.log", "ssl.log", "files.log", "x509.log", "weird.log")
    by_path = []
    for name in names:
        argv = ["hunt", "--logs", str(zat / name), "--intel", str(intel_file), "--json"]
        code, out, err = run(argv, capsys)
        assert code == 0, err
        by_path += [json.loads(line) for line in out.splitlines()]
    data = b"".join((zat / name).read_bytes() for name in names)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = run(["hunt", "--logs", "-", "--intel", str(intel_file), "--json"], capsys)
    assert code == 0, err
    from_stdin = [json.loads(line) for line in out.splitlines()]
    assert json.loads(err)["logs"]["lines_by_type"] == {
        "conn": 50, "dns": 50, "files": 50, "http": 28, "ssl": 50, "weird": 2, "x509": 50}
    assert {alert["event"]["dataset"] for alert in by_path} >= {"zeek.dns", "zeek.http"}
    assert seen(from_stdin) == seen(by_path)


def seen(alerts: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """What an alert says was seen, wherever the line was read from."""
    return sorted((alert["event"]["dataset"], alert["event"]["original"],
                   alert["threat"]["enrichments"][0]["matched"]["field"]) for alert in alerts)


@pytest.mark.parametrize(("argv", "says"), [
    (["hunt", "--logs", "x"], "error: minisoc hunt: missing option '--intel'; hint: `minisoc hunt --help`"),
    (["hunt", "--logs", "x", "--intel", "y", "--workers", "abc"], "error: minisoc hunt: invalid value for"),
    (["nosuch"], "error: minisoc: no such command 'nosuch'; hint: `minisoc --help` shows the usage"),
])
def test_bad_arguments_are_one_line_like_every_other_error(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(argv, capsys)
    assert code == 2 and out == "" and err.startswith(says) and len(err.strip().splitlines()) == 1, err


def test_superscript_digits_in_a_port_are_not_a_port_and_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'²'.isdigit() is True but int('²') raises: a log line with such a port, or a uri `host:²`, crashed."""
    line = {"ts": 1.5, "uid": "C1", "id.orig_h": "10.0.0.1", "id.orig_p": 1, "id.resp_h": "10.0.0.2",
            "id.resp_p": "²", "host": "a.example", "uri": "http://evil.example:²/x"}
    (tmp_path / "http.log").write_text(json.dumps(line) + "\n")
    (tmp_path / "t.intel").write_text(INTEL_FIELDS + "evil.example/x\tIntel::URL\tt\t-\t-\n")
    event = {"Event": {"uuid": "0b5e0c6a-6b7e-4a29-9e1a-7b6d8c2b1f00", "info": "x", "Attribute": [
        {"type": "ip-dst|port", "value": "10.0.0.2|80", "to_ids": True, "timestamp": "1"},
        {"type": "url", "value": "http://evil.example:²/y", "to_ids": True, "timestamp": "1"}]}}
    (tmp_path / "event.json").write_text(json.dumps(event))
    argv = ["hunt", "--logs", str(tmp_path / "http.log"), "--intel", str(tmp_path / "t.intel"),
            str(tmp_path / "event.json"), "--json"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert json.loads(err)["indicators"]["invalid"] == 1 and out == ""  # no port 80, no URL with a port


def test_the_summary_counts_the_attributes_skipped_as_not_for_ids(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing skipped silently: to_ids false and deleted attributes were counted but never shown."""
    event = shared_data / "misp" / "events" / "pymisp" / "existing_event.json"
    document = json.loads(event.read_text())  # a bare event
    objects = document.get("Object", [])
    attributes = document["Attribute"] + [a for o in objects for a in o.get("Attribute", [])]
    expected = sum(1 for a in attributes if a.get("to_ids") in (False, "0", 0) and not a.get("deleted"))
    argv = ["hunt", "--logs", str(shared_data / "zeek" / "json" / "zat" / "conn.log"), "--intel", str(event)]
    code, _, err = run([*argv, "--json"], capsys)
    assert code == 0 and json.loads(err)["indicators"]["not_for_ids"] >= expected > 0
    code, out, _ = run(argv, capsys)
    assert code == 0 and f"skipped: {json.loads(err)['indicators']['not_for_ids']} not for IDS" in out
