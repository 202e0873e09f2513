"""Canonical spelling per indicator kind: what the index stores and what the logs are looked up with."""

from __future__ import annotations

import pytest

from minisoc.correlator import model
from minisoc.correlator.intel.convert import LoadCounts, Provenance, indicators_for
from minisoc.correlator.values import canonicalise, guess_kind


@pytest.mark.parametrize(("kind", "given", "expected"), [
    (model.KIND_IP, " 192.0.2.1 ", "192.0.2.1"),
    (model.KIND_IP, "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    (model.KIND_IP, "::ffff:192.0.2.7", "192.0.2.7"),
    (model.KIND_IP, "[2001:db8::2]", "2001:db8::2"),
    (model.KIND_CIDR, "10.1.2.3/8", "10.0.0.0/8"),
    (model.KIND_CIDR, "2001:db8::1/32", "2001:db8::/32"),
    (model.KIND_DOMAIN, "WWW.Example.COM.", "www.example.com"),
    (model.KIND_DOMAIN, "xn--bcher-kva.example", "xn--bcher-kva.example"),
    (model.KIND_DOMAIN, "bücher.example", "xn--bcher-kva.example"),
    (model.KIND_URL, "HTTP://Evil.Example:80/a/B?x=1#frag", "evil.example/a/B?x=1"),
    (model.KIND_URL, "https://evil.example:443", "evil.example/"),
    (model.KIND_URL, "https://evil.example:8443/p", "evil.example:8443/p"),
    (model.KIND_URL, "evil.example/path", "evil.example/path"),
    (model.KIND_URL, "http://user:pw@evil.example/x", "evil.example/x"),
    (model.KIND_MD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
    (model.KIND_X509_SHA1, "AB:CD:" + "00:" * 17 + "EF", "abcd" + "00" * 17 + "ef"),
    (model.KIND_EMAIL, "Bad Guy <Bad.Guy@Example.ORG>", "bad.guy@example.org"),
    (model.KIND_USER_AGENT, " Mozilla/5.0 (X) ", "Mozilla/5.0 (X)"),
    (model.KIND_JA4, "t13d1516h2_8daaf6152771_02713d6af862", "t13d1516h2_8daaf6152771_02713d6af862"),
])
def test_canonical_values(kind: str, given: str, expected: str) -> None:
    result = canonicalise(kind, given)
    assert result is not None and result[1] == expected


def test_a_single_address_cidr_becomes_an_exact_ip() -> None:
    assert canonicalise(model.KIND_CIDR, "192.0.2.9/32") == (model.KIND_IP, "192.0.2.9")
    assert canonicalise(model.KIND_CIDR, "2001:db8::9/128") == (model.KIND_IP, "2001:db8::9")


@pytest.mark.parametrize(("kind", "given"), [
    (model.KIND_IP, "256.1.1.1"), (model.KIND_IP, "01.2.3.4"), (model.KIND_IP, "evil.example"),
    (model.KIND_CIDR, "10.0.0.0/33"), (model.KIND_CIDR, "10.0.0.0/x"), (model.KIND_DOMAIN, "a..b"),
    (model.KIND_DOMAIN, "bad name.example"), (model.KIND_DOMAIN, "x" * 300), (model.KIND_URL, "http://a b/c"),
    (model.KIND_MD5, "d41d8cd98f00b204e9800998ecf8427"), (model.KIND_SHA256, "z" * 64),
    (model.KIND_MD5, "0x1d8cd98f00b204e9800998ecf8427e"), (model.KIND_EMAIL, "not-an-email"),
])
def test_invalid_values_are_rejected(kind: str, given: str) -> None:
    assert canonicalise(kind, given) is None


def test_invalid_values_and_unsupported_types_are_counted_not_raised() -> None:
    counts = LoadCounts()
    provenance = Provenance(source="s")
    assert indicators_for("ip-dst", "999.1.1.1", provenance, counts) == []
    assert indicators_for("regkey", "HKLM\\x", provenance, counts) == []
    assert indicators_for("ip-dst|port", "1.2.3.4|notaport", provenance, counts) == []
    assert counts.invalid == {"ip-dst": 1, "ip-dst|port": 1} and counts.unsupported == {"regkey": 1}


def test_composite_types() -> None:
    provenance = Provenance(source="s")
    both = indicators_for("domain|ip", "Evil.Example|192.0.2.1", provenance, LoadCounts())
    assert {(i.kind, i.value) for i in both} == {("domain", "evil.example"), ("ip", "192.0.2.1")}
    [with_port] = indicators_for("ip-dst|port", "192.0.2.1|8443", provenance, LoadCounts())
    assert (with_port.kind, with_port.value, with_port.port) == ("ip", "192.0.2.1", 8443)
    [host_port] = indicators_for("hostname|port", "c2.example|443", provenance, LoadCounts())
    assert (host_port.kind, host_port.port) == ("hostname", 443)
    [file_hash] = indicators_for("filename|sha256", "x.exe|" + "A" * 64, provenance, LoadCounts())
    assert (file_hash.kind, file_hash.value) == ("sha256", "a" * 64)
    assert indicators_for("link", "https://blog.example/post", provenance, LoadCounts()) == []


@pytest.mark.parametrize(("value", "kind"), [
    ("192.0.2.1", "ip"), ("2001:db8::1", "ip"), ("10.0.0.0/8", "cidr"), ("evil.example", "domain"),
    ("http://evil.example/x", "url"), ("evil.example/x", "url"), ("a@b.example", "email"),
    ("d41d8cd98f00b204e9800998ecf8427e", "md5"), ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1"),
    ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256"), ("justaword", None),
])
def test_guess_kind_from_shape(value: str, kind: str | None) -> None:
    assert guess_kind(value) == kind
