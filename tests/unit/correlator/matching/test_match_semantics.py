"""Matching semantics per kind: exact and CIDR addresses (v4, v6), parent domains, case and trailing dot,
URL normalisation, hashes, certificates, JA3, email, user agents, composite types with ports; and matches on
records read from the real Zeek logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from minisoc.correlator import Indicator, LogRecord
from minisoc.correlator.intel.convert import LoadCounts, Provenance, indicators_for
from minisoc.correlator.matching import IndicatorIndex, Matcher
from minisoc.correlator.zeek import read_logs

PROVENANCE = Provenance(
    source="unit",
    event_uuid="5f0c7a8e-0000-4000-8000-000000000001",
    event_info="unit event",
    tags=("tlp:clear",),
    threat_level=2,
)


def _indicators(*typed: tuple[str, str]) -> list[Indicator]:
    found: list[Indicator] = []
    for number, (misp_type, value) in enumerate(typed):
        found += indicators_for(
            misp_type,
            value,
            PROVENANCE,
            LoadCounts(),
            attribute_uuid=f"5f0c7a8e-0000-4000-8000-{number:012d}",
            comment=f"c{number}",
            timestamp=1_700_000_000 + number,
        )
    return found


def _matcher(*typed: tuple[str, str]) -> Matcher:
    return Matcher(IndicatorIndex.build(_indicators(*typed)))


def _hits(matcher: Matcher, log_type: str, fields: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(m.field, m.observed, m.indicator.value) for m in matcher.match_fields(log_type, fields)}


def test_exact_ip_v4_and_v6_on_any_log() -> None:
    matcher = _matcher(("ip-dst", "192.0.2.1"), ("ip-src", "2001:db8::1"))
    assert _hits(matcher, "conn", {"id.orig_h": "2001:DB8:0::1", "id.resp_h": "192.0.2.1"}) == {
        ("id.orig_h", "2001:DB8:0::1", "2001:db8::1"),
        ("id.resp_h", "192.0.2.1", "192.0.2.1"),
    }
    assert _hits(matcher, "weird", {"id.orig_h": "192.0.2.10", "id.resp_h": "192.0.2.100"}) == set()


def test_cidr_v4_and_v6_match_inside_and_not_outside() -> None:
    matcher = _matcher(
        ("ip-dst", "198.51.100.0/24"), ("ip-dst", "10.0.0.0/8"), ("ip-dst", "2001:db8:aa::/48")
    )
    assert _hits(matcher, "conn", {"id.resp_h": "198.51.100.77"}) == {
        ("id.resp_h", "198.51.100.77", "198.51.100.0/24")
    }
    assert _hits(matcher, "conn", {"id.resp_h": "10.200.3.4"}) == {("id.resp_h", "10.200.3.4", "10.0.0.0/8")}
    assert _hits(matcher, "conn", {"id.resp_h": "2001:db8:aa:1::5"}) == {
        ("id.resp_h", "2001:db8:aa:1::5", "2001:db8:aa::/48")
    }
    assert _hits(matcher, "conn", {"id.resp_h": "198.51.101.1", "id.orig_h": "2001:db8:ab::1"}) == set()


def test_nested_cidrs_all_match() -> None:
    matcher = _matcher(("ip-dst", "10.0.0.0/8"), ("ip-dst", "10.1.0.0/16"), ("ip-dst", "10.1.2.3"))
    assert {m.indicator.value for m in matcher.match_fields("conn", {"id.resp_h": "10.1.2.3"})} == {
        "10.0.0.0/8",
        "10.1.0.0/16",
        "10.1.2.3",
    }


def test_domain_matches_itself_and_names_below_case_and_trailing_dot_ignored() -> None:
    matcher = _matcher(("domain", "Evil.Example"))
    for name in ("evil.example", "EVIL.example.", "a.b.evil.example"):
        assert _hits(matcher, "dns", {"query": name}) == {("query", name, "evil.example")}
    assert _hits(matcher, "dns", {"query": "notevil.example"}) == set()
    assert _hits(matcher, "dns", {"query": "example"}) == set()


def test_hostname_matches_only_that_name() -> None:
    matcher = _matcher(("hostname", "c2.example"))
    assert _hits(matcher, "ssl", {"server_name": "C2.example."}) == {
        ("server_name", "C2.example.", "c2.example")
    }
    assert _hits(matcher, "ssl", {"server_name": "x.c2.example"}) == set()


def test_dns_answers_addresses_and_names() -> None:
    matcher = _matcher(("ip-dst", "203.0.113.5"), ("domain", "cdn.example"))
    fields = {
        "query": "www.site.example",
        "answers": ["edge.cdn.example", "203.0.113.5", "TXT 12 hello world"],
    }
    assert _hits(matcher, "dns", fields) == {
        ("answers", "edge.cdn.example", "cdn.example"),
        ("answers", "203.0.113.5", "203.0.113.5"),
    }
    assert _hits(matcher, "dns", {"answers": "edge.cdn.example,203.0.113.5"}) == {
        ("answers", "edge.cdn.example", "cdn.example"),
        ("answers", "203.0.113.5", "203.0.113.5"),
    }


def test_http_url_is_normalised_host_plus_path_with_and_without_query() -> None:
    matcher = _matcher(("url", "http://Evil.Example/gate.php"), ("url", "https://evil.example/a?b=1"))
    assert _hits(matcher, "http", {"host": "EVIL.example:80", "uri": "/gate.php?id=7"}) == {
        ("uri", "EVIL.example:80/gate.php?id=7", "evil.example/gate.php")
    }
    assert _hits(matcher, "http", {"host": "evil.example", "uri": "/a?b=1"}) == {
        ("uri", "evil.example/a?b=1", "evil.example/a?b=1")
    }
    assert _hits(matcher, "http", {"host": "evil.example", "uri": "/a?b=2"}) == set()
    assert _hits(matcher, "http", {"host": "proxy", "uri": "http://evil.example/gate.php"}) == {
        ("uri", "http://evil.example/gate.php", "evil.example/gate.php")
    }


def test_http_host_header_name_or_address_and_user_agent() -> None:
    matcher = _matcher(("domain", "evil.example"), ("ip-dst", "192.0.2.8"), ("user-agent", "EvilBot/1.0"))
    assert _hits(matcher, "http", {"host": "www.evil.example:8080", "user_agent": "EvilBot/1.0"}) == {
        ("host", "www.evil.example:8080", "evil.example"),
        ("user_agent", "EvilBot/1.0", "EvilBot/1.0"),
    }
    assert _hits(matcher, "http", {"host": "192.0.2.8"}) == {("host", "192.0.2.8", "192.0.2.8")}
    assert _hits(matcher, "http", {"user_agent": "evilbot/1.0"}) == set()


def test_ports_from_composite_types_must_match() -> None:
    matcher = _matcher(("ip-dst|port", "192.0.2.9|8443"), ("hostname|port", "c2.example|443"))
    assert _hits(matcher, "conn", {"id.resp_h": "192.0.2.9", "id.resp_p": 8443}) == {
        ("id.resp_h", "192.0.2.9", "192.0.2.9")
    }
    assert _hits(matcher, "conn", {"id.resp_h": "192.0.2.9", "id.resp_p": 443}) == set()
    assert _hits(matcher, "conn", {"id.orig_h": "192.0.2.9", "id.orig_p": 8443, "id.resp_p": 80}) == {
        ("id.orig_h", "192.0.2.9", "192.0.2.9")
    }
    assert _hits(matcher, "ssl", {"server_name": "c2.example", "id.resp_p": "443"}) == {
        ("server_name", "c2.example", "c2.example")
    }
    assert _hits(matcher, "ssl", {"server_name": "c2.example", "id.resp_p": 8443}) == set()
    [match] = matcher.match_fields("conn", {"id.resp_h": "192.0.2.9", "id.resp_p": 8443})
    assert match.indicator.port == 8443 and match.indicator.type == "ip-dst|port"


def test_domain_ip_composite_matches_both_parts() -> None:
    matcher = _matcher(("domain|ip", "evil.example|192.0.2.44"))
    assert _hits(matcher, "dns", {"query": "x.evil.example", "answers": ["192.0.2.44"]}) == {
        ("query", "x.evil.example", "evil.example"),
        ("answers", "192.0.2.44", "192.0.2.44"),
    }


def test_file_hashes_filename_and_transfer_hosts() -> None:
    md5, sha256 = "d41d8cd98f00b204e9800998ecf8427f", "ab" * 32
    matcher = _matcher(
        ("md5", md5),
        ("filename|sha256", f"a.exe|{sha256}"),
        ("filename", "invoice.js"),
        ("ip-dst", "192.0.2.60"),
    )
    fields = {"md5": md5.upper(), "sha256": sha256, "filename": "invoice.js", "tx_hosts": ["192.0.2.60"]}
    assert _hits(matcher, "files", fields) == {
        ("md5", md5.upper(), md5),
        ("sha256", sha256, sha256),
        ("filename", "invoice.js", "invoice.js"),
        ("tx_hosts", "192.0.2.60", "192.0.2.60"),
    }


def test_certificates_ja3_and_subject_names() -> None:
    sha256_fp, sha1_fp, ja3 = "cd" * 32, "ef" * 20, "e7d705a3286e19ea42f587b344ee6865"
    matcher = _matcher(
        ("x509-fingerprint-sha256", sha256_fp),
        ("x509-fingerprint-sha1", sha1_fp),
        ("ja3-fingerprint-md5", ja3),
        ("domain", "bad-cert.example"),
    )
    assert _hits(
        matcher,
        "ssl",
        {
            "cert_chain_fps": ["00" * 32, sha256_fp],
            "ja3": ja3.upper(),
            "subject": "CN=www.bad-cert.example,O=Bad\\, Inc",
        },
    ) == {
        ("cert_chain_fps", sha256_fp, sha256_fp),
        ("ja3", ja3.upper(), ja3),
        ("subject", "www.bad-cert.example", "bad-cert.example"),
    }  # the CN is what was matched
    assert _hits(
        matcher, "x509", {"fingerprint": sha1_fp, "san.dns": ["ok.example", "bad-cert.example"]}
    ) == {("fingerprint", sha1_fp, sha1_fp), ("san.dns", "bad-cert.example", "bad-cert.example")}


def test_email_and_notice_and_intel_log() -> None:
    matcher = _matcher(
        ("email-src", "Bad@Example.org"), ("ip-dst", "192.0.2.70"), ("domain", "upload.wikimedia.org")
    )
    assert _hits(matcher, "smtp", {"from": "Bad Guy <bad@example.ORG>", "rcptto": ["x@y.example"]}) == {
        ("from", "Bad Guy <bad@example.ORG>", "bad@example.org")
    }
    assert _hits(matcher, "notice", {"src": "192.0.2.70"}) == {("src", "192.0.2.70", "192.0.2.70")}
    intel = {"seen.indicator": "upload.wikimedia.org", "seen.indicator_type": "Intel::DOMAIN"}
    assert _hits(matcher, "intel", intel) == {
        ("seen.indicator", "upload.wikimedia.org", "upload.wikimedia.org")
    }


# Real log lines not in the shared sample set, kept here whole: SuperCowPowers/zat @ 00a2373cd404 (MIT),
# data/dhcp.log (Bro 2.x) and data/json/dhcp.log (Zeek 3).
DHCP_BRO2_TSV = """\
#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tdhcp
#open\t2014-04-03-10-05-43
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tmac\tassigned_ip\tlease_time\ttrans_id
#types\ttime\tstring\taddr\tport\taddr\tport\tstring\taddr\tinterval\tcount
1342775652.219654\tCJsdG95nCNF1RXuN5\t192.168.84.10\t68\t192.168.84.1\t67\t00:20:18:eb:ca:54\t192.168.84.10\t\
4.294967e+09\t495764278
#close\t2014-04-03-10-05-44
"""
DHCP_ZEEK3_JSON = (
    '{"ts":1575414483.749103,"uids":["CiRtVr1J5S25xYCJj9","C4rlbI2LmOfDWFl5tk"],"client_addr":"10.18.20.97",'
    '"mac":"00:01:24:56:9b:cf","host_name":"Juanita-Work-PC","domain":"icemaiden.com",'
    '"msg_types":["INFORM","ACK"],"duration":0.00034999847412109375}\n'
)


def _written(tmp_path: Path, name: str, text: str) -> list[LogRecord]:
    path = tmp_path / name
    path.write_text(text)
    return list(read_logs([path]))


def test_dhcp_addresses_and_names_without_a_connection(tmp_path: Path) -> None:
    """dhcp.log of Bro 2.6 and later has no id.* fields: its addresses and names are its only observables."""
    matcher = _matcher(("ip-src", "10.18.20.97"), ("domain", "icemaiden.com"),
                       ("hostname", "juanita-work-pc"), ("ip-dst", "192.168.84.10"))
    [zeek3] = _written(tmp_path, "dhcp.json", DHCP_ZEEK3_JSON)
    assert zeek3.log_type == "dhcp"
    assert _hits(matcher, "dhcp", zeek3.fields) == {
        ("client_addr", "10.18.20.97", "10.18.20.97"),
        ("domain", "icemaiden.com", "icemaiden.com"),
        ("host_name", "Juanita-Work-PC", "juanita-work-pc"),
    }
    fields = {"server_addr": "192.0.2.67", "assigned_addr": "192.168.84.10", "requested_addr": "10.18.20.97",
              "client_fqdn": "pc.corp.icemaiden.com."}
    assert _hits(matcher, "dhcp", fields) == {
        ("assigned_addr", "192.168.84.10", "192.168.84.10"),
        ("requested_addr", "10.18.20.97", "10.18.20.97"),
        ("client_fqdn", "pc.corp.icemaiden.com.", "icemaiden.com"),
    }
    [bro2] = _written(tmp_path, "dhcp.log", DHCP_BRO2_TSV)
    assert _hits(matcher, "dhcp", bro2.fields) == {
        ("id.orig_h", "192.168.84.10", "192.168.84.10"),
        ("assigned_ip", "192.168.84.10", "192.168.84.10"),
    }


# zeek/zeek @ 012acb22e96f (BSD-3-Clause), testing/btest/Baseline/scripts.policy.protocols.conn.known-hosts/
# knownhosts-all.log and ...known-services/knownservices-all.log (the first rows)
KNOWN_HOSTS_TSV = """\
#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tknown_hosts
#open\t2011-03-18-19-06-08
#fields\tts\thost
#types\ttime\taddr
1300475168.783842\t141.142.220.118
1300475168.915940\t208.80.152.3
#close\t2011-03-18-19-06-13
"""
KNOWN_SERVICES_TSV = """\
#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tknown_services
#open\t2011-06-24-15-51-31
#fields\tts\thost\tport_num\tport_proto\tservice
#types\ttime\taddr\tport\tenum\ttable[string]
1308930694.550308\t172.16.238.131\t80\ttcp\tHTTP
1308930716.462556\t74.125.225.81\t80\ttcp\tHTTP
1308930726.872485\t141.142.192.39\t22\ttcp\tSSH
#close\t2011-06-24-15-52-08
"""


def test_known_hosts_services_certs_and_software_hosts(tmp_path: Path) -> None:
    """Logs written without a connection: their `host` is an address, with the port of its service."""
    matcher = _matcher(("ip-dst", "208.80.152.3"), ("ip-dst|port", "74.125.225.81|80"),
                       ("ip-dst|port", "141.142.192.39|443"), ("ip-dst", "74.125.239.0/24"))
    known_hosts = _written(tmp_path, "known_hosts.log", KNOWN_HOSTS_TSV)
    assert [_hits(matcher, "known_hosts", r.fields) for r in known_hosts] == [
        set(), {("host", "208.80.152.3", "208.80.152.3")}
    ]
    known_services = _written(tmp_path, "known_services.log", KNOWN_SERVICES_TSV)
    assert {r.log_type for r in known_services} == {"known_services"}
    assert [_hits(matcher, "known_services", r.fields) for r in known_services] == [
        set(), {("host", "74.125.225.81", "74.125.225.81")}, set()  # 141.142.192.39 serves 22, not 443
    ]
    # a known_certs.log row of the same btest suite (known-certs/known_certs.log), and a software.log one
    certificate = {"host": "74.125.239.129", "port_num": 443, "subject": "CN=*.google.com,O=Google Inc",
                   "serial": "4A2C8628C1010633"}
    assert _hits(matcher, "known_certs", certificate) == {("host", "74.125.239.129", "74.125.239.0/24")}
    server = {"host": "74.125.225.81", "host_p": 80, "software_type": "HTTP::SERVER", "name": "gws"}
    assert _hits(matcher, "software", server) == {("host", "74.125.225.81", "74.125.225.81")}
    assert _hits(matcher, "software", {**server, "host_p": None}) == set()  # client software: no port


# SuperCowPowers/zat (MIT), data/smtp.log (Bro 2.x), the first two rows
SMTP_TSV = """\
#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tsmtp
#open\t2014-04-03-10-16-36
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\thelo\tmailfrom\trcptto\tdate\tfrom\tto\t\
reply_to\tmsg_id\tin_reply_to\tsubject\tx_originating_ip\tfirst_received\tsecond_received\tlast_reply\tpath\t\
user_agent\tfuids\tis_webmail
#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\ttable[string]\tstring\tstring\t\
table[string]\tstring\tstring\tstring\tstring\taddr\tstring\tstring\tstring\tvector[addr]\tstring\t\
vector[string]\tbool
1326934970.944281\tCdbVOo4rI0fX8lIug9\t192.168.6.10\t1045\t65.55.162.200\t587\t1\ttf1s\t-\t-\t-\t-\t-\t-\t-\t\
-\t-\t-\t-\t-\t220 2.0.0 SMTP server ready\t65.55.162.200,192.168.6.10\t-\t(empty)\tF
1326934980.935623\tCAJIcp28fzFeMfMiyc\t192.168.6.10\t1049\t65.55.96.11\t587\t1\tdmlqo\t-\t-\t-\t-\t-\t-\t-\t\
-\t-\t-\t-\t-\t220 2.0.0 SMTP server ready\t65.55.96.11,192.168.6.10\t-\t(empty)\tF
#close\t2014-04-03-10-16-36
"""


def test_smtp_path_addresses(tmp_path: Path) -> None:
    """smtp.log `path` (vector[addr]): the server, the client, then the address of each Received header,
    which Zeek's intel framework checks as SMTP::IN_RECEIVED_HEADER."""
    matcher = _matcher(("ip-dst", "65.55.96.11"), ("ip-src", "216.58.97.0/24"))
    records = _written(tmp_path, "smtp.log", SMTP_TSV)
    assert [_hits(matcher, "smtp", r.fields) for r in records] == [
        set(), {("id.resp_h", "65.55.96.11", "65.55.96.11"), ("path", "65.55.96.11", "65.55.96.11")}
    ]
    relayed = {"id.orig_h": "79.26.245.236", "id.resp_h": "254.228.86.79",
               "path": "254.228.86.79,79.26.245.236,216.58.97.33"}  # a vector as `a,b` text
    assert _hits(matcher, "smtp", relayed) == {("path", "216.58.97.33", "216.58.97.0/24")}


