"""The alert builder: ECS fields, one alert per (record, indicator), deterministic ids."""

from __future__ import annotations

import math

import pytest

from minisoc.correlator.alerts import alert_id, build_alerts, get_field, iso_utc, mark_ack
from minisoc.correlator.model import Indicator, LogRecord, Match
from minisoc.correlator.sinks.opensearch_logs import log_document, log_index_name
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
    assert get_field(doc, "event.created") == "1970-01-01T00:00:00.000000Z"
    assert get_field(doc, "log.file.path") == "/logs/zeek/dns.log"
    assert get_field(doc, "log.offset") == 1234
    assert get_field(doc, "zeek.uid") == "CkSvXo1pXm5pBHTjU1"
    assert get_field(doc, "zeek.log_type") == "dns"
    assert doc["source"] == {"ip": "10.0.0.5", "port": 50000}
    assert doc["destination"] == {"ip": "198.51.100.7", "port": 443}
    assert get_field(doc, "threat.indicator.type") == "domain"
    assert get_field(doc, "threat.indicator.provider") == "feed-a"
    assert get_field(doc, "threat.indicator.reference") == "https://misp.example/events/view/e-1"
    assert get_field(doc, "threat.indicator.description") == "Evil campaign"
    assert get_field(doc, "threat.feed.name") == "feed-a"
    assert get_field(doc, "threat.enrichments") == [
        {
            "indicator": {
                "type": "domain",
                "name": "evil.example",
                "provider": "feed-a",
                "reference": "https://misp.example/events/view/e-1",
                "description": "Evil campaign",
            },
            "matched": {"atomic": "a.b.evil.example", "field": "query", "type": "indicator_match_rule"},
        }
    ]
    assert doc["tags"] == ["tlp:green"]
    assert get_field(doc, "minisoc.retro") is False
    assert get_field(doc, "minisoc.site") == "lab"
    assert get_field(doc, "minisoc.event_uuid") == "e-1"
    assert get_field(doc, "minisoc.attribute_uuid") == "a-1"
    assert get_field(doc, "minisoc.indicator.value") == "evil.example"
    assert get_field(doc, "minisoc.ack.state") == "open"
    assert get_field(doc, "event.original") == RAW.decode()


def test_one_alert_per_indicator_with_one_enrichment_per_field() -> None:
    matches = [
        Match(IP, "id.resp_h", "198.51.100.7"),
        Match(DOMAIN, "query", "a.b.evil.example"),
        Match(IP, "answers", "198.51.100.7"),
        Match(IP, "id.resp_h", "198.51.100.7"),
    ]
    alerts = build_alerts(_record(), matches)
    assert [a.doc["minisoc"]["indicator"]["value"] for a in alerts] == ["198.51.100.7", "evil.example"]
    ip_alert = alerts[0]
    assert [e["matched"]["field"] for e in ip_alert.doc["threat"]["enrichments"]] == ["id.resp_h", "answers"]
    assert get_field(ip_alert.doc, "threat.indicator.ip") == "198.51.100.7"
    assert len({a.id for a in alerts}) == 2


def test_ids_are_deterministic_and_depend_on_line_type_and_indicator() -> None:
    match = [Match(DOMAIN, "query", "a.b.evil.example")]
    first = build_alerts(_record(), match, now=1.0)[0]
    again = build_alerts(_record(), match, now=2.0, retro=True)[0]
    assert first.id == again.id  # neither time nor retro enters the id: a retro-hunt cannot duplicate
    assert again.doc["minisoc"]["retro"] is True and "retro" in again.doc["tags"]
    assert build_alerts(_record(RAW + b" "), match)[0].id != first.id
    assert build_alerts(_record(log_type="http"), match)[0].id != first.id
    other_source = Indicator(value="evil.example", kind="domain", type="domain", source="feed-b")
    assert build_alerts(_record(), [Match(other_source, "query", "a.b.evil.example")])[0].id != first.id
    assert first.id == alert_id("dns", RAW, DOMAIN) and len(first.id) == 32


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
    assert alert.doc["event"]["category"] == ["file"]


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


def test_a_dhcp_alert_has_the_client_as_source_and_its_first_connection_uid() -> None:
    """dhcp.log of Zeek 3+ has no id.* and a list of uids (a real zat line): alerts had neither."""
    raw = (b'{"ts":1575414483.749103,"uids":["CiRtVr1J5S25xYCJj9","C4rlbI2LmOfDWFl5tk"],'
           b'"client_addr":"10.18.20.97","mac":"00:01:24:56:9b:cf","host_name":"Juanita-Work-PC",'
           b'"domain":"icemaiden.com","msg_types":["INFORM","ACK"],"duration":0.00034999847412109375}')
    record = parse_json_line(raw, "dhcp")
    [alert] = build_alerts(record, [Match(DOMAIN, "domain", "icemaiden.com")], now=10.0)
    assert alert.doc["source"] == {"ip": "10.18.20.97"} and "destination" not in alert.doc
    assert alert.doc["zeek"]["uid"] == "CiRtVr1J5S25xYCJj9"
