"""Zeek TSV: the header state machine, unset/empty fields, sets, escapes and type conversion."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from minisoc.correlator import LogRecord
from minisoc.correlator.zeek import ReadStats, read_logs
from minisoc.correlator.zeek.malformed import (
    REASON_BAD_VALUE,
    REASON_COLUMN_COUNT,
    REASON_NO_HEADER,
    MalformedLine,
)
from minisoc.correlator.zeek.streamparser import StreamParser
from minisoc.correlator.zeek.tsv import TsvParser
from minisoc.correlator.zeek.tsvvalues import split_container, unescape


def parse_all(data: bytes, hint: str | None = None) -> list[LogRecord]:
    parser = StreamParser("test", hint)
    records = []
    for line in data.splitlines():
        if line:
            record = parser.parse(line, 0)
            if record is not None:
                records.append(record)
    return records


def data_lines(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines() if line and not line.startswith(b"#")]


def test_tab_after_separator_header_parses(shared_data: Path) -> None:
    data = (shared_data / "zeek/edge/zat/conn_date_issue.log").read_bytes()
    assert data.startswith(b"#separator\t")  # the edge case itself
    records = parse_all(data, "conn_date_issue")
    assert len(records) == len(data_lines(data)) > 0
    first = records[0]
    assert first.log_type == "conn"  # from #path, not the file name
    assert first.ts == 1647504456.038126
    assert first.fields["id.orig_p"] == 50527
    assert "service" not in first.fields  # `-` is unset: absent, as in JSON
    assert first.fields["missed_bytes"] == 0
    assert first.fields["history"] == "F"


def test_headers_only_file_gives_no_records(shared_data: Path) -> None:
    parser = StreamParser("http_empty.log", "http_empty")
    outputs = [
        parser.parse(line, 0)
        for line in (shared_data / "zeek/edge/zat/http_empty.log").read_bytes().splitlines()
    ]
    assert outputs and all(output is None for output in outputs)
    assert parser.tsv is not None and parser.tsv.log_type == "http"
    assert parser.tsv.names is not None and "orig_fuids" in parser.tsv.names


def test_wrccdc_dns_types_sets_bools_and_empties(shared_data: Path) -> None:
    with gzip.open(shared_data / "zeek/tsv/wrccdc-zeek6.2/dns.log.gz") as stream:
        head = b"".join(stream.readline() for _ in range(60))
    records = parse_all(head, "dns")
    first = records[0]
    assert first.fields["answers"] == ["ise.wrccdc.cpp.edu", "134.71.3.16"]
    assert first.fields["TTLs"] == [2230.0, 41830.0]
    assert first.fields["RD"] is True and first.fields["AA"] is False
    assert first.fields["rtt"] == 0.00087
    assert first.fields["trans_id"] == 36329
    assert all(isinstance(record.fields.get("answers", []), list) for record in records)


def test_escaped_backslash_in_x509_subject_matches_json(shared_data: Path) -> None:
    """Zeek 6.2 TSV writes `O=VMware\\\\, Inc`; its JSON twin holds `O=VMware\\, Inc`."""
    import msgspec

    with gzip.open(shared_data / "zeek/tsv/wrccdc-zeek6.2/x509.log.gz") as stream:
        tsv_records = parse_all(stream.read(), "x509")
    with gzip.open(shared_data / "zeek/json/wrccdc-zeek6.2/x509.json.gz") as stream:
        json_subjects = {
            msgspec.json.decode(line)["certificate.subject"] for line in stream.read().splitlines()
        }
    tsv_subjects = {record.fields["certificate.subject"] for record in tsv_records}
    assert sum(1 for subject in tsv_subjects if "\\, Inc" in subject) >= 3
    assert not any("\\\\" in subject for subject in tsv_subjects)
    assert tsv_subjects <= json_subjects


def test_unescape_rules() -> None:
    assert unescape("\\x09") == "\t"
    assert unescape("a\\\\b") == "a\\b"
    assert unescape("O=Amazon.com\\, Inc.") == "O=Amazon.com\\, Inc."  # Bro 2.x: kept as written
    assert unescape("\\xf0\\x9f\\x98\\x84") == "\U0001f604"  # UTF-8 bytes escaped one by one
    assert unescape("\\xff") == "\\xff"  # not UTF-8: shown as Zeek's JSON writer shows it
    assert unescape("\\xZZ") == "\\xZZ"


def test_set_split_honours_escaped_separators() -> None:
    assert split_container("a,b", ",") == ["a", "b"]
    assert split_container("a\\,b,c", ",") == ["a,b", "c"]
    assert split_container("a\\x2cb,c", ",") == ["a,b", "c"]
    assert split_container("a\\\\,c", ",") == ["a\\", "c"]


HEADER = (
    b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdemo\n"
    b"#fields\tts\tname\ttags\tok\tn\n#types\ttime\tstring\tset[string]\tbool\tcount\n"
)


def test_empty_field_is_empty_list_for_sets_and_empty_string_for_strings() -> None:
    (record,) = parse_all(HEADER + b"1.5\t(empty)\t(empty)\tT\t3\n")
    assert record.fields == {"ts": 1.5, "name": "", "tags": [], "ok": True, "n": 3}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"1.5\tx\t(empty)\tT", REASON_COLUMN_COUNT),
        (b"1.5\tx\t(empty)\tT\t3\textra", REASON_COLUMN_COUNT),
        (b"1.5\tx\t(empty)\tmaybe\t3", REASON_BAD_VALUE),
        (b"1.5\tx\t(empty)\tT\tthree", REASON_BAD_VALUE),
        (b"soon\tx\t(empty)\tT\t3", REASON_BAD_VALUE),
    ],
)
def test_malformed_tsv_lines(line: bytes, reason: str) -> None:
    parser = StreamParser("t", None)
    for header in HEADER.splitlines():
        parser.parse(header, 0)
    with pytest.raises(MalformedLine) as caught:
        parser.parse(line, 0)
    assert caught.value.reason == reason


def test_data_before_header_is_malformed() -> None:
    with pytest.raises(MalformedLine) as caught:
        TsvParser("conn").parse(b"1.0\tC1")
    assert caught.value.reason == REASON_NO_HEADER


def test_a_new_header_mid_stream_switches_schema() -> None:
    second = HEADER.replace(b"#path\tdemo", b"#path\tother").replace(b"\tn\n", b"\tm\n")
    records = parse_all(HEADER + b"1.0\ta\tx,y\tF\t1\n" + second + b"2.0\tb\t(empty)\tT\t2\n")
    assert [(r.log_type, r.fields.get("n"), r.fields.get("m")) for r in records] == [
        ("demo", 1, None),
        ("other", None, 2),
    ]
    assert records[0].fields["tags"] == ["x", "y"]


@pytest.mark.parametrize(("sample", "mangle"), [
    ("tsv/zat/conn.log", lambda data: data.replace(b"\n", b"\r\n")),  # a log that went through Windows
    ("tsv/zat/conn.log", lambda data: b"\xef\xbb\xbf" + data),  # a BOM, as editors write one
    ("json/zat/conn.log", lambda data: b"\xef\xbb\xbf" + data),
    # other tools spell the separator `\t` (C escape), not `\x09`: once every record was `no_header`
    ("tsv/zat/conn.log", lambda data: data.replace(b"#separator \\x09", b"#separator \\t", 1)),
    ("tsv/zat/conn.log", lambda data: data.replace(b"#separator \\x09", b"#separator\t\\t", 1)),
])
def test_crlf_line_ends_and_a_bom_read_like_the_plain_file(
    shared_data: Path, tmp_path: Path, sample: str, mangle: Callable[[bytes], bytes]
) -> None:
    """A CRLF TSV log once gave `#separator \\x09\\r`, and a BOM made JSON look like TSV: every line lost."""
    original = shared_data / "zeek" / sample
    mangled = tmp_path / "conn.log"
    mangled.write_bytes(mangle(original.read_bytes()))
    stats = ReadStats()
    plain = list(read_logs([original]))
    read = list(read_logs([mangled], stats=stats))
    assert stats.malformed_total == 0 and len(read) == len(plain) > 0
    assert [record.fields for record in read] == [record.fields for record in plain]
    data, first = mangled.read_bytes(), read[0]
    assert first.offset is not None and not first.raw.startswith(b"\xef")
    assert data[first.offset:first.offset + len(first.raw)] == first.raw  # offsets into the file as it is


def test_an_unset_element_of_a_vector_is_none_not_a_bad_line() -> None:
    """`36.000000,-` in dns.log TTLs once made the whole line `bad_value`: its query and addresses unread."""
    header = HEADER.replace(b"\ttags\tok\tn\n", b"\tTTLs\tanswers\tn\n").replace(
        b"\tset[string]\tbool\tcount\n", b"\tvector[interval]\tvector[string]\tcount\n")
    (record,) = parse_all(header + b"1.5\tx\t36.000000,-\t-,b\t3\n")
    assert record.fields == {"ts": 1.5, "name": "x", "TTLs": [36.0, None], "answers": ["-", "b"], "n": 3}
