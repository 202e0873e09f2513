"""Fault suite (marker `fault`): the real correlator process and a real OpenSearch SIGKILLed at seeded
random moments while real Zeek logs arrive one by one and intel grows half-way; every alert the planted
indicators must produce is there exactly once (expectation computed without the correlator, see
fault_harness.py). MINISOC_FAULT_SEED replays a failing seed; fault_trials.py runs many seeds."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fault_harness import (
    PLANTED_FIRST,
    PLANTED_LATE,
    REPO,
    Correlator,
    caught_up,
    expected_triples,
    fetch_alerts,
    kill_opensearch,
    log_files,
    run_trial,
    stored_triples,
    write_config,
    write_intel,
)
from opensearch_server import OpenSearchServer, free_port, start_server

from minisoc.correlator.service.faults import CRASH_ENV, CRASH_EXIT_CODE

pytestmark = [pytest.mark.integration, pytest.mark.fault, pytest.mark.timeout(480)]
SEED = int(os.environ.get("MINISOC_FAULT_SEED", "20261204"))


@pytest.fixture(scope="module")
def killable_opensearch() -> Iterator[OpenSearchServer]:
    """An OpenSearch of its own: the tests SIGKILL it (the session's is shared with other tests)."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)


def test_random_kills_lose_and_duplicate_nothing(
    killable_opensearch: OpenSearchServer, shared_data: Path, tmp_path: Path
) -> None:
    zeek = shared_data / "zeek"
    result = run_trial(SEED, killable_opensearch, tmp_path / "trial", log_files(zeek, large=False), zeek,
                       kills=8, duration_s=90.0)
    print(result.summary())
    assert result.correlator_kills >= 1 and result.opensearch_kills >= 1
    assert result.expected > 300  # the planted indicators are in many files of every kind
    assert result.ok, (
        f"{result.summary()} (replay: MINISOC_FAULT_SEED={SEED}); missing {result.missing[:10]}, "
        f"duplicated {result.duplicated[:10]}, unexpected {result.unexpected[:10]}"
    )


def test_crashes_while_opensearch_is_down_keep_the_buffered_alerts(
    killable_opensearch: OpenSearchServer, shared_data: Path, tmp_path: Path
) -> None:
    """Deterministic: alerts go to the on-disk buffer (OpenSearch killed), the process dies right after the
    buffer write, then right after the checkpoint write; OpenSearch back, everything arrives once."""
    zeek = shared_data / "zeek"
    work = tmp_path / "down"
    (work / "logs").mkdir(parents=True)
    write_intel(work / "planted.intel", PLANTED_FIRST + PLANTED_LATE)
    files = {str(path.relative_to(zeek)): path for path in log_files(zeek, large=False) if "zat" in str(path)}
    for name, path in files.items():
        (work / "logs" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, work / "logs" / name)
    port = free_port()
    config = write_config(work, killable_opensearch, 0, port)
    kill_opensearch(killable_opensearch)
    try:
        for point in ("alerts-durable", "logs-durable", "committed"):  # none commits before the last
            env = dict(os.environ, PYTHONPATH=str(REPO / "installer"), **{CRASH_ENV: point})
            dying = subprocess.run(
                [sys.executable, "-m", "minisoc", "correlate", "run", "--config", str(config)],
                env=env, capture_output=True, timeout=120, check=False,
            )
            assert dying.returncode == CRASH_EXIT_CODE, dying.stdout.decode()[-2000:]
        assert any((work / "state" / "buffer" / "alerts").glob("*.json"))  # the alerts wait on disk
    finally:
        killable_opensearch.start()
    correlator = Correlator(config, work / "correlator.out", port)
    correlator.start()
    try:
        deadline = time.monotonic() + 300
        while not caught_up(work, correlator, {name: work / "logs" / name for name in files}):
            assert time.monotonic() < deadline, f"not caught up; see {work / 'correlator.out'}"
            time.sleep(0.5)
    finally:
        correlator.stop()
    expected = expected_triples(files, set(PLANTED_FIRST + PLANTED_LATE))
    stored, counts = stored_triples(fetch_alerts(killable_opensearch, "fault-alerts-0"), work / "logs")
    assert expected and stored == expected
    assert all(n == 1 for n in counts.values())
