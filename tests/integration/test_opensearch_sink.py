"""The OpenSearch sinks against a real OpenSearch: idempotent bulk writes, mappings (ip-typed fields),
list/ack, Zeek logs in per-type daily indices, and buffering while the cluster is stopped."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from opensearch_server import OpenSearchServer
from opensearchpy import OpenSearch

from factories import conn_alerts, domain_indicator, ip_indicator
from minisoc.cli.main import main
from minisoc.correlator import Alert, Indicator, LogRecord, Match, SinkUnavailable
from minisoc.correlator.alerts import build_alerts, merge_alert
from minisoc.correlator.clients.opensearch import open_client
from minisoc.correlator.config import OpenSearchSinkConfig
from minisoc.correlator.sinks import BufferedAlertSink, DurableBuffer
from minisoc.correlator.sinks.opensearch import OpenSearchAlertSink
from minisoc.correlator.sinks.opensearch_logs import ZeekLogIndexer
from minisoc.correlator.zeek import read_logs

pytestmark = pytest.mark.integration
IND = ip_indicator(event_uuid="e-1")


def make_alerts(count: int, start: int = 0) -> list[Alert]:
    return conn_alerts(count, start, indicator=IND, site="lab", fields=lambda n: {
        "id.orig_h": "10.0.0.1", "id.orig_p": 5000 + n, "id.resp_h": "198.51.100.7", "id.resp_p": 443})


def client_for(server: OpenSearchServer) -> OpenSearch:
    return open_client(OpenSearchSinkConfig(url=server.url))


def count(client: OpenSearch, index: str) -> int:
    client.indices.refresh(index=index)
    return int(client.count(index=index)["count"])


def test_bulk_write_twice_keeps_one_copy_and_maps_ips(opensearch: OpenSearchServer) -> None:
    client = client_for(opensearch)
    sink = OpenSearchAlertSink(client, "alerts-idem")
    alerts = make_alerts(20)
    sink.write(alerts)
    sink.write(alerts + make_alerts(5, start=20))
    assert count(client, "alerts-idem") == 25
    assert sink.written == 25 and sink.duplicates == 20 and sink.rejected == 0
    mapping = client.indices.get_mapping(index="alerts-idem")["alerts-idem"]["mappings"]["properties"]
    assert mapping["source"]["properties"]["ip"]["type"] == "ip"
    assert mapping["destination"]["properties"]["ip"]["type"] == "ip"
    assert mapping["@timestamp"]["type"] == "date"
    assert mapping["threat"]["properties"]["indicator"]["properties"]["type"]["type"] == "keyword"
    hits = client.search(index="alerts-idem", body={"query": {"term": {"destination.ip": "198.51.100.0/24"}}})
    assert hits["hits"]["total"]["value"] == 25  # a CIDR query works because the field is typed ip
    assert mapping["threat"]["properties"]["enrichments"]["type"] == "nested"  # as ECS defines it
    enrichment = mapping["threat"]["properties"]["enrichments"]["properties"]
    assert enrichment["matched"]["properties"]["occurred"]["type"] == "date"
    assert enrichment["indicator"]["properties"]["misp"]["properties"]["threat_level"]["type"] == "integer"
    assert mapping["threat"]["properties"]["indicator"]["properties"]["marking"]["properties"]["tlp"] == {
        "type": "keyword", "ignore_above": 4096}
    atomic = alerts[0].doc["threat"]["enrichments"][0]["matched"]["atomic"]
    nested = {"nested": {"path": "threat.enrichments",
                         "query": {"term": {"threat.enrichments.matched.atomic": atomic}}}}
    found = client.search(index="alerts-idem", body={"query": nested})["hits"]["hits"]
    matched = [h["_source"]["threat"]["enrichments"][0]["matched"]["atomic"] for h in found]
    assert matched and set(matched) == {atomic}


def test_list_and_ack(opensearch: OpenSearchServer) -> None:
    sink = OpenSearchAlertSink(client_for(opensearch), "alerts-ack")
    alerts = make_alerts(3)
    sink.write(alerts)
    listed = sink.list_alerts(since=datetime.now(UTC) - timedelta(minutes=10))
    assert sorted(doc["event"]["id"] for doc in listed) == sorted(a.id for a in alerts)
    assert sink.list_alerts(since=datetime.now(UTC) + timedelta(minutes=10)) == []
    updated = sink.ack(alerts[0].id[:12], false_positive=True)
    assert updated["minisoc"]["ack"]["state"] == "false_positive"
    again = {doc["event"]["id"]: doc for doc in sink.list_alerts()}
    assert again[alerts[0].id]["minisoc"]["ack"]["state"] == "false_positive"
    assert again[alerts[1].id]["minisoc"]["ack"]["state"] == "open"


def test_delete_alerts_in_one_bulk(opensearch: OpenSearchServer) -> None:
    """`minisoc scenario reset`: the named alerts go (visible at once), others and unknown ids are left."""
    client = client_for(opensearch)
    sink = OpenSearchAlertSink(client, "alerts-delete")
    assert sink.delete_alerts([]) == 0
    alerts = make_alerts(4)
    sink.write(alerts)
    sink.ack(alerts[0].id, false_positive=False)
    assert sink.delete_alerts([alerts[0].id, alerts[1].id, "no-such-id"]) == 2
    assert sorted(doc["event"]["id"] for doc in sink.list_alerts()) == sorted(a.id for a in alerts[2:])
    sink.write(alerts[:1])  # raised again after a reset: created anew, open
    assert sink.written == 5 and count(client, "alerts-delete") == 3


def test_zeek_logs_go_to_daily_indices_with_ip_fields(
    opensearch: OpenSearchServer, shared_data: Path
) -> None:
    client = client_for(opensearch)
    indexer = ZeekLogIndexer(client, "zeektest")
    records = list(
        read_logs(
            [
                shared_data / "zeek" / "json" / "zat" / "conn.log",
                shared_data / "zeek" / "tsv" / "zat" / "dns.log",
            ]
        )
    )
    indexer.write(indexer.documents(records))
    indexer.write(indexer.documents(records))  # a replay adds nothing
    assert indexer.rejected == 0
    assert count(client, "zeektest-*") == len(records)
    conn_indices = sorted(client.indices.get(index="zeektest-conn-*"))
    assert conn_indices == ["zeektest-conn-2019.12.03"]
    mapping = client.indices.get_mapping(index=conn_indices[0])[conn_indices[0]]["mappings"]["properties"]
    assert mapping["id"]["properties"]["orig_h"]["type"] == "ip"
    assert mapping["id"]["properties"]["resp_h"]["type"] == "ip"
    assert mapping["ts"]["type"] == "date"
    hits = client.search(index="zeektest-conn-*", body={"query": {"term": {"id.resp_h": "10.18.20.0/24"}}})
    assert hits["hits"]["total"]["value"] > 0


def test_buffer_while_stopped_then_exactly_once(opensearch: OpenSearchServer, tmp_path: Path) -> None:
    client = client_for(opensearch)
    inner = OpenSearchAlertSink(client, "alerts-down", attempts=2, backoff_s=0.1)
    sink = BufferedAlertSink(inner, DurableBuffer(tmp_path / "buffer", Alert))
    sink.write(make_alerts(5))
    opensearch.stop()
    try:
        sink.write(make_alerts(5, start=3))  # 3,4 are duplicates of what is stored; all buffered now
        sink.write(make_alerts(2, start=8))
        assert sink.backlog == 7 and sink.last_error is not None
        with pytest.raises(SinkUnavailable):
            inner.write(make_alerts(1, start=99))
    finally:
        opensearch.start()
    assert sink.drain() is True and sink.backlog == 0
    assert count(client, "alerts-down") == 10


def test_a_record_alerted_again_is_merged_as_the_sqlite_store_merges(opensearch: OpenSearchServer) -> None:
    """Live alert for A, acknowledged; a retro-hunt later finds the same line matches new indicator B: one
    document with both enrichments (as `merge_alert`, the SQLite store's rule, gives), its ack kept; a replay
    changes nothing."""
    client = client_for(opensearch)
    sink = OpenSearchAlertSink(client, "alerts-merge")
    record = LogRecord(log_type="dns", fields={"query": "x.evil.example", "id.resp_h": "198.51.100.7"},
                       raw=b"the line", path="/l/dns.log", offset=0, ts=1_600_000_000.0)
    new = domain_indicator(source="misp", attribute_uuid="u-b", tags=("tlp:red",))
    [live] = build_alerts(record, [Match(IND, "id.resp_h", "198.51.100.7")], now=10.0)
    sink.write([live])
    sink.ack(live.id)
    both = [Match(new, "query", "x.evil.example"), Match(IND, "id.resp_h", IND.value)]
    [retro] = build_alerts(record, both, now=20.0, retro=True)
    sink.write([retro])
    sink.write([retro, live])
    assert count(client, "alerts-merge") == 1
    assert (sink.written, sink.merged, sink.duplicates) == (1, 1, 2)
    stored = client.get(index="alerts-merge", id=live.id)["_source"]
    expected = copy.deepcopy(live.doc)
    assert merge_alert(expected, retro.doc) and not merge_alert(expected, live.doc)
    assert stored["threat"]["enrichments"] == expected["threat"]["enrichments"]
    assert stored["tags"] == expected["tags"] == ["retro", "tlp:red"]
    assert stored["minisoc"]["ack"]["state"] == "acknowledged" and stored["event"] == live.doc["event"]
    nested = {"nested": {"path": "threat.enrichments",
                         "query": {"term": {"threat.enrichments.indicator.misp.attribute_uuid": "u-b"}}}}
    assert client.search(index="alerts-merge", body={"query": nested})["hits"]["total"]["value"] == 1


def test_list_pages_past_the_result_window(opensearch: OpenSearchServer, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`alerts list --limit 20000` on more alerts than `max_result_window` answered 400
    (search_phase_execution_exception): the window is lowered to 100 here to keep the test fast."""
    client = client_for(opensearch)
    sink = OpenSearchAlertSink(client, "alerts-window")
    sink.writer.ensure_template()
    client.indices.create(index="alerts-window", body={"settings": {"index.max_result_window": 100}})
    alerts = make_alerts(250)
    sink.write(alerts)
    client.indices.refresh(index="alerts-window")
    listed = sink.list_alerts(limit=240)
    assert len(listed) == len({doc["event"]["id"] for doc in listed}) == 240
    # newest first (a `date` keeps milliseconds), then by id
    keys = [(doc["event"]["created"][:23], doc["event"]["id"]) for doc in listed]
    assert keys == sorted(sorted(keys, key=lambda key: key[1]), key=lambda key: key[0], reverse=True)
    assert {doc["event"]["id"] for doc in sink.list_alerts(limit=20000)} == {a.id for a in alerts}
    assert sink.count_alerts() == 250
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["alerts", "list", "--store", f"{opensearch.url}/alerts-window", "--limit", "20000"]) == 0
    assert "Alerts (250)" in capsys.readouterr().out
    assert main(["alerts", "list", "--store", f"{opensearch.url}/alerts-window", "--limit", "30"]) == 0
    out = capsys.readouterr().out
    assert "Alerts (30 of 250)" in out and "... and 220 more" in out


