"""Offline reading of the real sample logs: every file parses or is counted as malformed, nothing crashes."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from minisoc.correlator.service.retro import files_within
from minisoc.correlator.zeek import DeadLetter, ReadStats, find_log_files, read_dead_letters, read_logs
from minisoc.correlator.zeek.names import is_log_file_name, log_type_from_name
from minisoc.errors import LogSourceError

CANONIFIED = b"XXXXXXXXXX.XXXXXX"  # btest's placeholder for times: not a number, so such lines are malformed


def sample_log_files(shared_data: Path) -> list[Path]:
    # every file but Zeek scripts (zeek8-pcaps.site.zeek made those logs; it is not one)
    files = sorted(p for p in (shared_data / "zeek").rglob("*") if p.is_file() and p.suffix != ".zeek")
    files += sorted((shared_data / "pcaps").glob("*.log"))
    return files


def decompressed(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def expected_counts(path: Path) -> tuple[int, int]:
    """(records, malformed) from the file itself: its data lines, and those with canonified times."""
    lines = [line for line in decompressed(path).splitlines() if line and not line.startswith(b"#")]
    malformed = sum(1 for line in lines if CANONIFIED in line)
    return len(lines) - malformed, malformed


def test_every_sample_file_parses_or_is_counted(shared_data: Path, tmp_path: Path) -> None:
    files = sample_log_files(shared_data)
    assert len(files) >= 30
    for path in files:
        stats = ReadStats()
        with DeadLetter(tmp_path / f"{path.name}.dead.jsonl") as dead:
            records = list(read_logs([path], stats=stats, dead_letter=dead))
        want_records, want_malformed = expected_counts(path)
        assert (len(records), stats.malformed_total) == (want_records, want_malformed), path
        assert dead.written == want_malformed
        assert stats.file_errors == []
        raw = decompressed(path)
        for record in records[:50]:  # offsets point at the very line, in the decompressed stream
            assert raw[record.offset : record.offset + len(record.raw)] == record.raw
            assert record.path == str(path)


def test_non_printable_escaping_lines_are_dead_lettered(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "zeek/edge/zeek-btest/json-non-printable-escaping.http.log.json"
    stats = ReadStats()
    with DeadLetter(tmp_path / "dead.jsonl") as dead:
        assert list(read_logs([path], stats=stats, dead_letter=dead)) == []
    lines = path.read_bytes().splitlines()
    assert stats.malformed == {"invalid_json": len(lines)}
    entries = read_dead_letters(tmp_path / "dead.jsonl")
    assert [entry.offset for entry in entries] == [
        sum(len(x) + 1 for x in lines[:i]) for i in range(len(lines))
    ]
    assert entries[1].line.encode() == lines[1]  # the emoji line, kept as text
    assert {entry.source for entry in entries} == {str(path)}
    assert all(entry.reason == "invalid_json" and not entry.truncated for entry in entries)


def test_wrccdc_json_and_tsv_dns_agree(shared_data: Path) -> None:
    json_records = list(read_logs([shared_data / "zeek/json/wrccdc-zeek6.2/dns.json.gz"]))
    tsv_records = list(read_logs([shared_data / "zeek/tsv/wrccdc-zeek6.2/dns.log.gz"]))
    assert (
        len(json_records)
        == len(tsv_records)
        == expected_counts(shared_data / "zeek/tsv/wrccdc-zeek6.2/dns.log.gz")[0]
    )
    for index in range(0, len(json_records), 997):
        from_json, from_tsv = json_records[index].fields, tsv_records[index].fields
        shared = (set(from_json) & set(from_tsv)) - {"rtt", "TTLs"}  # TSV rounds intervals to microseconds
        assert shared >= {"ts", "uid", "id.orig_h", "query"}
        assert {k: from_json[k] for k in shared} == {k: from_tsv[k] for k in shared}, index
        assert set(from_tsv) <= set(from_json)  # absent (unset) in one means absent in the other
        if "rtt" in from_json:
            assert from_tsv["rtt"] == pytest.approx(from_json["rtt"], abs=1e-6)
        assert json_records[index].ts == tsv_records[index].ts
        assert isinstance(from_tsv.get("answers", []), list) and isinstance(
            from_json.get("answers", []), list
        )


def test_directories_are_walked_for_log_files_only(shared_data: Path) -> None:
    stats = ReadStats()
    records = list(read_logs([shared_data], stats=stats))  # MANIFEST.md, *.json intel, pcaps: what is read?
    assert stats.files == len([p for p in shared_data.rglob("*") if p.is_file() and is_log_file_name(p.name)])
    assert len(records) > 180_000
    assert stats.lines_total == len(records)


def test_file_names_give_log_types() -> None:
    assert log_type_from_name("conn.log") == "conn"
    assert log_type_from_name("dns.json.gz") == "dns"
    assert log_type_from_name("conn.2024-01-01-00-00-00.log.gz") == "conn"
    assert log_type_from_name("http.log.json") == "http"
    assert log_type_from_name("json-non-printable-escaping.http.log.json") == "http"
    assert log_type_from_name("conn.log.labeled") == "conn"  # another tool's suffix after Zeek's name
    assert log_type_from_name("dns.ndjson.gz") == "dns"
    assert not is_log_file_name("heartbleed-success.pcap")
    assert not is_log_file_name("MANIFEST.md")


def test_gzip_is_sniffed_by_magic_not_name(shared_data: Path, tmp_path: Path) -> None:
    disguised = tmp_path / "dns.log"
    disguised.write_bytes((shared_data / "zeek/json/wrccdc-zeek6.2/weird.json.gz").read_bytes())
    records = list(read_logs([disguised]))
    assert len(records) == expected_counts(shared_data / "zeek/json/wrccdc-zeek6.2/weird.json.gz")[0]
    assert {record.log_type for record in records} == {"weird"}  # _path beats the file name


def test_stdin_is_read_and_sniffed(shared_data: Path) -> None:
    source = shared_data / "zeek/tsv/wrccdc-zeek6.2/notice.log.gz"
    code = (
        "import sys; from minisoc.correlator.zeek.reader import read_logs, ReadStats\n"
        "s = ReadStats(); n = sum(1 for r in read_logs(['-'], stats=s) if r.path is None)\n"
        "print(n, s.lines)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[4] / "installer")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=source.read_bytes(),
        capture_output=True,
        env=env,
        check=True,
        timeout=60,
    )
    want = expected_counts(source)[0]
    assert done.stdout.decode().split(maxsplit=1) == [str(want), f"{{'notice': {want}}}\n"]


def test_truncated_gzip_yields_what_came_before_and_goes_on(shared_data: Path, tmp_path: Path) -> None:
    whole = (shared_data / "zeek/json/wrccdc-zeek6.2/ssl.json.gz").read_bytes()
    cut = tmp_path / "ssl.json.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    after = tmp_path / "zz.conn.log"
    after.write_bytes((shared_data / "zeek/json/zat/conn.log").read_bytes())
    stats = ReadStats()
    with DeadLetter(tmp_path / "dead.jsonl") as dead:
        records = list(read_logs([cut, after], stats=stats, dead_letter=dead))
    ssl = [r for r in records if r.path == str(cut)]
    full = gzip.decompress(whole).splitlines()
    assert 1000 < len(ssl) < len(full)
    assert [r.raw for r in ssl] == full[: len(ssl)]  # nothing before the damage lost, nothing invented
    assert len(records) - len(ssl) == expected_counts(after)[0]  # the next file was read
    assert [e.path for e in stats.file_errors] == [str(cut)]
    assert "truncated" in stats.file_errors[0].message or "ended" in stats.file_errors[0].message
    assert stats.malformed.get("truncated", 0) == dead.written <= 1


def test_corrupt_gzip_body_is_reported(shared_data: Path, tmp_path: Path) -> None:
    whole = bytearray((shared_data / "zeek/tsv/wrccdc-zeek6.2/dns.log.gz").read_bytes())
    middle = len(whole) // 2
    whole[middle : middle + 64] = b"\x00" * 64
    broken = tmp_path / "dns.log.gz"
    broken.write_bytes(bytes(whole))
    stats = ReadStats()
    records = list(read_logs([broken], stats=stats))
    assert 0 < len(records) < expected_counts(shared_data / "zeek/tsv/wrccdc-zeek6.2/dns.log.gz")[0]
    assert len(stats.file_errors) == 1


def test_oversize_line_is_refused_and_reading_goes_on(tmp_path: Path) -> None:
    big = b'{"ts": 1.0, "pad": "' + b"a" * 5000 + b'"}'
    bomb = gzip.compress(
        b'{"ts": 1.0, "uid": "A"}\n' + big + b"\n" + b"b" * 200_000 + b'\n{"ts": 2.0, "uid": "B"}\n'
    )
    path = tmp_path / "conn.log.gz"
    path.write_bytes(bomb)
    stats = ReadStats()
    with DeadLetter(tmp_path / "dead.jsonl", max_line_chars=100) as dead:
        records = list(read_logs([path], stats=stats, dead_letter=dead, max_line_bytes=4096))
    assert [r.fields["uid"] for r in records] == ["A", "B"]
    assert records[1].offset == len(gzip.decompress(bomb)) - len(records[1].raw) - 1
    assert stats.malformed == {"oversize": 2}
    entries = read_dead_letters(tmp_path / "dead.jsonl")
    assert [e.offset for e in entries] == [24, 24 + len(big) + 1]
    assert all(e.truncated and len(e.line) == 100 for e in entries)


def test_dead_letter_line_format(tmp_path: Path) -> None:
    with DeadLetter(tmp_path / "d.jsonl") as dead:
        dead.write("conn.log", 7, "invalid_json", "oops", b"\xff{bad")
    (line,) = (tmp_path / "d.jsonl").read_bytes().splitlines()
    assert msgspec.json.decode(line) == {
        "source": "conn.log",
        "offset": 7,
        "reason": "invalid_json",
        "detail": "oops",
        "length": 5,
        "line": "\\xff{bad",
        "truncated": False,
    }


def test_unreadable_paths_raise_with_hint(tmp_path: Path) -> None:
    with pytest.raises(LogSourceError) as caught:
        read_logs([tmp_path / "nope.log"])
    assert caught.value.hint and "nope.log" in caught.value.message
    if os.geteuid() != 0:
        locked = tmp_path / "locked.log"
        locked.write_text("{}\n")
        locked.chmod(0)
        with pytest.raises(LogSourceError):
            read_logs([locked])


def test_read_stream_counts_bytes(shared_data: Path) -> None:
    stats = ReadStats()
    path = shared_data / "zeek/tsv/zat/weird.log"
    list(read_logs([path], stats=stats))
    assert stats.bytes_read == len(path.read_bytes())
    assert stats.as_dict()["lines_by_type"] == {"weird": expected_counts(path)[0]}


def test_a_dangling_link_or_a_fifo_in_a_log_directory_is_passed_over(
    shared_data: Path, tmp_path: Path
) -> None:
    """A dangling `old.log` link once aborted the whole hunt (exit 2), and a FIFO named *.log hung it."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "conn.log").symlink_to(shared_data / "zeek" / "json" / "zat" / "conn.log")
    (logs / "old.log").symlink_to(tmp_path / "rotated-away.log")
    os.mkfifo(logs / "pipe.log")
    assert find_log_files(logs) == [logs / "conn.log"]
    stats = ReadStats()
    assert len(list(read_logs([logs], stats=stats))) == 50 and stats.files == 1
    assert files_within(logs, days=1, now=time.time() + 60) == [logs / "conn.log"]
