"""Tailing copies of the real logs: appends, partial lines, rotation, gzip archives, truncation, restarts."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import msgspec
import pytest

from minisoc.correlator import LogBatch, LogRecord, LogSource
from minisoc.correlator.zeek import DeadLetter, LogTailer, read_dead_letters
from minisoc.correlator.zeek.checkpoint import CHECKPOINT_FILE_NAME


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    logs, state = tmp_path / "logs", tmp_path / "state"
    logs.mkdir()
    return logs, state


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def data_lines(lines: list[bytes]) -> list[bytes]:
    return [line.rstrip(b"\n") for line in lines if line.strip() and not line.startswith(b"#")]


def poll(tailer: LogTailer, commit: bool = True) -> list[LogRecord]:
    """One poll as the service does it: every batch, each committed once its records are 'durable'."""
    records: list[LogRecord] = []
    for batch in tailer.batches():
        records.extend(batch.records)
        if commit:
            tailer.commit(batch.checkpoint)
    return records


def raws(records: list[LogRecord]) -> list[bytes]:
    return [record.raw for record in records]


def test_is_a_log_source(dirs: tuple[Path, Path]) -> None:
    tailer: LogSource = LogTailer(*dirs)
    assert list(tailer.batches()) == []


def test_existing_files_then_appends_then_nothing(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    shutil.copy(shared_data / "zeek/tsv/zat/conn.log", logs / "conn.log")
    dns_lines = lines_of(shared_data / "zeek/json/zat/dns.log")
    (logs / "dns.log").write_bytes(b"".join(dns_lines[:20]))
    tailer = LogTailer(logs, state)
    first = poll(tailer)
    want_conn = data_lines(lines_of(shared_data / "zeek/tsv/zat/conn.log"))
    assert sorted(raws(first)) == sorted(want_conn + data_lines(dns_lines[:20]))
    assert {r.log_type for r in first} == {"conn", "dns"}
    assert poll(tailer) == []
    with (logs / "dns.log").open("ab") as out:
        out.write(b"".join(dns_lines[20:]))
    second = poll(tailer)
    assert raws(second) == data_lines(dns_lines[20:])
    assert second[0].offset == len(b"".join(dns_lines[:20]))
    assert poll(tailer) == []


def test_partial_last_line_waits_for_its_newline(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    conn_lines = lines_of(shared_data / "zeek/json/zat/conn.log")
    (logs / "conn.log").write_bytes(b"".join(conn_lines[:3]) + conn_lines[3][:40])
    tailer = LogTailer(logs, state)
    assert raws(poll(tailer)) == data_lines(conn_lines[:3])
    assert poll(tailer) == []
    with (logs / "conn.log").open("ab") as out:
        out.write(conn_lines[3][40:])
    (record,) = poll(tailer)
    assert record.raw == conn_lines[3].rstrip(b"\n")
    assert record.offset == len(b"".join(conn_lines[:3]))
    assert tailer.stats.malformed_total == 0


def test_batches_are_bounded(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    shutil.copy(shared_data / "zeek/tsv/zat/conn.log", logs / "conn.log")
    tailer = LogTailer(logs, state, batch_lines=64)
    batches = list(tailer.batches())
    want = len(data_lines(lines_of(logs / "conn.log")))
    assert [len(b.records) for b in batches] == [64] * (want // 64) + ([want % 64] if want % 64 else [])
    assert batches[0].checkpoint["files"] != batches[-1].checkpoint["files"]


def test_rotation_by_rename_finishes_the_old_file_first(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    old = lines_of(shared_data / "zeek/json/zat/conn.log")
    (logs / "conn.log").write_bytes(b"".join(old[:30]))
    tailer = LogTailer(logs, state)
    assert len(poll(tailer)) == 30
    with (logs / "conn.log").open("ab") as out:  # Zeek's last writes, then the rename, then a new file
        out.write(b"".join(old[30:]))
    (logs / "conn.log").rename(logs / "conn.2019-12-03-22-00-00.log")
    new = lines_of(shared_data / "zeek/tsv/zat/conn.log")
    (logs / "conn.log").write_bytes(b"".join(new))
    os.utime(logs / "conn.2019-12-03-22-00-00.log", ns=(1, 1))  # older, as a rotated file is
    records = poll(tailer)
    assert raws(records) == data_lines(old[30:]) + data_lines(new)
    assert records[0].path == str(logs / "conn.2019-12-03-22-00-00.log")
    assert poll(tailer) == []


def test_replaced_file_is_drained_through_its_open_handle(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    old = lines_of(shared_data / "zeek/json/zat/dns.log")
    (logs / "dns.log").write_bytes(b"".join(old[:10]))
    tailer = LogTailer(logs, state)
    assert len(poll(tailer)) == 10
    with (logs / "dns.log").open("ab") as out:
        out.write(b"".join(old[10:]))
    (logs / "dns.log").unlink()  # gone (moved to another disk, say) before the tailer saw the rest
    shutil.copy(shared_data / "zeek/json/zat/http.log", logs / "dns.log")
    records = poll(tailer)
    want_new = data_lines(lines_of(shared_data / "zeek/json/zat/http.log"))
    assert raws(records) == data_lines(old[10:]) + want_new


def write_gzip(source: Path, target: Path) -> None:
    with source.open("rb") as plain, gzip.open(target, "wb") as packed:
        shutil.copyfileobj(plain, packed)


@pytest.mark.parametrize("restart", [False, True])
def test_rotated_gzip_archive_continues_where_the_plain_file_stopped(
    shared_data: Path, dirs: tuple[Path, Path], restart: bool
) -> None:
    """conn.log -> conn.<t>.log -> conn.<t>.log.gz (plain gone): the unread lines come from the archive."""
    logs, state = dirs
    lines = lines_of(shared_data / "zeek/tsv/zat/conn.log")
    (logs / "conn.log").write_bytes(b"".join(lines[:100]))
    tailer = LogTailer(logs, state)
    assert raws(poll(tailer)) == data_lines(lines[:100])
    with (logs / "conn.log").open("ab") as out:
        out.write(b"".join(lines[100:]))
    rotated = logs / "conn.2013-09-16-00-00-00.log"
    (logs / "conn.log").rename(rotated)
    write_gzip(rotated, logs / "conn.2013-09-16-00-00-00.log.gz")
    if restart:  # no open handle left: only the archive's fingerprint can tell where to go on
        tailer.close()
        tailer = LogTailer(logs, state)
        rotated.unlink()
        records = poll(tailer)
    else:  # the gzip copy appears while the plain file is there: it waits; the plain one is drained
        records = poll(tailer)
        rotated.unlink()
        records += poll(tailer)
    assert raws(records) == data_lines(lines[100:])
    assert {r.offset for r in records} >= {len(b"".join(lines[:100]))}
    assert poll(tailer) == []
    checkpoint = msgspec.json.decode((state / CHECKPOINT_FILE_NAME).read_bytes())
    (archive,) = [e for e in checkpoint["files"].values() if e["compressed"]]
    assert archive["done"] and archive["offset"] == len(b"".join(lines))


def test_new_gzip_archive_is_read_whole(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    tailer = LogTailer(logs, state)
    assert poll(tailer) == []
    shutil.copy(shared_data / "zeek/json/wrccdc-zeek6.2/notice.json.gz", logs / "notice.json.gz")
    records = poll(tailer)
    assert raws(records) == data_lines(gzip.decompress((logs / "notice.json.gz").read_bytes()).splitlines())
    assert poll(tailer) == []


def test_a_gzip_archive_seen_while_its_copy_has_just_begun_is_read_as_gzip(
    shared_data: Path, dirs: tuple[Path, Path]
) -> None:
    """A poll that lands between a copy's create and its first write sees 0 bytes: no magic yet, no verdict.
    (The fault suite caught this race: such a file was tracked as plain text, its gzip bytes went to the dead
    letters and its alerts were lost.)"""
    logs, state = dirs
    tailer = LogTailer(logs, state)
    source = (shared_data / "zeek/json/wrccdc-zeek6.2/notice.json.gz").read_bytes()
    target = logs / "notice.json.gz"
    target.write_bytes(b"")  # created, nothing written yet
    assert poll(tailer) == []
    target.write_bytes(source[:1])  # one byte: still not enough to tell gzip from text
    assert poll(tailer) == []
    target.write_bytes(source)
    records = poll(tailer)
    assert raws(records) == data_lines(gzip.decompress(source).splitlines())
    assert tailer.stats.malformed_total == 0


def test_truncation_restarts_at_zero(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    shutil.copy(shared_data / "zeek/json/zat/ssl.log", logs / "ssl.log")
    tailer = LogTailer(logs, state)
    assert len(poll(tailer)) == len(data_lines(lines_of(logs / "ssl.log")))
    fresh = lines_of(shared_data / "zeek/json/zat/x509.log")[:5]
    with (logs / "ssl.log").open("r+b") as out:  # copytruncate: same inode, shorter content
        out.truncate(0)
        out.write(b"".join(fresh))
    records = poll(tailer)
    assert raws(records) == data_lines(fresh)
    assert records[0].offset == 0
    assert tailer.truncations == 1


def test_new_files_appear(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    tailer = LogTailer(logs, state)
    assert poll(tailer) == []
    (logs / "2024-01-01").mkdir()
    shutil.copy(shared_data / "zeek/tsv/zat/weird.log", logs / "2024-01-01" / "weird.log")
    (logs / "notes.txt").write_text("not a log\n")
    records = poll(tailer)
    assert raws(records) == data_lines(lines_of(shared_data / "zeek/tsv/zat/weird.log"))
    assert {r.log_type for r in records} == {"weird"}


def test_crash_before_commit_redelivers_the_same_records(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    shutil.copy(shared_data / "zeek/tsv/zat/http.log", logs / "http.log")
    shutil.copy(shared_data / "zeek/json/zat/files.log", logs / "files.log")
    first = LogTailer(logs, state, batch_lines=40)
    batches: list[LogBatch] = list(first.batches())
    assert len(batches) >= 4
    first.commit(batches[1].checkpoint)  # alerts of batches 0-1 durable; then the process dies
    del first

    second = LogTailer(logs, state, batch_lines=40)
    again = [record for batch in second.batches() for record in batch.records]
    lost = [record for batch in batches[2:] for record in batch.records]
    assert [(r.raw, r.offset, r.path) for r in again] == [(r.raw, r.offset, r.path) for r in lost]


def test_commits_never_lose_a_line_across_many_restarts(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    """Crash after every other commit: the committed records, in order, are the files' lines exactly once."""
    logs, state = dirs
    shutil.copy(shared_data / "zeek/tsv/zat/files.log", logs / "files.log")
    delivered: list[tuple[str | None, int | None]] = []
    for _ in range(50):
        tailer = LogTailer(logs, state, batch_lines=9)
        batches = tailer.batches()
        batch = next(batches, None)
        if batch is None:
            break
        tailer.commit(batch.checkpoint)
        delivered.extend((r.path, r.offset) for r in batch.records)
        next(batches, None)  # read one more batch, never committed: the crash
    want = data_lines(lines_of(logs / "files.log"))
    raw = (logs / "files.log").read_bytes()
    assert [raw[offset : raw.index(b"\n", offset)] for _, offset in delivered if offset is not None] == want