def test_list_more_than_ten_thousand_alerts(opensearch: OpenSearchServer) -> None:
    """The issue as reported, at OpenSearch's default result window (10,000): pages of 1000 in a point in
    time reach the 10,050th alert."""
    client = client_for(opensearch)
    sink = OpenSearchAlertSink(client, "alerts-many")
    alerts = make_alerts(10_050)
    for start in range(0, len(alerts), 2000):
        sink.write(alerts[start:start + 2000])
    listed = sink.list_alerts(limit=20_000)
    assert len(listed) == 10_050 and {doc["event"]["id"] for doc in listed} == {a.id for a in alerts}
    assert sink.count_alerts() == 10_050


def test_the_records_of_one_connection_are_merged_into_one_document(
    opensearch: OpenSearchServer, shared_data: Path
) -> None:
    """conn, ssh and Zeek's intel.log of one connection arrive in three writes (three tail batches): one
    document lists the three records; Zeek's notice is an alert of its own, searchable by rule.name."""
    from minisoc.correlator.matching.index import IndicatorIndex
    from minisoc.correlator.matching.matcher import Matcher
    from minisoc.correlator.scan_alerts import alerts_of_records

    folder = shared_data / "zeek" / "json" / "zeek8-pcaps" / "sshguess"
    matcher = Matcher(IndicatorIndex.build([Indicator(value="192.168.56.1", kind="ip", type="ip-dst",
                                                      source="planted")]))
    client = client_for(opensearch)
    sink = OpenSearchAlertSink(client, "alerts-grouped")
    for kind in ("conn", "ssh", "intel", "notice", "conn"):  # conn again: a replay adds nothing
        records = [record for record in read_logs([folder / f"{kind}.log"])][:1]
        sink.write(alerts_of_records(records, matcher, site="lab", now=1.0))
    assert count(client, "alerts-grouped") == 2
    hits = client.search(index="alerts-grouped", body={"query": {"term": {"zeek.log_type": "conn"}}})
    (doc,) = [hit["_source"] for hit in hits["hits"]["hits"]]
    assert sorted(ref["log_type"] for ref in doc["minisoc"]["records"]) == ["conn", "intel", "ssh"]
    assert doc["zeek"]["intel"][0]["where"] == "Conn::IN_ORIG"
    notice = client.search(index="alerts-grouped",
                           body={"query": {"term": {"rule.name": "SSH::Password_Guessing"}}})
    assert notice["hits"]["total"]["value"] == 1