def test_the_indicator_is_rebuilt_whole_from_compact_storage() -> None:
    [original] = _indicators(("ip-dst|port", "192.0.2.9|8443"))
    matcher = Matcher(IndicatorIndex.build([original]))
    [match] = matcher.match_fields("conn", {"id.resp_h": "192.0.2.9", "id.resp_p": 8443})
    assert match.indicator == original


def test_odd_attribute_uuids_survive_the_index() -> None:
    odd = Indicator(value="192.0.2.1", kind="ip", type="ip-dst", source="s", attribute_uuid="ATTR-42")
    upper = Indicator(
        value="192.0.2.2",
        kind="ip",
        type="ip-dst",
        source="s",
        attribute_uuid="5F0C7A8E-0000-4000-8000-000000000001",
    )
    matcher = Matcher(IndicatorIndex.build([odd, upper]))
    found = {
        m.indicator.attribute_uuid
        for m in matcher.match_fields("conn", {"id.orig_h": "192.0.2.1", "id.resp_h": "192.0.2.2"})
    }
    assert found == {"ATTR-42", "5F0C7A8E-0000-4000-8000-000000000001"}


def test_duplicate_values_from_several_events_give_one_match_each() -> None:
    first = Indicator(value="evil.example", kind="domain", type="domain", source="a", event_uuid="e1")
    second = Indicator(value="evil.example", kind="domain", type="domain", source="b", event_uuid="e2")
    matcher = Matcher(IndicatorIndex.build([first, second]))
    assert {m.indicator.event_uuid for m in matcher.match_fields("dns", {"query": "evil.example"})} == {
        "e1",
        "e2",
    }


