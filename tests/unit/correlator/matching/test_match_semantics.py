"""Matching semantics per kind: exact and CIDR addresses (v4, v6), parent domains, case and trailing dot,
URL normalisation, hashes, certificates, JA3, email, user agents, composite types with ports; the index's
compact storage. Records read from real Zeek logs: test_match_records.py."""

from __future__ import annotations

from matching_support import build_matcher, hits_of, indicators_of

from minisoc.correlator import Indicator, LogRecord
from minisoc.correlator.matching import IndicatorIndex, Matcher


def test_exact_ip_v4_and_v6_on_any_log() -> None:
    matcher = build_matcher(("ip-dst", "192.0.2.1"), ("ip-src", "2001:db8::1"))
    assert hits_of(matcher, "conn", {"id.orig_h": "2001:DB8:0::1", "id.resp_h": "192.0.2.1"}) == {
        ("id.orig_h", "2001:DB8:0::1", "2001:db8::1"),
        ("id.resp_h", "192.0.2.1", "192.0.2.1"),
    }
    assert hits_of(matcher, "weird", {"id.orig_h": "192.0.2.10", "id.resp_h": "192.0.2.100"}) == set()


def test_cidr_v4_and_v6_match_inside_and_not_outside() -> None:
    matcher = build_matcher(
        ("ip-dst", "198.51.100.0/24"), ("ip-dst", "10.0.0.0/8"), ("ip-dst", "2001:db8:aa::/48")
    )
    assert hits_of(matcher, "conn", {"id.resp_h": "198.51.100.77"}) == {
        ("id.resp_h", "198.51.100.77", "198.51.100.0/24")
    }
    inside = {("id.resp_h", "10.200.3.4", "10.0.0.0/8")}
    assert hits_of(matcher, "conn", {"id.resp_h": "10.200.3.4"}) == inside
    assert hits_of(matcher, "conn", {"id.resp_h": "2001:db8:aa:1::5"}) == {
        ("id.resp_h", "2001:db8:aa:1::5", "2001:db8:aa::/48")
    }
    assert hits_of(matcher, "conn", {"id.resp_h": "198.51.101.1", "id.orig_h": "2001:db8:ab::1"}) == set()


def test_nested_cidrs_all_match() -> None:
    matcher = build_matcher(("ip-dst", "10.0.0.0/8"), ("ip-dst", "10.1.0.0/16"), ("ip-dst", "10.1.2.3"))
    assert {m.indicator.value for m in matcher.match_fields("conn", {"id.resp_h": "10.1.2.3"})} == {
        "10.0.0.0/8",
        "10.1.0.0/16",
        "10.1.2.3",
    }


def test_domain_matches_itself_and_names_below_case_and_trailing_dot_ignored() -> None:
    matcher = build_matcher(("domain", "Evil.Example"))
    for name in ("evil.example", "EVIL.example.", "a.b.evil.example"):
        assert hits_of(matcher, "dns", {"query": name}) == {("query", name, "evil.example")}
    assert hits_of(matcher, "dns", {"query": "notevil.example"}) == set()
    assert hits_of(matcher, "dns", {"query": "example"}) == set()


def test_hostname_matches_only_that_name() -> None:
    matcher = build_matcher(("hostname", "c2.example"))
    assert hits_of(matcher, "ssl", {"server_name": "C2.example."}) == {
        ("server_name", "C2.example.", "c2.example")
    }
    assert hits_of(matcher, "ssl", {"server_name": "x.c2.example"}) == set()


def test_dns_answers_addresses_and_names() -> None:
    matcher = build_matcher(("ip-dst", "203.0.113.5"), ("domain", "cdn.example"))
    fields = {
        "query": "www.site.example",
        "answers": ["edge.cdn.example", "203.0.113.5", "TXT 12 hello world"],
    }
    assert hits_of(matcher, "dns", fields) == {
        ("answers", "edge.cdn.example", "cdn.example"),
        ("answers", "203.0.113.5", "203.0.113.5"),
    }
    assert hits_of(matcher, "dns", {"answers": "edge.cdn.example,203.0.113.5"}) == {
        ("answers", "edge.cdn.example", "cdn.example"),
        ("answers", "203.0.113.5", "203.0.113.5"),
    }


def test_http_url_is_normalised_host_plus_path_with_and_without_query() -> None:
    matcher = build_matcher(("url", "http://Evil.Example/gate.php"), ("url", "https://evil.example/a?b=1"))
    assert hits_of(matcher, "http", {"host": "EVIL.example:80", "uri": "/gate.php?id=7"}) == {
        ("uri", "EVIL.example:80/gate.php?id=7", "evil.example/gate.php")
    }
    assert hits_of(matcher, "http", {"host": "evil.example", "uri": "/a?b=1"}) == {
        ("uri", "evil.example/a?b=1", "evil.example/a?b=1")
    }
    assert hits_of(matcher, "http", {"host": "evil.example", "uri": "/a?b=2"}) == set()
    assert hits_of(matcher, "http", {"host": "proxy", "uri": "http://evil.example/gate.php"}) == {
        ("uri", "http://evil.example/gate.php", "evil.example/gate.php")
    }


