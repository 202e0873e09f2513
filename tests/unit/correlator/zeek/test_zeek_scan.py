"""scan_logs (the hunt's fused read+probe loop) reads exactly what read_logs reads, on every real sample."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from factories import matcher_for_values_in, sample_log_files
from minisoc.correlator import Indicator
from minisoc.correlator.hunt import hunt_logs, hunt_records
from minisoc.correlator.matching import IndicatorIndex, Matcher
from minisoc.correlator.scan_alerts import coalesce
from minisoc.correlator.zeek import DeadLetter, ReadStats, read_dead_letters, read_logs, scan_logs


def _everything(log_type: str, fields: dict[str, Any]) -> list[tuple[str, int]]:
    return [(log_type, len(fields))]


def test_scan_yields_every_record_read_logs_gives_with_the_same_stats_and_dead_letters(
    shared_data: Path, tmp_path: Path
) -> None:
    files = sample_log_files(shared_data)
    assert len(files) >= 30
    for path in files:
        read_stats, scan_stats = ReadStats(), ReadStats()
        with DeadLetter(tmp_path / "read.jsonl") as dead:
            records = list(read_logs([path], stats=read_stats, dead_letter=dead))
        with DeadLetter(tmp_path / "scan.jsonl") as dead:
            scanned = list(scan_logs([path], _everything, stats=scan_stats, dead_letter=dead))
        assert [record for record, _ in scanned] == records, path
        assert all(found == [(r.log_type, len(r.fields))] for r, found in scanned)
        assert scan_stats == read_stats, path
        if (tmp_path / "read.jsonl").exists() or (tmp_path / "scan.jsonl").exists():  # created on a refusal
            assert read_dead_letters(tmp_path / "scan.jsonl") == read_dead_letters(tmp_path / "read.jsonl")
        (tmp_path / "read.jsonl").unlink(missing_ok=True)
        (tmp_path / "scan.jsonl").unlink(missing_ok=True)


def test_only_probed_hits_come_out_and_unusual_lines_take_the_reference_path(tmp_path: Path) -> None:
    lines = [
        b'{"ts":1.5,"id.orig_h":"10.0.0.1"}',  # common case
        b'{"ts":1700000000000,"id.orig_h":"10.0.0.2"}',  # integer milliseconds: normalised
        b'{"ts":"2018-03-24T17:15:20.865716Z","_path":"dns","query":"a.example"}',  # ISO ts, own type
        b'{"ts":1.5,"_path":"","id.orig_h":"10.0.0.3"}',  # empty _path: the file's type
        b'{"ts":1.5,"_path":7,"id.orig_h":"10.0.0.4"}',  # _path not text: the file's type
        b'{"ts":"yesterday","id.orig_h":"10.0.0.5"}',  # bad_timestamp
        b'[1,2]',  # not_an_object
        b'{"ts":1.5,"x":1e999}',  # out of range: invalid_json
        b'{"ts":1.5,"x":"\xff"}',  # invalid UTF-8: invalid_json
        b'{"ts":1.5,"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # too deep to decode: invalid_json
        b"",
        b'{"ts":null,"id.orig_h":"10.0.0.6"}',
    ]
    path = tmp_path / "conn.log.gz"
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    read_stats, scan_stats = ReadStats(), ReadStats()
    records = list(read_logs([path], stats=read_stats))

    def odd_ones(log_type: str, fields: dict[str, Any]) -> list[str]:
        return [log_type] if fields.get("id.orig_h") != "10.0.0.1" else []

    scanned = list(scan_logs([path], odd_ones, stats=scan_stats))
    assert [record for record, _ in scanned] == records[1:]
    assert [found for _, found in scanned] == [["conn"], ["dns"], ["conn"], ["conn"], ["conn"]]
    assert scan_stats == read_stats
    assert scan_stats.malformed == {"bad_timestamp": 1, "not_an_object": 1, "invalid_json": 3}
    assert scan_stats.lines == {"conn": 5, "dns": 1}


def test_hunt_logs_gives_the_alerts_of_read_logs_then_hunt_records(shared_data: Path) -> None:
    paths = [shared_data / "zeek/json/wrccdc-zeek6.2/dns.json.gz",
             shared_data / "zeek/tsv/wrccdc-zeek6.2/dns.log.gz",
             shared_data / "zeek/json/wrccdc-zeek6.2/ssl.json.gz", shared_data / "zeek/json/zat"]
    records = [record for path in paths[:1] for record in read_logs([path])][:3000]
    names = sorted({str(r.fields["query"]) for r in records if r.fields.get("query")})[:30]
    answers = sorted({a for r in records for a in r.fields.get("answers") or [] if a[0].isdigit()})[:30]
    indicators = [Indicator(value=n, kind="hostname", type="hostname", source="t") for n in names]
    indicators += [Indicator(value=a, kind="ip", type="ip-dst", source="t") for a in answers]
    read_stats, scan_stats = ReadStats(), ReadStats()
    want = hunt_records(read_logs(paths, stats=read_stats), Matcher(IndicatorIndex.build(indicators)),
                        site="s", now=1.7e9)
    got = hunt_logs(paths, Matcher(IndicatorIndex.build(indicators)), stats=scan_stats, site="s", now=1.7e9)
    assert len(want) > 100 and got == want
    assert scan_stats == read_stats


def test_scan_with_the_matcher_as_screen_equals_the_plain_probe_on_every_real_sample(
    shared_data: Path, tmp_path: Path
) -> None:
    """The screen (per-type Struct decode, chunk decode, generated check) changes speed, never results:
    same hits, same matches, same stats and dead letters as probing every record's dict."""
    files = sample_log_files(shared_data)
    matcher = matcher_for_values_in([p for p in files if "zat" in str(p) or "wrccdc" in str(p)])
    hits = 0
    for path in files:
        plain_stats, screened_stats = ReadStats(), ReadStats()
        with DeadLetter(tmp_path / "plain.jsonl") as dead:
            plain = list(scan_logs([path], matcher.match_fields, stats=plain_stats, dead_letter=dead))
        with DeadLetter(tmp_path / "screened.jsonl") as dead:
            screened = list(scan_logs([path], matcher.match_fields, screen=matcher, stats=screened_stats,
                                      dead_letter=dead))
        assert screened == plain, path
        assert screened_stats == plain_stats, path
        if (tmp_path / "plain.jsonl").exists() or (tmp_path / "screened.jsonl").exists():
            screened_dead = read_dead_letters(tmp_path / "screened.jsonl")
            assert screened_dead == read_dead_letters(tmp_path / "plain.jsonl")
        (tmp_path / "plain.jsonl").unlink(missing_ok=True)
        (tmp_path / "screened.jsonl").unlink(missing_ok=True)
        hits += len(plain)
    assert hits > 500


