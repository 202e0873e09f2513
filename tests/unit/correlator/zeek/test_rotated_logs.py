"""Rotated Zeek logs gzipped once read and pruned after retention, against the real tailer: an archive made in
place is never read again (same process or after a restart), current and unread logs are never touched."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from minisoc.correlator.service.housekeeping import RotatedLogs, finished, is_rotated_name
from minisoc.correlator.zeek.checkpoint import load_checkpoint
from minisoc.correlator.zeek.tail import LogTailer

DAY = 86400.0
NOW = 1_800_000_000.0
ROTATED = "conn.2015-03-30-14-45-02.log"


def conn_lines(count: int, first: int = 0) -> bytes:
    return b"".join(
        b'{"ts":%d.5,"uid":"C%05d","id.orig_h":"10.0.0.%d","id.orig_p":5%04d,"id.resp_h":"192.0.2.7",'
        b'"id.resp_p":443,"proto":"tcp"}\n' % (1427726702 + n, n, n % 250, n)
        for n in range(first, first + count)
    )


def drain(tailer: LogTailer) -> int:
    """Read everything there is and commit it, as the service does; the number of records."""
    records = 0
    for batch in tailer.batches():
        records += len(batch.records)
        tailer.commit(batch.checkpoint)
    return records


def housekeeper(log_dir: Path, state: Path, retention_days: int = 30) -> RotatedLogs:
    return RotatedLogs(log_dir, state / "zeek-tail.checkpoint.json", retention_days=retention_days,
                       clock=lambda: NOW)


def written(path: Path, data: bytes, age_days: float = 0.0) -> Path:
    path.write_bytes(data)
    os.utime(path, (NOW - age_days * DAY, NOW - age_days * DAY))
    return path


def test_zeek_rotation_names_are_told_from_current_and_other_files() -> None:
    assert is_rotated_name("conn.2015-03-30-14-45-02.log")
    assert is_rotated_name("dns.2026-12-04-10-00-00.log.gz")
    assert not is_rotated_name("conn.log")
    assert not is_rotated_name("conn.ndjson.gz")
    assert not is_rotated_name(".conn.2015-03-30-14-45-02.log.gz.tmp")
    assert not is_rotated_name("conn.00:00:00-01:00:00.log.gz")  # zeekctl's archive: an external sensor's


def test_a_read_rotated_log_is_gzipped_and_never_read_again(tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    data = conn_lines(40)
    rotated = written(logs / ROTATED, data, age_days=1)
    current = written(logs / "conn.log", conn_lines(5, first=100))
    tailer = LogTailer(logs, state)
    assert drain(tailer) == 45

    run = housekeeper(logs, state).run()

    assert run.gzipped == [ROTATED] and run.deleted == [] and run.error is None
    archive = logs / (ROTATED + ".gz")
    assert not rotated.exists() and gzip.decompress(archive.read_bytes()) == data
    assert archive.stat().st_mtime == NOW - DAY  # retention counts from the rotation, not the gzip
    assert current.read_bytes() == conn_lines(5, first=100)  # the current log is never touched
    assert drain(tailer) == 0  # the same tailer: the archive is the file it read
    tailer.close()
    assert drain(LogTailer(logs, state)) == 0  # a restart from the committed checkpoint: nothing again
    entries = load_checkpoint(state / "zeek-tail.checkpoint.json").values()
    assert any(entry.compressed and entry.done and entry.path.endswith(".gz") for entry in entries)


def test_a_restart_between_gzip_and_commit_reads_nothing_twice(tmp_path: Path) -> None:
    """The process dies after the archive replaced the plain file, before the tailer's next commit."""
    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    written(logs / ROTATED, conn_lines(30), age_days=1)
    first = LogTailer(logs, state)
    assert drain(first) == 30
    first.close()
    assert housekeeper(logs, state).run().gzipped == [ROTATED]
    assert drain(LogTailer(logs, state)) == 0  # checkpoint still names the plain file's inode


