"""`minisoc alerts list|ack` on a real SQLite store written by `minisoc hunt`, via --store or SITE_DIR."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
import yaml

from cli_support import run_json
from minisoc.cli.main import main
from minisoc.review import parse_since


@pytest.fixture()
def store(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    intel = tmp_path / "x.intel"
    intel.write_text("#fields\tindicator\tindicator_type\tmeta.source\n69.147.64.34\tIntel::ADDR\tlab\n")
    db = tmp_path / "alerts.db"
    code = main(
        [
            "hunt",
            "--logs",
            str(shared_data / "zeek" / "json" / "zat" / "http.log"),
            "--intel",
            str(intel),
            "--store",
            f"sqlite:///{db}",
            "--json",
        ]
    )
    assert code == 0
    capsys.readouterr()
    return db


def test_list_since_and_ack_through_store_url(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{store}"
    docs = run_json(["alerts", "list", "--store", url, "--json"], capsys)
    assert isinstance(docs, list) and docs
    assert all(d["threat"]["indicator"]["name"] == "69.147.64.34" for d in docs)
    assert run_json(["alerts", "list", "--store", url, "--since", "15m", "--json"], capsys) == docs
    alert_id = docs[0]["event"]["id"]
    result = run_json(["alerts", "ack", alert_id[:10], "--false-positive", "--store", url, "--json"], capsys)
    assert result == {
        "id": alert_id,
        "ack": result["ack"],
        "sighting": "not sent: no MISP configured for this store",
    }
    assert result["ack"]["state"] == "false_positive"
    again = run_json(["alerts", "list", "--store", url, "--json"], capsys)
    assert {d["event"]["id"]: d["minisoc"]["ack"]["state"] for d in again}[alert_id] == "false_positive"
    main(["alerts", "list", "--store", url])
    assert "false_positive" in capsys.readouterr().out


def test_site_dir_uses_the_rendered_correlator_config(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site"
    config = site / "config" / "correlator" / "correlator.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(
        yaml.safe_dump({"site": "lab", "sink": {"kind": "sqlite", "sqlite": {"path": str(store)}}})
    )
    docs = run_json(["alerts", "list", str(site), "--json"], capsys)
    assert isinstance(docs, list) and len(docs) > 0


def test_errors_are_one_line_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "list", str(tmp_path)]) == 2
    assert "no site here" in capsys.readouterr().err
    assert main(["alerts", "list", "--config", str(tmp_path / "none.yaml")]) == 2
    assert "no correlator configuration" in capsys.readouterr().err
    assert main(["alerts", "list", "--store", f"sqlite:///{tmp_path}/none.db"]) == 2
    assert main(["alerts", "list", "--store", f"sqlite:///{tmp_path}/none.db", "--since", "soon"]) == 2
    bad = tmp_path / "config" / "correlator" / "correlator.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("site: lab\nsink: {kind: postgres}\n")
    assert main(["alerts", "list", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "sink.kind:" in err and "Traceback" not in err


def test_parse_since() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_since("15m", now) == now - timedelta(minutes=15)
    assert parse_since("2h", now) == now - timedelta(hours=2)
    assert parse_since("7d", now) == now - timedelta(days=7)


def test_a_limit_below_one_is_refused(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """SQLite reads LIMIT -1 as no limit: `--limit -1` listed every alert."""
    for limit in ("-1", "0"):
        assert main(["alerts", "list", "--store", f"sqlite:///{store}", "--limit", limit]) == 2
        captured = capsys.readouterr()
        assert f"--limit {limit}: not a number of alerts; hint: use 1 or more" in captured.err
        assert captured.out == ""


@pytest.mark.parametrize("columns", [110, 240])
def test_the_table_has_whole_ids_the_event_time_file_and_endpoints_and_follows_columns(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    columns: int,
) -> None:
    intel = tmp_path / "x.intel"
    intel.write_text("#fields\tindicator\tindicator_type\tmeta.source\nicemaiden.com\tIntel::DOMAIN\tlab\n")
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    logs = str(shared_data / "zeek" / "json" / "zat" / "dns.log")
    assert main(["hunt", "--logs", logs, "--intel", str(intel), "--store", url, "--json"]) == 0
    capsys.readouterr()
    docs = run_json(["alerts", "list", "--store", url, "--json"], capsys)
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["alerts", "list", "--store", url, "--limit", "1"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    widest = max(len(line) for line in lines)
    assert widest <= columns and (columns < 200 or widest > 200)  # not a terminal: COLUMNS, not 200
    assert len(docs) > 1 and f"Alerts (1 of {len(docs)})" in out and f"... and {len(docs) - 1} more" in out
    cells = table_cells(lines)
    for doc in docs[:1]:
        assert any(doc["event"]["id"] in line for line in lines)  # on one line: it can be copied
        assert doc["@timestamp"] in cells["time"] and doc["event"]["created"] in cells["time"]
        assert doc["log"]["file"]["path"] in cells["log"]  # folded or not
        assert f"{doc['source']['ip']}:{doc['source']['port']}" in cells["source"]
        assert f"{doc['destination']['ip']}:{doc['destination']['port']}" in cells["source"]


def table_cells(lines: list[str]) -> dict[str, str]:
    """The text of each column of the alerts table's rows (folded cells joined), by its header's first
    word; a column starts where its (maybe folded) header starts."""
    rule = next(number for number, line in enumerate(lines) if "───" in line)
    heads = lines[2:rule]  # after the title and its spacer
    names = {"time": r"\btim", "id": r"\bid\b", "log": r"\blog", "source": r"\bsou", "matched": r"\bmat",
             "indicator": r"\bind", "state": r"\bsta"}
    starts = [min(found.start() for line in heads if (found := re.search(pattern, line)))
              for pattern in names.values()]
    rows = [line for line in lines[rule + 1:] if line.strip() and not line.startswith("...")]
    return {name: "".join(row[start:end].strip() for row in rows)
            for name, start, end in zip(names, starts, [*starts[1:], None], strict=True)}


def test_hunt_prints_the_same_table(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    intel = tmp_path / "x.intel"
    intel.write_text("#fields\tindicator\tindicator_type\tmeta.source\n69.147.64.34\tIntel::ADDR\tlab\n")
    argv = ["hunt", "--logs", str(shared_data / "zeek" / "json" / "zat" / "http.log"), "--intel", str(intel)]
    docs = [orjson.loads(line) for line in run_text([*argv, "--json"], capsys).splitlines()]
    monkeypatch.setenv("COLUMNS", "120")
    out = run_text(argv, capsys)
    assert "time / raised" in out and "matched" in out and max(len(line) for line in out.splitlines()) <= 120
    assert all(any(doc["event"]["id"] in line for line in out.splitlines()) for doc in docs[:5])


def run_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out