def test_http_host_header_name_or_address_and_user_agent() -> None:
    matcher = build_matcher(("domain", "evil.example"), ("ip-dst", "192.0.2.8"),
                            ("user-agent", "EvilBot/1.0"))
    assert hits_of(matcher, "http", {"host": "www.evil.example:8080", "user_agent": "EvilBot/1.0"}) == {
        ("host", "www.evil.example:8080", "evil.example"),
        ("user_agent", "EvilBot/1.0", "EvilBot/1.0"),
    }
    assert hits_of(matcher, "http", {"host": "192.0.2.8"}) == {("host", "192.0.2.8", "192.0.2.8")}
    assert hits_of(matcher, "http", {"user_agent": "evilbot/1.0"}) == set()


def test_ports_from_composite_types_must_match() -> None:
    matcher = build_matcher(("ip-dst|port", "192.0.2.9|8443"), ("hostname|port", "c2.example|443"))
    assert hits_of(matcher, "conn", {"id.resp_h": "192.0.2.9", "id.resp_p": 8443}) == {
        ("id.resp_h", "192.0.2.9", "192.0.2.9")
    }
    assert hits_of(matcher, "conn", {"id.resp_h": "192.0.2.9", "id.resp_p": 443}) == set()
    assert hits_of(matcher, "conn", {"id.orig_h": "192.0.2.9", "id.orig_p": 8443, "id.resp_p": 80}) == {
        ("id.orig_h", "192.0.2.9", "192.0.2.9")
    }
    assert hits_of(matcher, "ssl", {"server_name": "c2.example", "id.resp_p": "443"}) == {
        ("server_name", "c2.example", "c2.example")
    }
    assert hits_of(matcher, "ssl", {"server_name": "c2.example", "id.resp_p": 8443}) == set()
    [match] = matcher.match_fields("conn", {"id.resp_h": "192.0.2.9", "id.resp_p": 8443})
    assert match.indicator.port == 8443 and match.indicator.type == "ip-dst|port"


def test_domain_ip_composite_matches_both_parts() -> None:
    matcher = build_matcher(("domain|ip", "evil.example|192.0.2.44"))
    assert hits_of(matcher, "dns", {"query": "x.evil.example", "answers": ["192.0.2.44"]}) == {
        ("query", "x.evil.example", "evil.example"),
        ("answers", "192.0.2.44", "192.0.2.44"),
    }


def test_file_hashes_filename_and_transfer_hosts() -> None:
    md5, sha256 = "d41d8cd98f00b204e9800998ecf8427f", "ab" * 32
    matcher = build_matcher(
        ("md5", md5),
        ("filename|sha256", f"a.exe|{sha256}"),
        ("filename", "invoice.js"),
        ("ip-dst", "192.0.2.60"),
    )
    fields = {"md5": md5.upper(), "sha256": sha256, "filename": "invoice.js", "tx_hosts": ["192.0.2.60"]}
    assert hits_of(matcher, "files", fields) == {
        ("md5", md5.upper(), md5),
        ("sha256", sha256, sha256),
        ("filename", "invoice.js", "invoice.js"),
        ("tx_hosts", "192.0.2.60", "192.0.2.60"),
    }


def test_certificates_ja3_and_subject_names() -> None:
    sha256_fp, sha1_fp, ja3 = "cd" * 32, "ef" * 20, "e7d705a3286e19ea42f587b344ee6865"
    matcher = build_matcher(
        ("x509-fingerprint-sha256", sha256_fp),
        ("x509-fingerprint-sha1", sha1_fp),
        ("ja3-fingerprint-md5", ja3),
        ("domain", "bad-cert.example"),
    )
    assert hits_of(
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
    assert hits_of(
        matcher, "x509", {"fingerprint": sha1_fp, "san.dns": ["ok.example", "bad-cert.example"]}
    ) == {("fingerprint", sha1_fp, sha1_fp), ("san.dns", "bad-cert.example", "bad-cert.example")}


def test_email_and_notice_and_intel_log() -> None:
    matcher = build_matcher(
        ("email-src", "Bad@Example.org"), ("ip-dst", "192.0.2.70"), ("domain", "upload.wikimedia.org")
    )
    assert hits_of(matcher, "smtp", {"from": "Bad Guy <bad@example.ORG>", "rcptto": ["x@y.example"]}) == {
        ("from", "Bad Guy <bad@example.ORG>", "bad@example.org")
    }
    assert hits_of(matcher, "notice", {"src": "192.0.2.70"}) == {("src", "192.0.2.70", "192.0.2.70")}
    intel = {"seen.indicator": "upload.wikimedia.org", "seen.indicator_type": "Intel::DOMAIN"}
    assert hits_of(matcher, "intel", intel) == {
        ("seen.indicator", "upload.wikimedia.org", "upload.wikimedia.org")
    }


def test_the_indicator_is_rebuilt_whole_from_compact_storage() -> None:
    [original] = indicators_of(("ip-dst|port", "192.0.2.9|8443"))
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
    matcher = build_matcher(("ip-dst", "192.0.2.1"), ("domain", "evil.example"))
    record = LogRecord(
        log_type="dns", fields={"id.resp_h": "192.0.2.1", "query": "a.evil.example"}, raw=b"{}"
    )
    first = matcher.match(record)
    assert len(first) == 2 and all(matcher.match(record) == first for _ in range(3))