def test_unread_and_half_read_files_stay_as_they_are(tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    tailer = LogTailer(logs, state, batch_lines=10)
    half = written(logs / "dns.2015-03-30-14-45-02.log", conn_lines(30), age_days=60)
    batches = tailer.batches()
    tailer.commit(next(batches).checkpoint)  # 10 of 30 records durable
    unread = written(logs / "http.2015-03-30-15-45-02.log", conn_lines(3, first=300), age_days=60)
    uncommitted = written(logs / "ssl.2015-03-30-15-45-02.log", conn_lines(3, first=400), age_days=60)
    for _ in LogTailer(logs, tmp_path / "other-state").batches():
        pass  # read by someone, never committed to this checkpoint

    run = housekeeper(logs, state).run()

    assert run.gzipped == [] and run.deleted == [] and run.unfinished == 3
    assert half.exists() and unread.exists() and uncommitted.exists()
    assert drain(tailer) == 20 + 3 + 3  # the rest is still read, once


def test_finished_rotated_logs_past_retention_are_deleted_current_ones_never(tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    old = written(logs / ROTATED, conn_lines(20), age_days=31)
    old_archive = logs / "dns.2015-03-29-14-45-02.log.gz"
    written(old_archive, gzip.compress(conn_lines(20, first=200)), age_days=40)
    young = written(logs / "conn.2015-03-30-15-45-02.log", conn_lines(20, first=300), age_days=29)
    current = written(logs / "conn.log", conn_lines(20, first=50), age_days=90)  # Zeek idle: still current
    dropped = written(logs / "conn.ndjson", conn_lines(20, first=80), age_days=90)  # not a Zeek rotation
    tailer = LogTailer(logs, state)
    assert drain(tailer) == 100

    run = housekeeper(logs, state, retention_days=30).run()

    assert sorted(run.deleted) == sorted([old.name, old_archive.name])
    assert run.gzipped == [young.name]
    assert current.exists() and dropped.exists() and not old.exists() and not old_archive.exists()
    assert drain(tailer) == 0


def test_a_file_too_short_to_be_recognised_as_an_archive_stays_plain(tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    tiny = written(logs / ROTATED, b'{"ts":1.0,"uid":"C1"}\n', age_days=1)  # < MIN_MATCH_BYTES
    tailer = LogTailer(logs, state)
    assert drain(tailer) == 1
    assert housekeeper(logs, state).run().gzipped == []
    assert tiny.exists() and drain(tailer) == 0


def test_a_gzip_that_cannot_be_written_is_reported_and_leaves_the_log_as_it_was(tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    written(logs / ROTATED, conn_lines(20), age_days=1)
    (logs / (ROTATED + ".gz")).mkdir()  # the archive's name is taken (as root, chmod would not stop a write)
    tailer = LogTailer(logs, state)
    assert drain(tailer) == 20

    run = housekeeper(logs, state).run()

    assert run.gzipped == [] and run.error is not None and ROTATED in run.error
    assert (logs / ROTATED).read_bytes() == conn_lines(20)
    assert [p.name for p in logs.iterdir() if p.name.startswith(".")] == []  # no temporary left behind
    assert drain(tailer) == 0


def test_finished_needs_the_same_name_and_the_whole_file() -> None:
    from minisoc.correlator.zeek.checkpoint import TrackedFile

    plain = TrackedFile(1, 2, "/logs/zeek/" + ROTATED, "f", 1024, offset=500)
    assert finished(plain, ROTATED, 500)
    assert not finished(plain, ROTATED, 501)  # a line not read yet
    assert not finished(plain, "conn.log", 500)  # same inode under another name: not what was read
    archive = TrackedFile(1, 3, "/logs/zeek/x.log.gz", "f", 1024, offset=900, compressed=True, size=300)
    assert not finished(archive, "x.log.gz", 300)  # not read to its end yet
    done = TrackedFile(1, 3, "/logs/zeek/x.log.gz", "f", 1024, offset=900, compressed=True, size=300,
                       done=True)
    assert finished(done, "x.log.gz", 300) and not finished(done, "x.log.gz", 400)
    assert not finished(None, ROTATED, 0)


def test_an_archive_left_half_written_by_a_killed_run_is_removed_and_made_again(tmp_path: Path) -> None:
    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    written(logs / ROTATED, conn_lines(20), age_days=1)
    half = written(logs / f".{ROTATED}.gz.tmp", b"\x1f\x8b\x08\x00half")
    other = written(logs / ".somebody-elses.tmp", b"not ours")
    tailer = LogTailer(logs, state)
    assert drain(tailer) == 20
    assert housekeeper(logs, state).run().gzipped == [ROTATED]
    assert not half.exists() and other.exists()
    assert gzip.decompress((logs / (ROTATED + ".gz")).read_bytes()) == conn_lines(20)


def test_the_tailer_polling_while_a_gzip_is_under_way_reads_nothing_twice(tmp_path: Path) -> None:
    """Housekeeping runs in a thread beside the tail: every state it passes through, as the tailer sees it."""
    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    data = conn_lines(50)
    plain = written(logs / ROTATED, data, age_days=1)
    tailer = LogTailer(logs, state)
    assert drain(tailer) == 50
    temporary = written(logs / f".{ROTATED}.gz.tmp", gzip.compress(data)[:40])  # being written
    assert drain(tailer) == 0
    written(temporary, gzip.compress(data)).replace(logs / (ROTATED + ".gz"))  # renamed, plain still there
    assert drain(tailer) == 0
    plain.unlink()
    assert drain(tailer) == 0
    tailer.close()
    assert drain(LogTailer(logs, state)) == 0
