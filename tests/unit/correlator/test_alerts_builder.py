"""The alert builder: ECS fields, one alert per record (every matched indicator an enrichment), ids that
depend on the record only, and the merge of a record alerted again."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minisoc.correlator import Indicator, LogRecord, Match
from minisoc.correlator.alert_groups import group_id, group_key
from minisoc.correlator.alerts import alert_id, build_alerts, get_field, iso_utc, mark_ack, merge_alert
from minisoc.correlator.sinks.opensearch_logs import log_document, log_index_name, utc_day, utc_day_reference
from minisoc.correlator.zeek.jsonlines import parse_json_line

RAW = (
    b'{"ts":1521911720.865716,"uid":"CkSvXo1pXm5pBHTjU1","id.orig_h":"10.0.0.5","id.orig_p":50000,'
    b'"id.resp_h":"198.51.100.7","id.resp_p":443,"query":"a.b.evil.example"}'
)


def _record(raw: bytes = RAW, log_type: str = "dns") -> LogRecord:
    return LogRecord(
        log_type=log_type,
        fields={
            "ts": 1521911720.865716,
            "uid": "CkSvXo1pXm5pBHTjU1",
            "id.orig_h": "10.0.0.5",
            "id.orig_p": 50000,
            "id.resp_h": "198.51.100.7",
            "id.resp_p": 443,
            "query": "a.b.evil.example",
        },
        raw=raw,
        path="/logs/zeek/dns.log",
        offset=1234,
        ts=1521911720.865716,
    )


DOMAIN = Indicator(
    value="evil.example",
    kind="domain",
    type="domain",
    source="feed-a",
    event_uuid="e-1",
    event_info="Evil campaign",
    attribute_uuid="a-1",
    reference="https://misp.example/events/view/e-1",
    tags=("tlp:green",),
)
IP = Indicator(value="198.51.100.7", kind="ip", type="ip-dst", source="feed-a")


def test_alert_carries_the_documented_ecs_fields() -> None:
    [alert] = build_alerts(_record(), [Match(DOMAIN, "query", "a.b.evil.example")], site="lab", now=0.0)
    doc = alert.doc
    assert doc["@timestamp"] == "2018-03-24T17:15:20.865716Z"
    assert get_field(doc, "event.kind") == "alert"
    assert get_field(doc, "event.id") == alert.id
    assert get_field(doc, "event.dataset") == "zeek.dns"
    assert get_field(doc, "event.module") == "zeek"
    assert get_field(doc, "event.category") == ["threat"]
    assert get_field(doc, "event.type") == ["indicator"]
    assert get_field(doc, "event.created") == "1970-01-01T00:00:00.000000Z"
    assert get_field(doc, "log.file.path") == "/logs/zeek/dns.log"
    assert get_field(doc, "log.offset") == 1234
    assert get_field(doc, "zeek.uid") == "CkSvXo1pXm5pBHTjU1"
    assert get_field(doc, "zeek.log_type") == "dns"
    assert doc["source"] == {"ip": "10.0.0.5", "port": 50000}
    assert doc["destination"] == {"ip": "198.51.100.7", "port": 443}
    indicator = {
        "type": "domain-name",
        "name": "evil.example",
        "provider": "feed-a",
        "reference": "https://misp.example/events/view/e-1",
        "description": "Evil campaign",
        "marking": {"tlp": "GREEN"},
        "misp": {"type": "domain", "event_uuid": "e-1", "attribute_uuid": "a-1", "tags": ["tlp:green"]},
    }
    assert get_field(doc, "threat.indicator") == indicator
    assert get_field(doc, "threat.feed.name") == "feed-a"
    assert get_field(doc, "threat.enrichments") == [
        {
            "indicator": indicator,
            "matched": {"atomic": "a.b.evil.example", "field": "query", "id": "a-1",
                        "occurred": "1970-01-01T00:00:00.000000Z", "type": "indicator_match_rule"},
        }
    ]
    assert doc["tags"] == ["tlp:green"]
    assert get_field(doc, "minisoc.schema") == 3
    assert get_field(doc, "minisoc.retro") is False
    assert get_field(doc, "minisoc.site") == "lab"
    assert get_field(doc, "minisoc.ack.state") == "open"
    assert get_field(doc, "event.original") == RAW.decode()


def test_a_record_matching_a_domain_and_a_hostname_indicator_is_one_alert() -> None:
    """Two indicators for the same name (MISP `domain` and `hostname`) once gave two alerts for one line."""
    hostname = Indicator(value="a.b.evil.example", kind="hostname", type="hostname", source="feed-b",
                         tags=("tlp:amber",))
    alerts = build_alerts(_record(), [Match(DOMAIN, "query", "a.b.evil.example"),
                                      Match(hostname, "query", "a.b.evil.example")])
    assert len(alerts) == 1
    enrichments = alerts[0].doc["threat"]["enrichments"]
    assert [(e["indicator"]["misp"]["type"], e["indicator"]["type"]) for e in enrichments] == [
        ("domain", "domain-name"), ("hostname", "domain-name")]
    assert alerts[0].doc["tags"] == ["tlp:amber", "tlp:green"]


def test_a_record_matching_an_address_and_a_name_is_one_alert_with_one_enrichment_per_field() -> None:
    matches = [
        Match(IP, "id.resp_h", "198.51.100.7"),
        Match(DOMAIN, "query", "a.b.evil.example"),
        Match(IP, "answers", "198.51.100.7"),
        Match(IP, "id.resp_h", "198.51.100.7"),
    ]
    [alert] = build_alerts(_record(), matches)
    enrichments = alert.doc["threat"]["enrichments"]
    assert [(e["matched"]["field"], e["indicator"]["name"]) for e in enrichments] == [
        ("id.resp_h", "198.51.100.7"), ("query", "evil.example"), ("answers", "198.51.100.7")]
    assert get_field(alert.doc, "threat.indicator.ip") == "198.51.100.7"
    assert get_field(alert.doc, "threat.indicator.type") == "ipv4-addr"


def test_ids_depend_on_the_record_only() -> None:
    match = [Match(DOMAIN, "query", "a.b.evil.example")]
    first = build_alerts(_record(), match, now=1.0)[0]
    again = build_alerts(_record(), match, now=2.0, retro=True)[0]
    assert first.id == again.id  # neither time nor retro enters the id: a retro-hunt cannot duplicate
    assert again.doc["minisoc"]["retro"] is True and "retro" in again.doc["tags"]
    # another record of the same connection (its uid, 4-tuple and day): the same alert
    assert build_alerts(_record(RAW + b" "), match)[0].id == first.id
    assert build_alerts(_record(log_type="http"), match)[0].id == first.id
    other_source = Indicator(value="evil.example", kind="domain", type="domain", source="feed-b")
    both = [Match(other_source, "query", "a.b.evil.example"), Match(IP, "id.resp_h", "198.51.100.7")]
    assert build_alerts(_record(), [Match(other_source, "query", "a.b.evil.example")])[0].id == first.id
    assert build_alerts(_record(), both)[0].id == first.id
    key = group_key(_record())
    assert key is not None and first.id == group_id(key) and len(first.id) == 32
    # a record without a connection: its own id, from its log type and line
    alone = LogRecord(log_type="dns", fields={"ts": 1521911720.865716, "query": "a.b.evil.example"}, raw=RAW,
                      ts=1521911720.865716)
    assert build_alerts(alone, match)[0].id == alert_id("dns", RAW)
    other_line = LogRecord("dns", alone.fields, RAW + b" ", ts=alone.ts)
    assert build_alerts(other_line, match)[0].id != alert_id("dns", RAW)


def test_the_order_indicators_were_loaded_in_does_not_show() -> None:
    hostname = Indicator(value="a.b.evil.example", kind="hostname", type="hostname", source="feed-b")
    one = [Match(DOMAIN, "query", "a.b.evil.example"), Match(hostname, "query", "a.b.evil.example")]
    assert build_alerts(_record(), one, now=5.0) == build_alerts(_record(), one[::-1], now=5.0)


@pytest.mark.parametrize(("kind", "value", "misp_type", "ecs_type", "extra"), [
    ("ip", "2001:db8::1", "ip-dst", "ipv6-addr", {"ip": "2001:db8::1"}),
    ("cidr", "198.51.100.0/24", "ip-src", "ipv4-addr", {}),
    ("url", "evil.example/x", "url", "url", {"url": {"full": "evil.example/x"}}),
    ("sha256", "a" * 64, "sha256", "file", {"file": {"hash": {"sha256": "a" * 64}}}),
    ("email", "x@evil.example", "email-src", "email-addr", {"email": {"address": "x@evil.example"}}),
    ("x509-sha1", "b" * 40, "x509-fingerprint-sha1", "x509-certificate", {}),
    ("ja3", "c" * 32, "ja3-fingerprint-md5", "software", {}),
])
def test_indicator_types_are_ecs_with_the_misp_type_kept(
        kind: str, value: str, misp_type: str, ecs_type: str, extra: dict[str, object]) -> None:
    indicator = Indicator(value=value, kind=kind, type=misp_type, source="f", tags=("TLP:AMBER+STRICT", "x"))
    [alert] = build_alerts(_record(), [Match(indicator, "f", value)])
    doc = alert.doc["threat"]["indicator"]
    assert doc["type"] == ecs_type and doc["misp"]["type"] == misp_type
    assert doc["marking"] == {"tlp": "AMBER+STRICT"}
    assert {key: doc[key] for key in extra} == extra


def test_a_relative_log_path_is_made_absolute(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(str(tmp_path))
    record = _record()
    record.path = "zeek/dns.log"
    [alert] = build_alerts(record, [Match(DOMAIN, "query", "a.b.evil.example")])
    assert alert.doc["log"]["file"]["path"] == f"{tmp_path}/zeek/dns.log"


def test_merge_adds_what_a_later_indicator_matched_and_keeps_the_rest() -> None:
    """A retro-hunt finds a record already alerted for A also matches new indicator B: one alert, both."""
    [live] = build_alerts(_record(), [Match(DOMAIN, "query", "a.b.evil.example")], now=1.0)
    [retro] = build_alerts(_record(), [Match(DOMAIN, "query", "a.b.evil.example"),
                                       Match(IP, "id.resp_h", "198.51.100.7")], now=9.0, retro=True)
    assert live.id == retro.id
    stored = live.doc
    mark_ack(stored, false_positive=False, now=3.0)
    assert merge_alert(stored, retro.doc) is True
    names = [e["indicator"]["name"] for e in stored["threat"]["enrichments"]]
    assert names == ["evil.example", "198.51.100.7"]
    assert [e["matched"]["occurred"] for e in stored["threat"]["enrichments"]] == [iso_utc(1.0), iso_utc(9.0)]
    assert stored["event"]["created"] == iso_utc(1.0) and stored["minisoc"]["ack"]["state"] == "acknowledged"
    assert "retro" in stored["tags"]
    assert merge_alert(stored, retro.doc) is False  # a replay changes nothing


def test_no_matches_no_alerts_and_missing_fields_are_left_out() -> None:
    assert build_alerts(_record(), []) == []
    bare = LogRecord(log_type="x509", fields={"certificate.subject": "CN=x"}, raw=b"x", path=None, ts=None)
    [alert] = build_alerts(bare, [Match(IP, "san.ip", "198.51.100.7")], now=10.0)
    assert "source" not in alert.doc and "log" not in alert.doc and "uid" not in alert.doc["zeek"]
    assert alert.doc["@timestamp"] == iso_utc(10.0)


def test_files_log_of_older_zeek_uses_tx_rx_hosts_and_conn_uids() -> None:
    record = LogRecord(
        log_type="files",
        fields={
            "fuid": "F1",
            "tx_hosts": ["192.0.2.1"],
            "rx_hosts": ["10.0.0.9"],
            "conn_uids": ["C1"],
            "md5": "0" * 32,
        },
        raw=b"l",
        ts=0.0,
    )
    md5 = Indicator(value="0" * 32, kind="md5", type="md5", source="f")
    [alert] = build_alerts(record, [Match(md5, "md5", "0" * 32)])
    assert alert.doc["source"] == {"ip": "192.0.2.1"} and alert.doc["destination"] == {"ip": "10.0.0.9"}
    assert alert.doc["zeek"]["uid"] == "C1" and alert.doc["zeek"]["fuid"] == "F1"


def test_mark_ack_sets_state_and_time() -> None:
    doc = build_alerts(_record(), [Match(IP, "id.resp_h", "198.51.100.7")])[0].doc
    mark_ack(doc, false_positive=True, now=0.0)
    assert doc["minisoc"]["ack"] == {"state": "false_positive", "at": "1970-01-01T00:00:00.000000Z"}


@pytest.mark.parametrize("ts", [1e20, -1e20, math.inf, -math.inf, math.nan, 253402300800.0])
def test_a_ts_no_date_names_still_alerts_dated_when_raised(ts: float) -> None:
    """A crafted or corrupt `ts` (JSON 1e20, TSV `nan`) once raised OverflowError/ValueError: a traceback."""
    record = _record()
    record = LogRecord(record.log_type, {**record.fields, "ts": ts}, RAW, record.path, record.offset, ts)
    [alert] = build_alerts(record, [Match(DOMAIN, "query", "a.b.evil.example")], now=1.8e9)
    assert alert.doc["@timestamp"] == alert.doc["event"]["created"] == "2027-01-15T08:00:00.000000Z"
    assert log_index_name("zeek", record, now=1.8e9) == "zeek-dns-2027.01.15"
    assert "@timestamp" not in log_document("zeek", record).source


def test_iso_utc_writes_four_digit_years_at_both_ends_of_the_calendar() -> None:
    assert iso_utc(-62135596800.0) == "0001-01-01T00:00:00.000000Z"
    assert iso_utc(253402300799.0) == "9999-12-31T23:59:59.000000Z"
    assert iso_utc(-315619200.0) == "1960-01-01T00:00:00.000000Z"


@given(st.floats(min_value=-62135596800.0, max_value=253402300799.0))
def test_iso_utc_agrees_with_strftime_its_reference_twin(epoch: float) -> None:
    """iso_utc's isoformat fast path against the strftime it replaced, over the whole calendar."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    assert iso_utc(epoch) == f"{moment.year:04d}" + moment.strftime("-%m-%dT%H:%M:%S.%fZ")