def test_a_chunk_a_whole_chunk_decode_would_misread_is_screened_line_by_line(tmp_path: Path) -> None:
    """Lines the per-line path refuses or types differently, each group in its own 1 MiB chunk of a larger
    file: a value spanning two lines, two values on one line with a blank line to even the count, blank
    and whitespace lines, CRLF, non-ASCII, another or an odd `_path`, integer and text `ts`, deep nesting;
    the screened scan must read them exactly as read_logs does."""
    hit = b'{"ts":1.5,"_path":"conn","id.resp_h":"198.51.100.7"}'
    miss = b'{"ts":1.5,"_path":"conn","id.resp_h":"203.0.113.1"}'
    groups = [  # a hit after a line holding two values and before a blank one: misplaced if read as a whole
        [b'{"ts":1.5,"_path":"conn","id.resp_h":"198.51.100.7","x":[{}', b'{}]}', miss + b" " + miss, hit],
        [miss + b" " + miss, miss, hit, miss, b""],
        [miss + b" " + miss, miss, hit],  # one value too many in the chunk
        [b"   "], [hit + b"\r"], ['{"ts":1.5,"_path":"conn","id.resp_h":"198.51.100.7","n":"é"}'.encode()],
        [b'{"ts":1.5,"_path":"dns","query":"good.example","id.resp_h":"192.0.2.1"}'],  # another log type
        [b'{"ts":1.5,"id.resp_h":"198.51.100.7"}'],  # no _path: the file's type (conn)
        [b'{"ts":1.5,"_path":["conn"],"id.resp_h":"203.0.113.1"}'],  # unhashable _path
        [b'{"ts":1700000000000,"_path":"conn","id.resp_h":"198.51.100.7"}'],  # integer milliseconds
        [b'{"ts":"yesterday","_path":"conn","id.resp_h":"203.0.113.1"}'],  # bad_timestamp
        [b'{"ts":1.5,"_path":"conn","x":' + b"[" * 5000 + b"]" * 5000 + b"}"],  # too deep: malformed
    ]
    filler = b'{"ts":1.5,"_path":"conn","id.orig_h":"10.0.0.%d","id.resp_h":"192.0.2.%d","pad":"%s"}'
    lines = [filler % (n % 250, n % 200, b"p" * 300) for n in range(3000 * (len(groups) + 1))]
    for number, group in enumerate(groups, start=1):  # ~2,800 lines a chunk: one group in each
        lines[3000 * number: 3000 * number + len(group)] = group
    path = tmp_path / "conn.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    indicators = [Indicator(value="198.51.100.7", kind="ip", type="ip-dst", source="t"),
                  Indicator(value="evil.example", kind="domain", type="domain", source="t"),
                  Indicator(value="192.0.2.77", kind="ip", type="ip-dst", source="t")]
    plain_stats, screened_stats = ReadStats(), ReadStats()
    plain = list(scan_logs([path], Matcher(IndicatorIndex.build(indicators)).match_fields, stats=plain_stats))
    matcher = Matcher(IndicatorIndex.build(indicators))
    screened = list(scan_logs([path], matcher.match_fields, screen=matcher, stats=screened_stats))
    assert [(record.offset, found) for record, found in screened] == [
        (record.offset, found) for record, found in plain]
    assert screened == plain
    assert screened_stats == plain_stats
    assert screened_stats.malformed["bad_timestamp"] == 1 and screened_stats.lines["dns"] == 1
    assert sum(1 for record, _ in plain if record.fields.get("id.resp_h") == "198.51.100.7") >= 5


