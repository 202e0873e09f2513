"""Alerts per Zeek connection: the records of one connection (conn, ssh, Zeek's own intel.log) are one alert
listing them all, two connections that share a uid string stay apart, records without a connection keep their
own alert, and Zeek's notice.log and intel.log are alerts of their own when minisoc has none (real Zeek 8.0.10
output of the shared pcaps, ../shared/data/zeek/*/zeek8-pcaps)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from minisoc.correlator.alerts import alert_id, build_alerts, merge_alert
from minisoc.correlator.hunt import HuntRequest, run_hunt
from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.matcher import Matcher
from minisoc.correlator.model import Alert, Indicator, LogRecord
from minisoc.correlator.scan_alerts import alerts_of_records, coalesce
from minisoc.correlator.service.retro import retro_hunt
from minisoc.correlator.sinks.sqlite import SqliteAlertSink

PLANTED = Indicator(value="192.168.56.1", kind="ip", type="ip-dst", source="planted.intel")


def hunt(logs: Path, intel: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    request = HuntRequest(logs=[str(logs)], intel=[str(intel)])
    run_hunt(request, lambda alerts: docs.extend(alert.doc for alert in alerts))
    return docs


def records_of(path: Path, log_type: str) -> list[LogRecord]:
    found = []
    offset = 0
    for line in path.read_bytes().splitlines(keepends=True):
        fields = json.loads(line)
        found.append(LogRecord(log_type, fields, line.rstrip(b"\n"), str(path), offset, fields["ts"]))
        offset += len(line)
    return found


@pytest.mark.parametrize("log_format", ["json", "tsv"])
def test_conn_ssh_and_zeeks_intel_of_one_connection_are_one_alert(shared_data: Path, log_format: str) -> None:
    docs = hunt(shared_data / "zeek" / log_format / "zeek8-pcaps" / "sshguess",
                shared_data / "zeek" / "zeek8-pcaps.planted.intel")
    connections = [doc for doc in docs if doc["event"]["dataset"] != "zeek.notice"]
    # MANIFEST: 11 connections from 192.168.56.1, each in conn.log, ssh.log and Zeek's own intel.log
    assert len(connections) == 11
    assert len({doc["zeek"]["uid"] for doc in connections}) == 11
    for doc in connections:
        kinds = sorted(ref["log_type"] for ref in doc["minisoc"]["records"])
        assert kinds == ["conn", "intel", "ssh"], doc["event"]["id"]
        for ref in doc["minisoc"]["records"]:
            assert Path(ref["log"]["file"]["path"]).name == f"{ref['log_type']}.log"
            assert isinstance(ref["log"]["offset"], int)
        # Zeek's intel.log match is corroboration of the alert, not an alert of its own
        assert [(seen["indicator"], seen["where"], seen["sources"]) for seen in doc["zeek"]["intel"]] == [
            ("192.168.56.1", "Conn::IN_ORIG", ["planted"])]
    notices = [doc for doc in docs if doc["event"]["dataset"] == "zeek.notice"]
    assert [doc["rule"]["name"] for doc in notices] == ["SSH::Password_Guessing"]
    assert len(docs) == 12  # was 34: one per record of conn, ssh, intel (11 each) and notice


def test_two_connections_sharing_a_uid_string_stay_apart(shared_data: Path) -> None:
    """Zeek's test captures reuse uid strings for different connections: the 4-tuple and the day keep them
    apart."""
    first, second = records_of(shared_data / "zeek" / "json" / "zeek8-pcaps" / "sshguess" / "conn.log",
                               "conn")[:2]
    reused = dict(second.fields, uid=first.fields["uid"])  # the same uid string, another connection
    raw = json.dumps(reused).encode()
    other_connection = LogRecord("conn", reused, raw, second.path, second.offset, second.ts)
    next_day = dict(first.fields, ts=first.fields["ts"] + 86400.0)  # the same uid and 4-tuple, a day on
    later = LogRecord("conn", next_day, json.dumps(next_day).encode(), first.path, 0, next_day["ts"])
    matches = Matcher(IndicatorIndex.build([PLANTED])).match
    records = (first, other_connection, later)
    ids = [build_alerts(record, matches(record), now=1.0)[0].id for record in records]
    assert len(set(ids)) == 3


def test_records_without_a_connection_keep_their_own_alert(shared_data: Path) -> None:
    folder = shared_data / "zeek" / "json" / "zeek8-pcaps" / "heartbleed-success"
    x509 = records_of(folder / "x509.log", "x509")[0]  # Zeek 8's x509.log: no uid, no fuid
    indicator = Indicator(value="www.lilawelt.de", kind="hostname", type="hostname", source="t")
    matches = Matcher(IndicatorIndex.build([indicator])).match(x509)
    assert matches
    (alert,) = build_alerts(x509, matches, now=1.0)
    assert alert.id == alert_id("x509", x509.raw)


def test_merging_the_records_of_a_connection_does_not_depend_on_their_order(shared_data: Path) -> None:
    folder = shared_data / "zeek" / "json" / "zeek8-pcaps" / "sshguess"
    records = [records_of(folder / f"{kind}.log", kind)[0] for kind in ("conn", "ssh", "intel")]
    matcher = Matcher(IndicatorIndex.build([PLANTED]))
    forward = alerts_of_records(records, matcher, site=None, now=1.0)
    backward = alerts_of_records(records[::-1], matcher, site=None, now=1.0)
    assert len(forward) == len(backward) == 1
    assert forward[0].id == backward[0].id

    def content(doc: dict[str, Any]) -> tuple[Any, ...]:
        return (sorted(ref["id"] for ref in doc["minisoc"]["records"]),
                sorted(e["matched"]["field"] for e in doc["threat"]["enrichments"]), doc["zeek"]["intel"])

    assert content(forward[0].doc) == content(backward[0].doc)
    assert not merge_alert(forward[0].doc, backward[0].doc)  # nothing new: a replay writes nothing


def test_a_connection_read_in_two_batches_is_one_stored_alert(tmp_path: Path, shared_data: Path) -> None:
    folder = shared_data / "zeek" / "json" / "zeek8-pcaps" / "sshguess"
    matcher = Matcher(IndicatorIndex.build([PLANTED]))
    sink = SqliteAlertSink(tmp_path / "alerts.db")
    for kind in ("conn", "ssh", "intel"):  # the tailer's batches: one file after the other
        sink.write(alerts_of_records(records_of(folder / f"{kind}.log", kind), matcher, site=None, now=1.0))
        sink.write(alerts_of_records(records_of(folder / f"{kind}.log", kind), matcher, site=None, now=2.0))
    stored = sink.list_alerts(None, 100)
    sink.close()
    assert len(stored) == 11
    assert all(len(doc["minisoc"]["records"]) == 3 for doc in stored)


def test_zeeks_intel_match_that_minisoc_does_not_make_is_an_alert_of_its_own(shared_data: Path) -> None:
    intel = records_of(shared_data / "zeek" / "json" / "zeek8-pcaps" / "sshguess" / "intel.log", "intel")
    unrelated = Matcher(IndicatorIndex.build([Indicator(value="192.0.2.1", kind="ip", type="ip-dst",
                                                        source="other")]))
    alerts = alerts_of_records(intel, unrelated, site=None, now=1.0)
    assert len(alerts) == 11  # Zeek saw what minisoc did not
    enrichment = alerts[0].doc["threat"]["enrichments"][0]
    assert enrichment["matched"]["type"] == "zeek_intel"
    indicator = enrichment["indicator"]
    assert (indicator["name"], indicator["provider"]) == ("192.168.56.1", "planted")
    assert enrichment["indicator"]["type"] == "ipv4-addr"


@pytest.mark.parametrize("log_format", ["json", "tsv"])
def test_zeek_notices_are_alerts_once_each(shared_data: Path, log_format: str, tmp_path: Path) -> None:
    folder = shared_data / "zeek" / log_format / "zeek8-pcaps" / "heartbleed-success"
    intel = tmp_path / "other.intel"
    intel.write_text("#fields\tindicator\tindicator_type\tmeta.source\n192.0.2.1\tIntel::ADDR\tt\n")
    docs = hunt(folder, intel)
    assert [doc["rule"]["name"] for doc in docs] == [
        "Heartbleed::SSL_Heartbeat_Attack", "Heartbleed::SSL_Heartbeat_Attack_Success",
        "SSL::Invalid_Server_Cert"]
    success = docs[1]
    assert success["event"]["kind"] == "alert" and success["event"]["category"] == ["intrusion_detection"]
    assert success["message"].startswith("An TLS heartbleed attack detected before was probably exploited")
    assert success["source"] == {"ip": "173.203.79.216", "port": 41459}
    assert success["destination"] == {"ip": "107.170.241.107", "port": 443}
    assert success["threat"]["enrichments"] == [] and "indicator" not in success["threat"]
    again = hunt(folder, intel)
    assert [doc["event"]["id"] for doc in again] == [doc["event"]["id"] for doc in docs]
    sink = SqliteAlertSink(tmp_path / "alerts.db")
    for batch in (docs, again):
        sink.write([Alert(id=doc["event"]["id"], doc=doc) for doc in batch])
    assert len(sink.list_alerts(None, 100)) == 3
    sink.close()


def test_a_notice_without_a_connection_takes_its_destination_port_from_p() -> None:
    fields = {"ts": 1.0, "note": "Scan::Port_Scan", "msg": "m", "src": "192.0.2.7", "dst": "192.0.2.8",
              "p": 22}
    (alert,) = build_alerts(LogRecord("notice", fields, b"x", None, None, 1.0), [], now=1.0)
    assert alert.doc["source"] == {"ip": "192.0.2.7"}
    assert alert.doc["destination"] == {"ip": "192.0.2.8", "port": 22}
    assert alert.doc["rule"] == {"name": "Scan::Port_Scan", "ruleset": "zeek-notice", "category": "Scan"}


def test_a_retro_hunt_raises_no_finding_a_new_indicator_does_not_match(
    tmp_path: Path, shared_data: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    for kind in ("conn", "notice", "intel"):
        source = shared_data / "zeek" / "json" / "zeek8-pcaps" / "sshguess" / f"{kind}.log"
        (logs / f"{kind}.log").write_bytes(source.read_bytes())
    new = Indicator(value="192.168.56.103", kind="ip", type="ip-dst", source="late")
    alerts = [alert for batch in retro_hunt([new], logs, 7, site=None, now=time.time()) for alert in batch]
    assert len(alerts) == 11  # conn and intel.log records name the server (id.resp_h); the notice does not
    kinds = {ref["log_type"] for alert in alerts for ref in alert.doc["minisoc"]["records"]}
    assert kinds == {"conn", "intel"}
    assert all(e["matched"]["type"] != "zeek_intel" for a in alerts for e in a.doc["threat"]["enrichments"])
    assert coalesce(alerts) == alerts


def test_the_alert_table_shows_a_connections_log_types_and_a_notices_type(shared_data: Path) -> None:
    from rich.console import Console

    from minisoc.cli.alert_table import alerts_table

    docs = hunt(shared_data / "zeek" / "json" / "zeek8-pcaps" / "sshguess",
                shared_data / "zeek" / "zeek8-pcaps.planted.intel")
    console = Console(width=300, record=True)
    console.print(alerts_table(docs, "Alerts"))
    text = console.export_text()
    assert text.count("conn+intel,ssh") == 11
    assert "notice: SSH::Password_Guessing" in text
