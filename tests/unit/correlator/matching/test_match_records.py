"""Matching semantics on records read from real Zeek logs: whole lines kept here (dhcp, known hosts and
services, smtp) and the shared sample logs (JSON and TSV, ssl/x509/files, intel.log, split log names)."""

from __future__ import annotations

import json
from pathlib import Path

from matching_support import build_matcher, hits_of

from minisoc.correlator import LogRecord
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.matching import IndicatorIndex, Matcher
from minisoc.correlator.zeek import read_logs

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
    matcher = build_matcher(("ip-src", "10.18.20.97"), ("domain", "icemaiden.com"),
                       ("hostname", "juanita-work-pc"), ("ip-dst", "192.168.84.10"))
    [zeek3] = _written(tmp_path, "dhcp.json", DHCP_ZEEK3_JSON)
    assert zeek3.log_type == "dhcp"
    assert hits_of(matcher, "dhcp", zeek3.fields) == {
        ("client_addr", "10.18.20.97", "10.18.20.97"),
        ("domain", "icemaiden.com", "icemaiden.com"),
        ("host_name", "Juanita-Work-PC", "juanita-work-pc"),
    }
    fields = {"server_addr": "192.0.2.67", "assigned_addr": "192.168.84.10", "requested_addr": "10.18.20.97",
              "client_fqdn": "pc.corp.icemaiden.com."}
    assert hits_of(matcher, "dhcp", fields) == {
        ("assigned_addr", "192.168.84.10", "192.168.84.10"),
        ("requested_addr", "10.18.20.97", "10.18.20.97"),
        ("client_fqdn", "pc.corp.icemaiden.com.", "icemaiden.com"),
    }
    [bro2] = _written(tmp_path, "dhcp.log", DHCP_BRO2_TSV)
    assert hits_of(matcher, "dhcp", bro2.fields) == {
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
    matcher = build_matcher(("ip-dst", "208.80.152.3"), ("ip-dst|port", "74.125.225.81|80"),
                       ("ip-dst|port", "141.142.192.39|443"), ("ip-dst", "74.125.239.0/24"))
    known_hosts = _written(tmp_path, "known_hosts.log", KNOWN_HOSTS_TSV)
    assert [hits_of(matcher, "known_hosts", r.fields) for r in known_hosts] == [
        set(), {("host", "208.80.152.3", "208.80.152.3")}
    ]
    known_services = _written(tmp_path, "known_services.log", KNOWN_SERVICES_TSV)
    assert {r.log_type for r in known_services} == {"known_services"}
    assert [hits_of(matcher, "known_services", r.fields) for r in known_services] == [
        set(), {("host", "74.125.225.81", "74.125.225.81")}, set()  # 141.142.192.39 serves 22, not 443
    ]
    # a known_certs.log row of the same btest suite (known-certs/known_certs.log), and a software.log one
    certificate = {"host": "74.125.239.129", "port_num": 443, "subject": "CN=*.google.com,O=Google Inc",
                   "serial": "4A2C8628C1010633"}
    assert hits_of(matcher, "known_certs", certificate) == {("host", "74.125.239.129", "74.125.239.0/24")}
    server = {"host": "74.125.225.81", "host_p": 80, "software_type": "HTTP::SERVER", "name": "gws"}
    assert hits_of(matcher, "software", server) == {("host", "74.125.225.81", "74.125.225.81")}
    assert hits_of(matcher, "software", {**server, "host_p": None}) == set()  # client software: no port


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
    matcher = build_matcher(("ip-dst", "65.55.96.11"), ("ip-src", "216.58.97.0/24"))
    records = _written(tmp_path, "smtp.log", SMTP_TSV)
    assert [hits_of(matcher, "smtp", r.fields) for r in records] == [
        set(), {("id.resp_h", "65.55.96.11", "65.55.96.11"), ("path", "65.55.96.11", "65.55.96.11")}
    ]
    relayed = {"id.orig_h": "79.26.245.236", "id.resp_h": "254.228.86.79",
               "path": "254.228.86.79,79.26.245.236,216.58.97.33"}  # a vector as `a,b` text
    assert hits_of(matcher, "smtp", relayed) == {("path", "216.58.97.33", "216.58.97.0/24")}


def _records(shared_data: Path, relative: str) -> list[LogRecord]:
    return list(read_logs([shared_data / relative]))


def test_real_zeek_logs_json_and_tsv_match_the_same_observables(shared_data: Path) -> None:
    json_records = _records(shared_data, "zeek/json/wrccdc-zeek6.2/dns.json.gz")[:3000]
    tsv_records = _records(shared_data, "zeek/tsv/wrccdc-zeek6.2/dns.log.gz")[:3000]
    names = sorted({str(r.fields["query"]) for r in json_records if r.fields.get("query")})[:20]
    answers = sorted({a for r in json_records for a in r.fields.get("answers") or [] if a[0].isdigit()})[:20]
    matcher = build_matcher(*[("hostname", n) for n in names], *[("ip-dst", a) for a in answers])
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
    matcher = build_matcher(("x509-fingerprint-sha256", fingerprint), ("sha1", sha1), ("hostname", san))
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
    matcher = build_matcher(("x509-fingerprint-md5", md5), ("x509-fingerprint-sha1", sha1.upper()),
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
    assert hits_of(build_matcher(("sha1", sha1)), "x509", {"fingerprint": sha1}) == set()


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
    matcher = build_matcher(("domain", "evil.example"))
    for log_type, field in (("dns_red", "query"), ("DNS", "query"), ("http_internal", "host"),
                            ("ssl-external", "server_name"), ("known_hosts_red", None)):
        fields = {"id.orig_h": "10.0.0.1"} if field is None else {field: "www.evil.example"}
        expected = set() if field is None else {(field, "www.evil.example", "evil.example")}
        assert hits_of(matcher, log_type, fields) == expected, log_type
        decode, _, check = matcher.screen_for(log_type)  # the hunt's screened path agrees
        assert {(m.field, m.observed) for m in check(decode(json.dumps(fields).encode()))} == {
            (f, o) for f, o, _ in expected}
    assert hits_of(matcher, "reporter", {"message": "www.evil.example"}) == set()  # no base type: addresses
