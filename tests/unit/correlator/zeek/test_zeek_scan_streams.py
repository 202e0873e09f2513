"""The fast paths for streams of several log types keep their reference twins' results, on every sample file.

- `fieldtypes.log_type_from_fields` (one pass over the keys) against `log_type_by_rules` (the rules in order);
- the chunk screen of a json-streaming-logs stream (`zeek.chunkscreen`: each line's `_path` read from its
  bytes, the lines grouped by type) against probing every record's dict, on a stream interleaving the records
  of every sample file with `_path` first, and on crafted chunks where reading `_path` from bytes would lie.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from factories import matcher_for_values_in, sample_log_files
from minisoc.correlator import Indicator
from minisoc.correlator.matching import IndicatorIndex, Matcher
from minisoc.correlator.zeek import DeadLetter, ReadStats, read_dead_letters, read_logs, scan_logs
from minisoc.correlator.zeek import scan as scan_module
from minisoc.correlator.zeek.chunkscreen import ChunkScreen
from minisoc.correlator.zeek.fieldtypes import RULE_FIELDS, log_type_by_rules, log_type_from_fields


def test_log_type_from_fields_equals_the_rules_on_every_sample_record_and_every_pair_of_rule_fields(
    shared_data: Path,
) -> None:
    records = 0
    for path in sample_log_files(shared_data):
        for record in read_logs([path]):
            fields = dict(record.fields)
            fields.pop("_path", None)
            assert log_type_from_fields(fields) == log_type_by_rules(fields), (path, sorted(fields))
            records += 1
    assert records > 100_000
    for first, second in itertools.combinations([*RULE_FIELDS, "ts", "uid"], 2):
        for fields in ({first: 1}, {first: 1, second: None}, {second: [], first: "x"}):
            assert log_type_from_fields(fields) == log_type_by_rules(fields), fields
    assert log_type_from_fields({}) is None and log_type_by_rules({}) is None


def _streaming_lines(shared_data: Path, per_file: int = 3000, *, with_path: bool = True) -> list[bytes]:
    """json-streaming-logs lines (`_path` first) of the records of every sample file, interleaved (without
    `_path`: a mixed stream whose records are typed by their fields)."""
    per_path: list[list[bytes]] = []
    for path in sample_log_files(shared_data):
        lines = []
        for record in itertools.islice(read_logs([path]), per_file):
            fields = {key: value for key, value in record.fields.items() if key != "_path"}
            fields["ts"] = record.ts
            head = {"_path": record.log_type} if with_path else {}
            lines.append(json.dumps({**head, **fields}, separators=(",", ":")).encode())
        per_path.append(lines)
    return [line for group in itertools.zip_longest(*per_path) for line in group if line is not None]


def _compare(path: Path, matcher: Matcher, tmp_path: Path) -> int:
    plain_stats, screened_stats = ReadStats(), ReadStats()
    with DeadLetter(tmp_path / "plain.jsonl") as dead:
        plain = list(scan_logs([path], matcher.match_fields, stats=plain_stats, dead_letter=dead))
    with DeadLetter(tmp_path / "screened.jsonl") as dead:
        screened = list(scan_logs([path], matcher.match_fields, screen=matcher, stats=screened_stats,
                                  dead_letter=dead))
    assert screened == plain
    assert screened_stats == plain_stats
    if (tmp_path / "plain.jsonl").exists() or (tmp_path / "screened.jsonl").exists():
        assert read_dead_letters(tmp_path / "screened.jsonl") == read_dead_letters(tmp_path / "plain.jsonl")
    return len(plain)


def test_a_path_stream_of_every_sample_is_screened_by_type_and_equals_the_plain_probe(
    shared_data: Path, tmp_path: Path
) -> None:
    lines = _streaming_lines(shared_data)
    assert len({line.split(b'"')[3] for line in lines}) >= 10  # many log types, interleaved
    stream = tmp_path / "stream.json"  # not a log type's name: records without `_path` are typed by fields
    stream.write_bytes(b"\n".join(lines) + b"\n")
    matcher = matcher_for_values_in([p for p in sample_log_files(shared_data)
                                      if "zat" in str(p) or "wrccdc" in str(p)])
    screened_by_type = []
    original = ChunkScreen._by_type

    def spy(self: ChunkScreen, data: bytes, chunk: list[bytes]) -> object:
        result = original(self, data, chunk)
        screened_by_type.append(result is not None)
        return result

    ChunkScreen._by_type = spy  # type: ignore[method-assign,assignment]
    try:
        hits = _compare(stream, matcher, tmp_path)
    finally:
        ChunkScreen._by_type = original  # type: ignore[method-assign]
    assert hits > 500
    assert screened_by_type and all(screened_by_type)  # the fast path ran on every chunk, not the fallback


def test_a_mixed_stream_without_path_of_every_sample_equals_the_plain_probe(
    shared_data: Path, tmp_path: Path
) -> None:
    """Records typed by their fields skip the per-line screen and take the screen's check over their dict."""
    lines = _streaming_lines(shared_data, with_path=False)
    assert not any(b'"_path"' in line for line in lines)
    stream = tmp_path / "stream.json"
    stream.write_bytes(b"\n".join(lines) + b"\n")
    matcher = matcher_for_values_in([p for p in sample_log_files(shared_data)
                                     if "zat" in str(p) or "wrccdc" in str(p)])
    assert _compare(stream, matcher, tmp_path) > 500