def test_malformed_lines_are_dead_lettered_once(
    shared_data: Path, dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    logs, state = dirs
    shutil.copy(
        shared_data / "zeek/edge/zeek-btest/json-non-printable-escaping.http.log.json", logs / "http.log.json"
    )
    bad = len(lines_of(logs / "http.log.json"))
    with DeadLetter(tmp_path / "dead.jsonl") as dead:
        tailer = LogTailer(logs, state, dead_letter=dead)
        assert poll(tailer) == []  # an empty batch carried the position: committed
        tailer = LogTailer(logs, state, dead_letter=dead)
        assert poll(tailer) == []
    entries = read_dead_letters(tmp_path / "dead.jsonl")
    assert len(entries) == bad and {e.reason for e in entries} == {"invalid_json"}


def test_corrupt_archive_is_reported_once(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    whole = (shared_data / "zeek/json/wrccdc-zeek6.2/x509.json.gz").read_bytes()
    (logs / "x509.json.gz").write_bytes(whole[: len(whole) // 2])
    tailer = LogTailer(logs, state)
    records = poll(tailer)
    full = gzip.decompress(whole).splitlines()
    assert 0 < len(records) < len(full) and raws(records) == full[: len(records)]
    assert poll(tailer) == []
    assert len(tailer.stats.file_errors) == 1
    (logs / "x509.json.gz").write_bytes(whole)  # the compressor finished after all: the rest comes
    assert raws(poll(tailer)) == full[len(records) :]


def test_resumed_tsv_file_keeps_its_header(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    lines = lines_of(shared_data / "zeek/tsv/zat/dns.log")
    (logs / "dns.log").write_bytes(b"".join(lines[:20]))
    poll(LogTailer(logs, state))
    with (logs / "dns.log").open("ab") as out:
        out.write(b"".join(lines[20:]))
    records = poll(LogTailer(logs, state))  # a restart: the header is read again from the top
    assert raws(records) == data_lines(lines[20:])
    assert all(isinstance(r.fields["ts"], float) and r.log_type == "dns" for r in records)


def test_checkpoint_file_is_replaced_atomically(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    shutil.copy(shared_data / "zeek/json/zat/weird.log", logs / "weird.log")
    tailer = LogTailer(logs, state)
    poll(tailer)
    assert sorted(p.name for p in state.iterdir()) == [CHECKPOINT_FILE_NAME]  # no temp file left behind
    checkpoint = msgspec.json.decode((state / CHECKPOINT_FILE_NAME).read_bytes())
    (entry,) = checkpoint["files"].values()
    status = (logs / "weird.log").stat()
    assert (entry["dev"], entry["inode"], entry["offset"]) == (status.st_dev, status.st_ino, status.st_size)
    assert len(entry["fingerprint"]) == 64


def test_open_handles_are_bounded(shared_data: Path, dirs: tuple[Path, Path]) -> None:
    logs, state = dirs
    sources = sorted((shared_data / "zeek/json/zat").glob("*.log"))
    for source in sources:
        shutil.copy(source, logs / source.name)
    tailer = LogTailer(logs, state, max_open=2)
    assert len(poll(tailer)) == sum(len(data_lines(lines_of(source))) for source in sources)
    assert tailer.open_files == 2
    extra = lines_of(shared_data / "zeek/json/zat/conn.log")[:3]
    for source in sources:  # every file grows again, those closed included
        with (logs / source.name).open("ab") as out:
            out.write(b"".join(extra))
    assert len(poll(tailer)) == 3 * len(sources)
    assert tailer.open_files == 2