def test_retro_hunt_gives_the_alerts_of_hunt_records_in_batches(shared_data: Path) -> None:
    """The retro-hunt reads through the screened scan: same alerts, in log order, batched."""
    from minisoc.correlator.service.retro import files_within, retro_hunt

    log_dir = shared_data / "zeek/json/zat"
    files = files_within(log_dir, 36500, 1.9e9)
    records = [record for path in files for record in read_logs([path])]
    values = sorted({str(r.fields["id.resp_h"]) for r in records if r.fields.get("id.resp_h")})[:20]
    new = [Indicator(value=v, kind="ip", type="ip-dst", source="t") for v in values if v.count(".") == 3]
    want = hunt_records(read_logs(files), Matcher(IndicatorIndex.build(new)), site="s", now=1.8e9, retro=True)
    batches = list(retro_hunt(new, log_dir, 36500, site="s", batch_alerts=50, now=1.8e9))
    # each batch is coalesced (one document per alert id); a connection's records in two batches are merged
    # by the sinks, as coalescing the batches' concatenation does here
    got = coalesce([alert for batch in batches for alert in batch])
    for alert in got:  # a retro alert carries its indicators' first-seen time (here: the hunt's `now`)
        for enrichment in alert.doc["threat"]["enrichments"]:
            assert enrichment["indicator"].pop("first_seen") == "2027-01-15T08:00:00.000000Z"
    assert len(want) > 100 and got == want
    assert all(len({alert.id for alert in batch}) == len(batch) for batch in batches)
    assert all(batches) and len(batches) > 2
