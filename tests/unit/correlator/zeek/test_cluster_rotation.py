"""A supervised Zeek cluster's logger rotates `conn.log` into `log-queue/` under zeek-archiver's names
(`conn__<open>__<close>__.log`, base/frameworks/cluster/nodes/logger.zeek): the tailer follows the move
without reading a line twice, knows the log type from the name, and housekeeping gzips and prunes them too.

The names are upstream's own (zeek/zeek-aux zeek-archiver.cc documents both forms, recorded in
tests/data/zeek8-cluster.json); the rotation is done here as Zeek does it, a rename within one filesystem."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from minisoc.correlator.service.housekeeping import RotatedLogs, is_rotated_name
from minisoc.correlator.zeek.names import ARCHIVER_QUEUE_DIR, is_log_file_name, log_type_from_name
from minisoc.correlator.zeek.tail import LogTailer

FACTS = json.loads((Path(__file__).parents[3] / "data" / "zeek8-cluster.json").read_text())
UPSTREAM_NAMES: list[str] = FACTS["logger_rotation"]["example_names"]
ROTATED = "conn__2026-12-05-12-00-00__2026-12-05-13-00-00__.log"
NOW = 1_800_000_000.0
DAY = 86400.0


def conn_lines(count: int, first: int = 0) -> bytes:
    return b"".join(
        b'{"ts":%d.5,"uid":"C%05d","id.orig_h":"10.0.0.%d","id.orig_p":5%04d,"id.resp_h":"192.0.2.7",'
        b'"id.resp_p":443,"proto":"tcp"}\n' % (1800000000 + n, n, n % 250, n)
        for n in range(first, first + count)
    )


def drain(tailer: LogTailer) -> list[tuple[str, str]]:
    """Everything there is, committed as the service does: (log type, uid) per record."""
    seen = []
    for batch in tailer.batches():
        seen += [(record.log_type, str(record.fields.get("uid"))) for record in batch.records]
        tailer.commit(batch.checkpoint)
    return seen


@pytest.mark.parametrize("name", UPSTREAM_NAMES)
def test_upstream_archiver_names_are_rotated_logs_of_their_path(name: str) -> None:
    assert is_log_file_name(name) and is_rotated_name(name)
    assert log_type_from_name(name) == "test"  # upstream's examples rotate a stream called `test`


def test_archiver_names_keep_the_log_type_and_leave_other_names_alone() -> None:
    assert log_type_from_name(ROTATED) == "conn"
    assert log_type_from_name(ROTATED + ".gz") == "conn"
    with_suffix = "dns__2026-12-05-12-00-00__2026-12-05-13-00-00__log_suffix=logger-1__.log"
    assert log_type_from_name(with_suffix) == "dns"
    assert log_type_from_name("conn.log") == "conn"
    hidden = "." + ROTATED + ".gz.tmp"
    for other in ("conn.log", "conn__x__y__.log", hidden, "conn__2026-12-05-12-00-00__.log"):
        assert not is_rotated_name(other), other


def test_the_tailer_follows_the_loggers_rotation_into_log_queue_without_reading_twice(tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    current = logs / "conn.log"
    current.write_bytes(conn_lines(30))
    tailer = LogTailer(logs, state)
    assert len(drain(tailer)) == 30
    with current.open("ab") as handle:  # written after the last poll, before the rotation
        handle.write(conn_lines(10, first=30))
    (logs / ARCHIVER_QUEUE_DIR).mkdir()
    current.rename(logs / ARCHIVER_QUEUE_DIR / ROTATED)  # what Zeek's rotation does (same filesystem)
    current.write_bytes(conn_lines(5, first=100))

    after = drain(tailer)

    assert sorted(uid for _, uid in after) == [f"C{n:05d}" for n in (*range(30, 40), *range(100, 105))]
    assert {kind for kind, _ in after} == {"conn"}
    tailer.close()
    assert drain(LogTailer(logs, state)) == []  # a restart from the checkpoint reads nothing again


def test_housekeeping_gzips_and_prunes_rotated_logs_in_log_queue(tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "state"
    queue = logs / ARCHIVER_QUEUE_DIR
    queue.mkdir(parents=True)
    young = queue / ROTATED
    young.write_bytes(conn_lines(20))
    os.utime(young, (NOW - DAY, NOW - DAY))
    old = queue / "dns__2026-10-01-12-00-00__2026-10-01-13-00-00__.log"
    old.write_bytes(conn_lines(20, first=200))
    os.utime(old, (NOW - 40 * DAY, NOW - 40 * DAY))
    (logs / "conn.log").write_bytes(conn_lines(3, first=500))
    tailer = LogTailer(logs, state)
    assert len(drain(tailer)) == 43

    run = RotatedLogs(logs, state / "zeek-tail.checkpoint.json", retention_days=30, clock=lambda: NOW).run()

    assert run.error is None and run.gzipped == [ROTATED] and run.deleted == [old.name]
    assert gzip.decompress((queue / (ROTATED + ".gz")).read_bytes()) == conn_lines(20)
    assert not young.exists() and not old.exists() and (logs / "conn.log").exists()
    assert drain(tailer) == []  # the archive is recognised as the file already read