def test_matching_is_pure_same_record_same_result() -> None:
    matcher = _matcher(("ip-dst", "192.0.2.1"), ("domain", "evil.example"))
    record = LogRecord(
        log_type="dns", fields={"id.resp_h": "192.0.2.1", "query": "a.evil.example"}, raw=b"{}"
    )
    first = matcher.match(record)
    assert len(first) == 2 and all(matcher.match(record) == first for _ in range(3))


def _records(shared_data: Path, relative: str) -> list[LogRecord]:
    return list(read_logs([shared_data / relative]))


def test_real_zeek_logs_json_and_tsv_match_the_same_observables(shared_data: Path) -> None:
    json_records = _records(shared_data, "zeek/json/wrccdc-zeek6.2/dns.json.gz")[:3000]
    tsv_records = _records(shared_data, "zeek/tsv/wrccdc-zeek6.2/dns.log.gz")[:3000]
    names = sorted({str(r.fields["query"]) for r in json_records if r.fields.get("query")})[:20]
    answers = sorted({a for r in json_records for a in r.fields.get("answers") or [] if a[0].isdigit()})[:20]
    matcher = _matcher(*[("hostname", n) for n in names], *[("ip-dst", a) for a in answers])
    json_hits = sum(len(matcher.match(r)) for r in json_records)
    tsv_hits = sum(len(matcher.match(r)) for r in tsv_records)
    assert json_hits > 0 and json_hits == tsv_hits


