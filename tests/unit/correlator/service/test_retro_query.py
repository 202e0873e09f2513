"""The pushed-down retro-hunt's pure parts: its clauses, the log template they rely on (one table: they
cannot drift), stored documents rebuilt into the records they came from, the first-seen cut."""

from __future__ import annotations

import ipaddress
import json
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest

from minisoc.correlator.matching import observables as obs
from minisoc.correlator.model import Indicator, LogRecord, Match
from minisoc.correlator.service.retro import FirstSeen
from minisoc.correlator.service.retro_query import HuntValues, clauses_for, searches, v4_prefixes
from minisoc.correlator.service.retro_queue import RetroQueue
from minisoc.correlator.sinks import log_fields
from minisoc.correlator.sinks.opensearch_logs import log_document, stored_record
from minisoc.correlator.sinks.opensearch_templates import ZEEK_IP_FIELDS, zeek_logs_template
from minisoc.correlator.zeek import read_logs


def ind(value: str, kind: str, port: int | None = None) -> Indicator:
    return Indicator(value=value, kind=kind, type=kind, source="t", port=port)


@pytest.mark.parametrize("length", [0, 1, 7, 8, 9, 15, 16, 20, 23, 24, 25, 31, 32])
def test_v4_prefixes_cover_exactly_the_network(length: int) -> None:
    rnd = random.Random(length)
    base = rnd.randrange(1 << 32) >> (32 - length) << (32 - length) if length else 0
    network = ipaddress.IPv4Network((base, length))
    prefixes = v4_prefixes(network)
    assert len(prefixes) <= 128
    for _ in range(300):
        inside = str(network.network_address + rnd.randrange(network.num_addresses))
        assert any(inside.startswith(prefix) for prefix in prefixes), (inside, prefixes)
        outside = ipaddress.IPv4Address(rnd.randrange(1 << 32))
        if outside not in network:
            assert not any(str(outside).startswith(prefix) for prefix in prefixes), (outside, prefixes)


def test_addresses_and_cidrs_go_to_ip_fields_as_terms_and_to_text_fields_as_prefixes() -> None:
    values = HuntValues([ind("203.0.113.9", "ip"), ind("198.51.100.0/23", "cidr"),
                         ind("2001:db8::/32", "cidr")])
    conn = clauses_for("conn", {"id.orig_h": {"type": "ip"}, "id.resp_h": {"type": "ip"}}, values)
    assert {"terms": {"id.resp_h": ["203.0.113.9", "198.51.100.0/23", "2001:db8::/32"]}} in conn
    smtp = clauses_for("smtp", {"path": {"type": "keyword"}}, values)
    assert smtp == [{"terms": {"path": ["203.0.113.9"]}}, {"prefix": {"path": "198.51.100."}},
                    {"prefix": {"path": "198.51.101."}}, {"wildcard": {"path": {"value": "*:*"}}}]


def test_names_use_the_parents_subfield_and_an_old_index_gets_every_record_with_the_field() -> None:
    values = HuntValues([ind("evil.example", "domain"), ind("www.bad.example", "hostname")])
    new = {"query": {"type": "keyword"}, "query.names": {"type": "text"}}
    want = [{"terms": {"query.names": ["evil.example", "www.bad.example"]}}]
    assert clauses_for("dns", new, values) == want
    assert clauses_for("dns", {"query": {"type": "keyword"}}, values) == [{"exists": {"field": "query"}}]
    ssl = clauses_for("ssl", {"subject": {"type": "keyword"}, "subject.cn": {"type": "text"}}, values)
    assert {"prefix": {"subject.cn": "elpmaxe.live."}} in ssl
    assert {"terms": {"subject.cn": ["elpmaxe.live", "elpmaxe.dab.www"]}} in ssl
    hashes = HuntValues([ind("ab" * 32, "sha256")])
    plain = clauses_for("files", {"sha256": {"type": "keyword"}}, hashes)
    assert plain == [{"exists": {"field": "sha256"}}]  # no normalizer: the matcher must see every value
    normal = {"sha256": {"type": "keyword", "normalizer": log_fields.HEX_NORMALIZER}}
    assert clauses_for("files", normal, hashes) == [{"terms": {"sha256": ["ab" * 32]}}]
    assert clauses_for("intel", {"seen.indicator": {"type": "keyword"}}, hashes) == [
        {"exists": {"field": "seen.indicator"}}]
    assert clauses_for("files", normal, HuntValues([ind("evil.example", "domain")])) == []


def test_terms_are_chunked_and_searches_bounded() -> None:
    values = HuntValues([ind(f"n{n}.example", "domain") for n in range(20_000)])
    clauses = clauses_for("dns", {"query": {"type": "keyword"}, "query.names": {"type": "text"}}, values)
    assert [len(c["terms"]["query.names"]) for c in clauses] == [9000, 9000, 2000]
    many = [{"prefix": {"f": str(n)}} for n in range(1200)]
    assert [len(s["bool"]["should"]) for s in searches(many, {"match_all": {}})] == [500, 500, 200]


