"""Ctrl-C in `minisoc hunt`: a real process, a real SIGINT. It stops, keeps every alert matched until then
(in the store and on stdout, the part of the file being read included), prints `interrupted` and the summary,
and exits 130; with --workers 2 as well, and no worker dies with a traceback.

The logs are named pipes, so the hunt cannot finish before the signal: the first pipe is written whole and
closed, the second gets the same lines and then a malformed one and stays open. The malformed line reaching
the dead-letter file (flushed line by line) proves every line before it was matched: only then is SIGINT
sent. No sleep decides anything.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minisoc.cli.main import main

REPO = Path(__file__).resolve().parents[3]
INTEL = "#fields\tindicator\tindicator_type\nicemaiden.com\tIntel::DOMAIN\n69.147.64.34\tIntel::ADDR\n"
WAIT_S = 60.0


def _wait_for(what: str, check: object, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():  # type: ignore[operator]
        if process.poll() is not None:
            raise AssertionError(f"the hunt exited ({process.returncode}) before {what}: "
                                 f"{process.stderr.read().decode() if process.stderr else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _expected_alerts(path: Path, intel: Path, capsys: pytest.CaptureFixture[str]) -> int:
    capsys.readouterr()
    assert main(["hunt", "--logs", str(path), "--intel", str(intel), "--json"]) == 0
    return len(capsys.readouterr().out.splitlines())


@pytest.mark.parametrize(("workers", "to_group"), [
    (1, False),
    (2, False),  # the parent alone gets it (`kill -INT`): it stops the workers
    (2, True),  # Ctrl-C in a terminal: every process of the group gets it
])
def test_sigint_keeps_what_was_matched_and_exits_130(
    shared_data: Path, tmp_path: Path, workers: int, to_group: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = [shared_data / "zeek/json/zat" / name for name in ("dns.log", "http.log")]
    intel = tmp_path / "hunt.intel"
    intel.write_text(INTEL)
    expected = sum(_expected_alerts(path, intel, capsys) for path in logs)
    assert all(_expected_alerts(path, intel, capsys) for path in logs)
    pipes = [tmp_path / name / path.name for name, path in zip(("a", "b"), logs, strict=True)]
    for pipe in pipes:
        pipe.parent.mkdir()
        os.mkfifo(pipe)
    store, dead_letter = tmp_path / "alerts.db", tmp_path / "dead.jsonl"
    argv = [sys.executable, "-m", "minisoc", "hunt", "--logs", *map(str, pipes), "--intel", str(intel),
            "--json", "--store", f"sqlite:///{store}", "--dead-letter", str(dead_letter),
            "--workers", str(workers)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONPATH": str(REPO / "installer")},
                               start_new_session=True)  # its own process group, as under a terminal
    second = None
    try:
        with pipes[0].open("wb") as first:  # opens once the hunt reads it
            first.write(logs[0].read_bytes())
        second = pipes[1].open("wb")
        second.write(logs[1].read_bytes() + b"{not json\n")
        second.flush()
        dead_letters = [dead_letter, Path(f"{dead_letter}.part-1")]
        _wait_for("the malformed line was refused", lambda: any(
            p.exists() and b"invalid_json" in p.read_bytes() for p in dead_letters), process)
        if to_group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT_S)
    finally:
        if second is not None:
            second.close()
        if process.poll() is None:
            process.kill()
    stderr = err.decode()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "Process" not in stderr, stderr
    message, summary_line = stderr.strip().splitlines()
    assert message == "interrupted"
    summary = json.loads(summary_line)
    assert summary["interrupted"] is True
    assert summary["alerts"] == expected  # all of the first file, and the second up to where it was
    assert len(out.decode().splitlines()) == expected
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] == expected
    assert summary["logs"]["malformed"] == 1
    assert [json.loads(line)["reason"] for line in dead_letter.read_text().splitlines()] == ["invalid_json"]
    assert not Path(f"{dead_letter}.part-1").exists()  # a worker's part, merged into the file