def test_real_ssl_x509_and_files_logs(shared_data: Path) -> None:
    ssl = _records(shared_data, "zeek/json/wrccdc-zeek6.2/ssl.json.gz")[:2000]
    fingerprint = next(fp for r in ssl for fp in r.fields.get("cert_chain_fps") or [])
    files = _records(shared_data, "zeek/json/zat/files.log")
    sha1 = next(str(r.fields["sha1"]) for r in files if r.fields.get("sha1"))
    x509 = _records(shared_data, "zeek/json/zat/x509.log")
    san = next(str(n) for r in x509 for n in r.fields.get("san.dns") or [] if not n.startswith("*"))
    matcher = _matcher(("x509-fingerprint-sha256", fingerprint), ("sha1", sha1), ("hostname", san))
    assert any(m.field == "cert_chain_fps" for r in ssl for m in matcher.match(r))
    assert any(m.field == "sha1" for r in files for m in matcher.match(r))
    assert any(m.field == "san.dns" for r in x509 for m in matcher.match(r))


def test_fingerprints_match_hashes_of_certificate_files(shared_data: Path, tmp_path: Path) -> None:
    """files.log hashes of a certificate (source SSL) are its fingerprints: Zeek matches Intel::CERT_HASH on
    their sha1; MISP x509-fingerprint-* of any length match too, and keep their type."""
    from minisoc.correlator.intel.intel_file import read_intel_file

    files = _records(shared_data, "zeek/json/zat/files.log")
    certificate = next(r for r in files if r.fields.get("mime_type") == "application/x-x509-user-cert")
    md5, sha1, sha256 = (str(certificate.fields[name]) for name in ("md5", "sha1", "sha256"))
    matcher = _matcher(("x509-fingerprint-md5", md5), ("x509-fingerprint-sha1", sha1.upper()),
                       ("x509-fingerprint-sha256", ":".join(sha256[i:i + 2] for i in range(0, 64, 2))))
    assert {(m.field, m.indicator.value, m.indicator.type) for m in matcher.match(certificate)} == {
        ("md5", md5, "x509-fingerprint-md5"),
        ("sha1", sha1, "x509-fingerprint-sha1"),
        ("sha256", sha256, "x509-fingerprint-sha256"),
    }
    intel = tmp_path / "certs.intel"
    intel.write_text(f"#fields\tindicator\tindicator_type\tmeta.source\n{sha1}\tIntel::CERT_HASH\tt\n")
    zeek_matcher = Matcher(IndicatorIndex.build(read_intel_file(intel, LoadCounts())))
    assert [(m.field, m.observed) for r in files for m in zeek_matcher.match(r)] == [("sha1", sha1)]
    # the other way round stays as it was: a file hash indicator does not match a certificate fingerprint
    assert _hits(_matcher(("sha1", sha1)), "x509", {"fingerprint": sha1}) == set()