def test_the_log_template_gives_every_observable_field_the_form_the_clauses_read() -> None:
    """One table (sinks.log_fields over matching.observables) makes both: a field the matcher reads by
    name, subject or e-mail has its subfield; a hash, JA3, JA4, user agent or file name its normalizer."""
    template = zeek_logs_template("zeek")["template"]
    by_path = {body["path_match"]: body["mapping"] for entry in template["mappings"]["dynamic_templates"]
               for body in entry.values() if "path_match" in body}
    for spec in (*obs.PER_LOG_TYPE.values(), obs.CONNECTION):
        for field, observer, _port in spec:
            mapping = by_path.get(field, {})
            if field in ZEEK_IP_FIELDS:
                assert mapping["type"] == "ip" and observer == obs.IP, field
            if observer in log_fields.SUBFIELD:
                assert log_fields.SUBFIELD[observer] in mapping["fields"], field
            if observer in log_fields.NORMALIZER:
                assert mapping["normalizer"] == log_fields.NORMALIZER[observer], field
    analysis = template["settings"]["analysis"]
    assert set(log_fields.NORMALIZER.values()) <= analysis["normalizer"].keys()


def test_a_stored_document_is_rebuilt_into_the_record_it_was_made_of(shared_data: Path) -> None:
    """Through JSON, as the cluster gives `_source` back: same log type, fields, line, place and time, so
    the alert (its id, event.original) is the file rescan's."""
    records = list(read_logs([shared_data / "zeek" / "json" / "zat", shared_data / "zeek" / "tsv" / "zat"]))
    assert len(records) > 1000
    for record in records:
        source: dict[str, Any] = json.loads(msgspec.json.encode(log_document("zeek", record, "x").source))
        rebuilt = stored_record(source)
        assert rebuilt is not None
        assert json.loads(msgspec.json.encode(rebuilt)) == json.loads(msgspec.json.encode(record))
    assert stored_record({"event.dataset": "zeek.conn", "ts": 1.0}) is None  # stored before template 3


def test_first_seen_keeps_the_matches_of_indicators_first_seen_after_the_event() -> None:
    early, late = ind("203.0.113.9", "ip"), ind("evil.example", "domain")
    cut = FirstSeen([early, late], [1000.0, 3000.0])
    record = LogRecord("conn", {}, b"x", ts=2000.0)
    matches = [Match(indicator=early, field="id.resp_h", observed="203.0.113.9"),
               Match(indicator=late, field="query", observed="evil.example")]
    assert [m.indicator for m in cut.before(record, matches)] == [late]
    assert cut.before(LogRecord("conn", {}, b"x", ts=None), matches) == matches  # no time: kept


def test_the_retro_queue_keeps_each_indicators_first_seen(tmp_path: Path) -> None:
    queue = RetroQueue(tmp_path / "q")
    queue.add([ind("a.example", "domain")], 100.0)
    queue.add([ind("a.example", "domain"), ind("b.example", "domain")], 200.0)
    again = RetroQueue(tmp_path / "q")
    assert [i.value for i in again.indicators] == ["a.example", "b.example"]
    assert again.first_seen == [100.0, 200.0] and again.since == 100.0
    old = {"since": 50.0, "indicators": [msgspec.to_builtins(ind("c.example", "domain"))]}
    (tmp_path / "old").write_bytes(msgspec.msgpack.encode(old))  # a queue of a minisoc before first_seen
    assert RetroQueue(tmp_path / "old").first_seen == [50.0]


def test_syslog_and_flow_documents_are_rebuilt_by_their_parsers(tmp_path: Path) -> None:
    """Their records hold `@timestamp` (and a syslog record its `event.ingested`) of their own, which the
    stored document's own times replace or keep: the line, parsed again, gives the record back."""
    syslog = {"minisoc_input": "syslog", "@timestamp": "2026-12-04T21:15:53.123+00:00",
              "received": "2026-12-04T21:15:54+00:00", "host": "gw1", "from_ip": "192.0.2.7",
              "program": "sshd", "pid": "812", "msgid": "-", "facility": "auth", "severity": "info",
              "sd": "-",
              "message": "Failed password for root from 203.0.113.9 port 4711 ssh2", "input": "imudp",
              "protocol": "0"}
    flow = {"ip_src": "10.0.0.1", "ip_dst": "203.0.113.9", "port_src": 5555, "port_dst": 443,
            "ip_proto": "tcp", "timestamp_start": "2026-12-04 21:15:53.000000", "packets": 3, "bytes": 300}
    (tmp_path / "syslog.json").write_text(json.dumps(syslog) + "\n")
    (tmp_path / "flows.json").write_text(json.dumps(flow) + "\n")
    (tmp_path / "auth.log").write_text("<34>Oct 11 22:14:15 mymachine su: 'su root' failed on /dev/pts/8\n")
    records = list(read_logs([tmp_path]))
    assert {record.log_type for record in records} == {"syslog", "netflow"} and len(records) == 3
    for record in records:
        source = json.loads(msgspec.json.encode(log_document("zeek", record, "2030-01-01T00:00:00Z").source))
        rebuilt = stored_record(source)
        assert json.loads(msgspec.json.encode(rebuilt)) == json.loads(msgspec.json.encode(record))
