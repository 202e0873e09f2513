"""Zeek JSON lines: every LogAscii::json_timestamps form, json-streaming-logs keys, malformed lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from minisoc.correlator.zeek import find_log_files, read_logs
from minisoc.correlator.zeek.fieldtypes import log_type_from_fields
from minisoc.correlator.zeek.jsonlines import JsonLineParser, parse_json_line
from minisoc.correlator.zeek.malformed import (
    REASON_BAD_TIMESTAMP,
    REASON_INVALID_JSON,
    REASON_NOT_AN_OBJECT,
    MalformedLine,
)
from minisoc.correlator.zeek.timestamps import epoch_seconds

NEGATIVE_TS = datetime(1960, 1, 1, tzinfo=UTC).timestamp()  # what Zeek's ascii-negative-ts btest logs


@pytest.mark.parametrize("variant", ["ts_epoch", "ts_iso8601", "ts_millis", "ts_millis_unsigned"])
def test_every_json_timestamp_variant_gives_the_same_epoch(shared_data: Path, variant: str) -> None:
    """The four btest baselines encode the same pre-1970 instant; all must come out as 1960-01-01 UTC."""
    line = (shared_data / f"zeek/edge/zeek-btest/negative-ts.{variant}.log").read_bytes().rstrip(b"\n")
    record = parse_json_line(line, "test")
    assert record.ts == NEGATIVE_TS
    assert record.fields["ts"] == NEGATIVE_TS
    assert record.raw == line


def test_iso8601_with_fraction_and_zone_less_is_utc() -> None:
    assert epoch_seconds("2018-03-24T17:15:20.865716Z") == 1521911720.865716
    assert epoch_seconds("2018-03-24T17:15:20.865716") == 1521911720.865716  # never local time


def test_json_streaming_path_wins_over_hint_and_keeps_values(shared_data: Path) -> None:
    import gzip

    with gzip.open(shared_data / "zeek/json/wrccdc-zeek6.2/dns.json.gz") as stream:
        first = stream.readline().rstrip(b"\n")
    record = parse_json_line(first, "not-dns", path="x", offset=0)
    assert record.log_type == "dns"
    assert record.fields["_path"] == "dns"
    assert record.ts == datetime(2018, 3, 24, 17, 15, 20, 865716, tzinfo=UTC).timestamp()
    assert record.fields["answers"] == ["ise.wrccdc.cpp.edu", "134.71.3.16"]
    assert (record.path, record.offset) == ("x", 0)


def test_zat_float_ts_and_absent_unset_fields(shared_data: Path) -> None:
    lines = (shared_data / "zeek/json/zat/dns.log").read_bytes().splitlines()
    records = [parse_json_line(line, "dns") for line in lines]
    assert all(record.log_type == "dns" for record in records)
    assert records[0].ts == 1575413122.764317
    without_rtt = sum(1 for line in lines if b'"rtt"' not in line)
    assert without_rtt > 0
    assert sum(1 for record in records if "rtt" not in record.fields) == without_rtt


def test_canonified_btest_ts_is_invalid_json(shared_data: Path) -> None:
    line = (shared_data / "zeek/edge/zeek-btest/json-non-printable-escaping.http.log.json").read_bytes()
    with pytest.raises(MalformedLine) as caught:
        parse_json_line(line.splitlines()[0], "http")
    assert caught.value.reason == REASON_INVALID_JSON


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"ts": 1.0', REASON_INVALID_JSON),
        (b'{"uri": "\xff\xfe"}', REASON_INVALID_JSON),
        (b"[1, 2]", REASON_NOT_AN_OBJECT),
        (b'{"ts": "yesterday"}', REASON_BAD_TIMESTAMP),
        (b'{"ts": true}', REASON_BAD_TIMESTAMP),
    ],
)
def test_malformed_json_lines_name_their_reason(line: bytes, reason: str) -> None:
    with pytest.raises(MalformedLine) as caught:
        parse_json_line(line, "conn")
    assert caught.value.reason == reason


def test_record_without_ts_has_none() -> None:
    record = parse_json_line(b'{"uid": "C1"}', None)
    assert record.ts is None
    assert record.log_type == "unknown"


def test_unusable_path_key_falls_back_to_the_hint() -> None:
    from minisoc.correlator.zeek.streamparser import StreamParser

    for line in (b'{"_path": ["conn"], "ts": 1.0}', b'{"_path": "", "ts": 1.0}', b'{"_path": 3}'):
        assert parse_json_line(line, "conn").log_type == "conn"
        record = StreamParser("x", "conn").parse(line, 0)
        assert record is not None and record.log_type == "conn"


def test_integer_seconds_and_integer_milliseconds_are_told_apart_by_size() -> None:
    """Integer seconds (written by tools that rewrite Zeek logs) were once read as milliseconds: 1970."""
    assert epoch_seconds(1521911720) == 1521911720.0
    assert epoch_seconds(1521911720865) == 1521911720.865
    assert epoch_seconds(-315619200000) == -315619200.0  # Zeek's own TS_MILLIS, before 1970
    assert epoch_seconds(99_999_999_999) == 99_999_999_999.0 and epoch_seconds(100_000_000_000) == 1e8


def test_every_sample_record_shows_its_log_type_in_its_fields(shared_data: Path) -> None:
    """What `log_type_from_fields` says of each real record (Bro 2.x to Zeek 6, JSON and TSV) is the type its
    `_path`, `#path` or file name gives; the btest edge files are typed by their file names only."""
    checked = 0
    for path in find_log_files(shared_data / "zeek"):
        for record in read_logs([path]):
            if "btest" not in str(path):
                assert log_type_from_fields(record.fields) == record.log_type, (path, sorted(record.fields))
                checked += 1
    assert checked > 180_000


def test_a_file_name_that_is_a_log_type_is_trusted_and_another_is_not() -> None:
    line = b'{"ts":1.5,"query":"a.example","qtype_name":"A","id.orig_h":"10.0.0.1"}'
    assert parse_json_line(line, "traffic").log_type == "dns"  # traffic.json: the fields tell
    assert parse_json_line(line, None).log_type == "dns"  # stdin
    assert parse_json_line(line, "conn").log_type == "conn"  # conn.log: the name is trusted
    assert parse_json_line(b'{"ts":1.5,"x":1}', "traffic").log_type == "traffic"  # nothing told: the name
    assert JsonLineParser(None, "traffic").parse(line, 0).log_type == "dns"


def test_epoch_seconds_written_as_text_are_read() -> None:
    """Logstash/Fluentd re-serialise `ts` as text: such lines were bad_timestamp, never matched."""
    assert epoch_seconds("1704153900.123456") == 1704153900.123456
    assert epoch_seconds("1704153900") == 1704153900.0
    assert epoch_seconds("-315619200.0") == -315619200.0
    assert epoch_seconds("2024-01-02 00:05:00.123456") == 1704153900.123456
    for text in ("nan", "inf", "1e9", "0x10", "12 34", ""):
        with pytest.raises(ValueError):
            epoch_seconds(text)