@given(st.floats(min_value=-62135596800.0, max_value=253402300799.0)
       | st.integers(min_value=-719162, max_value=2932896).map(lambda day: day * 86400.0 - 5e-7))
def test_utc_day_agrees_with_the_datetime_it_replaced(epoch: float) -> None:
    """The daily index name's gmtime fast path against datetime + strftime, over the whole calendar (years
    1-999 unpadded by both) and at the instants a microsecond rounding carries into the next day."""
    assert utc_day(epoch) == utc_day_reference(epoch)
    assert utc_day(-62135596800.0) == "1.01.01"  # year 1 as strftime writes it


def test_a_dhcp_alert_has_the_client_as_source_and_its_first_connection_uid() -> None:
    """dhcp.log of Zeek 3+ has no id.* and a list of uids (a real zat line): alerts had neither."""
    raw = (b'{"ts":1575414483.749103,"uids":["CiRtVr1J5S25xYCJj9","C4rlbI2LmOfDWFl5tk"],'
           b'"client_addr":"10.18.20.97","mac":"00:01:24:56:9b:cf","host_name":"Juanita-Work-PC",'
           b'"domain":"icemaiden.com","msg_types":["INFORM","ACK"],"duration":0.00034999847412109375}')
    record = parse_json_line(raw, "dhcp")
    [alert] = build_alerts(record, [Match(DOMAIN, "domain", "icemaiden.com")], now=10.0)
    assert alert.doc["source"] == {"ip": "10.18.20.97"} and "destination" not in alert.doc
    assert alert.doc["zeek"]["uid"] == "CiRtVr1J5S25xYCJj9"