def test_the_screens_check_over_a_dict_equals_match_fields_on_every_sample_record(shared_data: Path) -> None:
    files = sample_log_files(shared_data)
    matcher = matcher_for_values_in([p for p in files if "zat" in str(p) or "wrccdc" in str(p)])
    hits = 0
    for path in files:
        for record in read_logs([path]):
            for _ in range(2):  # memo cold, then warm
                found = matcher.screen_fields(record.log_type)(record.fields)
                assert found == matcher.match_fields(record.log_type, record.fields), (path, record.offset)
            hits += bool(found)
    assert hits > 500


def test_chunks_whose_bytes_would_misstate_a_path_take_the_per_line_path(tmp_path: Path) -> None:
    """A second `_path` (the last wins), an empty or non-text `_path`, a line without one, a `_path` that is
    not first, an escaped one, an integer ts: each chunk reads exactly as the plain probe reads it."""
    conn = b'"ts":1.5,"uid":"C1","id.orig_h":"10.0.0.1","id.resp_h":"198.51.100.7"'
    dns = b'"ts":2.5,"uid":"C2","id.orig_h":"10.0.0.2","id.resp_h":"10.0.0.53","query":"bad.example"'
    odd_lines = [
        b'{"_path":"conn",' + dns + b',"_path":"dns"}',  # the second `_path` is the record's
        b'{"_path":"",' + conn + b"}",
        b'{"_path":7,' + conn + b"}",
        b"{" + conn + b"}",
        b"{" + conn + b',"_path":"dns"}',
        b'{"_path":"d\\u006es",' + dns + b"}",
        b'{"_path":"conn","ts":1700000000000,"id.resp_h":"198.51.100.7"}',
        b'{"_path":"dns",' + dns + b',"query":null}',
    ]
    good = [b'{"_path":"conn",' + conn + b"}", b'{"_path":"dns",' + dns + b"}"]
    matcher = Matcher(IndicatorIndex.build([
        Indicator(value="198.51.100.7", kind="ip", type="ip-dst", source="t"),
        Indicator(value="bad.example", kind="domain", type="domain", source="t")]))
    for odd in odd_lines:
        path = tmp_path / "stream.json"
        path.write_bytes(b"\n".join([*good * 50, odd, *good * 50]) + b"\n")
        assert _compare(path, matcher, tmp_path) >= 200, odd


def test_a_hunt_pauses_the_cyclic_gc_and_restores_it(shared_data: Path) -> None:
    import gc

    from minisoc.correlator.hunt import HuntRequest, run_hunt

    seen: list[bool] = []
    request = HuntRequest(logs=[str(shared_data / "zeek/json/zat/conn.log")],
                          intel=[str(shared_data / "intel/zat/intel_example.intel")])
    assert gc.isenabled()
    run_hunt(request, lambda alerts: seen.append(gc.isenabled()))
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        run_hunt(request, lambda alerts: None)
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_types_told_by_fields_equal_the_rules_with_the_layout_memo_and_past_its_limit(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scan remembers each field-name layout's type (zeek/scan.py types_by_names); every record still
    gets the type `log_type_by_rules` gives its fields, also once the memo is full (limit 1: one layout)."""
    lines = _streaming_lines(shared_data, with_path=False)
    stream = tmp_path / "stream.json"
    stream.write_bytes(b"\n".join(lines) + b"\n")
    expected = [log_type_by_rules(json.loads(line)) for line in lines]
    assert len(set(expected)) >= 10 and None in expected  # many types, and records no rule types
    for limit in (scan_module.TYPE_MEMO_LIMIT, 1):
        monkeypatch.setattr(scan_module, "TYPE_MEMO_LIMIT", limit)
        seen: list[str] = []
        list(scan_logs([stream], lambda log_type, _fields, seen=seen: seen.append(log_type) or []))
        assert len(seen) == len(expected)
        assert [got for got, rule in zip(seen, expected, strict=True) if rule] == [r for r in expected if r]
        defaults = {got for got, rule in zip(seen, expected, strict=True) if rule is None}
        assert len(defaults) == 1 and defaults.isdisjoint(expected), (limit, defaults)  # the stream's default