def test_intel_log_from_zeek_matches_the_intel_file_zeek_used(shared_data: Path) -> None:
    from minisoc.correlator.intel.intel_file import read_intel_file

    indicators = read_intel_file(shared_data / "intel/zeek-btest/whitelisting.intel.dat", LoadCounts())
    matcher = Matcher(IndicatorIndex.build(indicators))
    # the btest baseline's ts is canonified (not a number), so its rows are taken apart here, not parsed
    lines = (shared_data / "zeek/intel-log/zeek-btest/whitelisting.intel.log").read_text().splitlines()
    names = next(line for line in lines if line.startswith("#fields")).split("\t")[1:]
    rows = [dict(zip(names, line.split("\t"), strict=True)) for line in lines if not line.startswith("#")]
    assert rows and all(
        any(m.field == "seen.indicator" for m in matcher.match_fields("intel", row)) for row in rows
    )


def test_split_logs_named_by_filters_and_vendors_have_their_base_type_observables() -> None:
    """`_path` dns_red (Corelight), http_internal / ssl-external (Zeek log filters), DNS: their queries, hosts
    and server names were never looked at, only the connection's addresses."""
    matcher = _matcher(("domain", "evil.example"))
    for log_type, field in (("dns_red", "query"), ("DNS", "query"), ("http_internal", "host"),
                            ("ssl-external", "server_name"), ("known_hosts_red", None)):
        fields = {"id.orig_h": "10.0.0.1"} if field is None else {field: "www.evil.example"}
        expected = set() if field is None else {(field, "www.evil.example", "evil.example")}
        assert _hits(matcher, log_type, fields) == expected, log_type
        decode, _, check = matcher.screen_for(log_type)  # the hunt's screened path agrees
        assert {(m.field, m.observed) for m in check(decode(json.dumps(fields).encode()))} == {
            (f, o) for f, o, _ in expected}
    assert _hits(matcher, "reporter", {"message": "www.evil.example"}) == set()  # no base type: addresses
