"""Evidence replay: records shifted to now with their gaps kept, written whole (fast) or each at its time
(real, with a fake clock), in the three timestamp styles of Zeek logs."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from minisoc.errors import UsageError
from minisoc.scenarios.evidence import (
    first_ts,
    parse_speed,
    read_evidence,
    shift_line,
    timeline,
    write_fast,
    write_real,
)

TSV_HEADER = ["#separator \\x09", "#fields\tts\tuid\tid.orig_h", "#types\ttime\tstring\taddr"]


def times(path: Path) -> list[float]:
    return [json.loads(line)["ts"] for line in path.read_text().splitlines()]


def test_shift_epoch_iso_and_tsv() -> None:
    moved = json.loads(shift_line('{"ts":100.5,"uid":"C1","x":{"ts":1}}', 1000.0))
    assert moved == {"ts": 1100.5, "uid": "C1", "x": {"ts": 1}}
    iso = json.loads(shift_line('{"ts":"2018-03-24T17:30:45.5Z","_write_ts":"2018-03-24T17:30:46Z"}', 60.0))
    assert iso == {"ts": "2018-03-24T17:31:45.500000Z", "_write_ts": "2018-03-24T17:31:46.000000Z"}
    assert shift_line("100.000000\tC1\t10.0.0.1", 0.25, TSV_HEADER) == "100.250000\tC1\t10.0.0.1"


def test_read_evidence_of_each_kind(tmp_path: Path) -> None:
    lines = [*TSV_HEADER, "5.0\tC2\ta", "2.0\tC1\tb", "#close x"]
    (tmp_path / "conn.log").write_text("\n".join(lines) + "\n")
    tsv = read_evidence(tmp_path / "conn.log")
    assert tsv.name == "conn.log" and [ts for ts, _ in tsv.records] == [5.0, 2.0] and tsv.header == TSV_HEADER
    with gzip.open(tmp_path / "dns.log.gz", "wt") as handle:
        handle.write('{"ts":"1970-01-01T00:00:03Z"}\n\n{"ts":4}\n')
    gz = read_evidence(tmp_path / "dns.log.gz")
    assert gz.name == "dns.log" and [ts for ts, _ in gz.records] == [3.0, 4.0]
    assert first_ts([tsv, gz]) == 2.0
    assert [(ts, index) for ts, index, _ in timeline([tsv, gz])] == [(2.0, 0), (3.0, 1), (4.0, 1), (5.0, 0)]
    (tmp_path / "bad.log").write_text('{"uid":"C1"}\n')
    with pytest.raises(UsageError, match="line 1: not a Zeek JSON record with a ts"):
        read_evidence(tmp_path / "bad.log")


def test_fast_writes_the_run_folder_whole(tmp_path: Path) -> None:
    (tmp_path / "ssh.log").write_text('{"ts":10.0,"uid":"A"}\n{"ts":12.5,"uid":"B"}\n')
    files = [read_evidence(tmp_path / "ssh.log")]
    run_dir = tmp_path / "logs" / "run-1"
    write_fast(run_dir, files, 1000.0 - first_ts(files))
    assert times(run_dir / "ssh.log") == [1000.0, 1002.5]
    assert not (tmp_path / "logs" / ".run-1").exists()
    (tmp_path / "logs" / ".run-2").mkdir()  # a run being written: never written into
    with pytest.raises(FileExistsError):
        write_fast(tmp_path / "logs" / "run-2", files, 0.0)


def test_real_speed_appends_each_record_when_its_time_comes(tmp_path: Path) -> None:
    (tmp_path / "conn.log").write_text('{"ts":10.0}\n{"ts":40.0}\n')
    (tmp_path / "notice.log").write_text('{"ts":25.0}\n')
    files = [read_evidence(tmp_path / name) for name in ("conn.log", "notice.log")]
    clock = [1000.0]
    slept: list[float] = []
    seen: list[tuple[int, int]] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    runs = [tmp_path / "a" / "run", tmp_path / "b" / "run"]
    write_real(runs, files, 1000.0, clock=lambda: clock[0], sleep=sleep,
               progress=lambda done, total: seen.append((done, total)))
    assert slept == [15.0, 15.0] and seen == [(1, 3), (2, 3), (3, 3)]
    for run in runs:
        assert times(run / "conn.log") == [1000.0, 1030.0]
        assert json.loads((run / "notice.log").read_text())["ts"] == 1015.0


def test_speed() -> None:
    assert parse_speed("real") == 1.0 and parse_speed("fast") is None and parse_speed("10x") == 10.0
    assert parse_speed("2.5x") == 2.5
    for bad in ("0.5x", "10", "x", "4000x", "slow"):
        with pytest.raises(UsageError, match=f"--speed {bad}: not a speed"):
            parse_speed(bad)


def test_accelerated_replay_compresses_the_gaps_and_the_times(tmp_path: Path) -> None:
    (tmp_path / "conn.log").write_text('{"ts":10.0,"_write_ts":10.5}\n{"ts":40.0}\n')
    files = [read_evidence(tmp_path / "conn.log")]
    clock = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    write_real([tmp_path / "run"], files, 1000.0, factor=10.0, clock=lambda: clock[0], sleep=sleep)
    assert slept == [3.0]
    records = [json.loads(line) for line in (tmp_path / "run" / "conn.log").read_text().splitlines()]
    assert records == [{"ts": 1000.0, "_write_ts": 1000.5}, {"ts": 1003.0}]
