"""Property: the fast matcher finds exactly what a naive brute-force reference finds.

The reference, written here, compares every observable with every indicator one by one using `ipaddress`
networks and plain string rules, so it shares no code path with the index (hashes, buckets, bitmaps, /24
block filter, memo) it checks.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from minisoc.correlator import Indicator, model
from minisoc.correlator.matching import IndicatorIndex, Matcher
from minisoc.correlator.matching.observables import PER_LOG_TYPE

LABELS = st.sampled_from(["a", "b", "evil", "example", "xn--bcher-kva", "c2", "www", "net"])
NAMES = st.lists(LABELS, min_size=1, max_size=4).map(".".join)
V4 = st.builds(
    lambda a, b, c, d: f"{a}.{b}.{c}.{d}",
    st.sampled_from([10, 192, 198]),
    st.integers(0, 3),
    st.integers(0, 3),
    st.integers(0, 255),
)
V6 = st.builds(lambda a, b: f"2001:db8:{a:x}::{b:x}", st.integers(0, 3), st.integers(0, 0xFFFF))
ADDRESSES = st.one_of(V4, V6)
PORTS = st.sampled_from([0, 80, 443])
# Fields of a log type read as an address (with their port field), and as a host name, besides the
# connection's (see the reference)
ADDRESS_FIELDS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "dhcp": tuple((field, None) for field in ("client_addr", "server_addr", "assigned_addr", "requested_addr",
                                              "assigned_ip")),
    "known_hosts": (("host", None),),
    "known_services": (("host", "port_num"),),
    "software": (("host", "host_p"),),
}
NAME_FIELDS = {"dhcp": ("host_name", "client_fqdn", "domain")}
ADDRESS_LIST_FIELDS = {"smtp": ("path",)}  # a JSON list, or `a,b` text as a TSV reader may give it


@st.composite
def indicators(draw: st.DrawFn) -> Indicator:
    choice = draw(st.sampled_from(["ip", "cidr", "domain", "hostname", "md5", "x509-md5"]))
    port = None
    if choice == "ip":
        value = str(ipaddress.ip_address(draw(ADDRESSES)))
        port = draw(PORTS) or None
    elif choice == "cidr":
        address = ipaddress.ip_address(draw(ADDRESSES))
        length = draw(st.integers(8, 31) if address.version == 4 else st.integers(16, 127))
        value = str(ipaddress.ip_network(f"{address}/{length}", strict=False))
    elif choice in ("md5", "x509-md5"):
        value = draw(st.sampled_from(["0" * 32, "a" * 32, "0123456789abcdef" * 2]))
    else:
        value = draw(NAMES)
    return Indicator(value=value, kind=choice, type="t", source="s", port=port)


@st.composite
def records(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    log_type = draw(st.sampled_from(["conn", "dns", "files", *ADDRESS_FIELDS, *ADDRESS_LIST_FIELDS]))
    fields: dict[str, Any] = {
        "id.orig_h": draw(ADDRESSES),
        "id.resp_h": draw(ADDRESSES),
        "id.orig_p": draw(PORTS),
        "id.resp_p": draw(PORTS),
    }
    if log_type == "dns":
        query = draw(NAMES)
        fields["query"] = draw(st.sampled_from([query, query.upper(), query + "."]))
        fields["answers"] = draw(st.lists(st.one_of(ADDRESSES, NAMES), max_size=3))
    if log_type == "files":
        fields["md5"] = draw(st.sampled_from(["0" * 32, "A" * 32, "f" * 32]))
    for field, port_field in ADDRESS_FIELDS.get(log_type, ()):
        if draw(st.booleans()):
            fields[field] = draw(ADDRESSES)
        if port_field and draw(st.booleans()):
            fields[port_field] = draw(PORTS)
    for field in NAME_FIELDS.get(log_type, ()):
        if draw(st.booleans()):
            fields[field] = draw(NAMES)
    for field in ADDRESS_LIST_FIELDS.get(log_type, ()):
        addresses = draw(st.lists(ADDRESSES, max_size=4))
        fields[field] = ",".join(addresses) if draw(st.booleans()) else addresses
    return log_type, fields


def _reference(
    indicators: list[Indicator], log_type: str, fields: dict[str, Any]
) -> set[tuple[str, str, str]]:
    """Brute force: every (field, value) against every indicator."""
    observations: list[tuple[str, str, int]] = [
        ("id.orig_h", fields["id.orig_h"], fields["id.orig_p"]),
        ("id.resp_h", fields["id.resp_h"], fields["id.resp_p"]),
    ]
    if log_type == "dns":
        observations.append(("query", fields["query"], 0))
        observations += [("answers", answer, 0) for answer in fields["answers"]]
    if log_type == "files":
        observations.append(("md5", fields["md5"], 0))
    for field, port_field in ADDRESS_FIELDS.get(log_type, ()):
        if field in fields:
            observations.append((field, fields[field], fields.get(port_field or "", 0)))
    observations += [(field, fields[field], 0) for field in NAME_FIELDS.get(log_type, ()) if field in fields]
    for field in ADDRESS_LIST_FIELDS.get(log_type, ()):
        given = fields[field]
        addresses = given.split(",") if isinstance(given, str) else given
        observations += [(field, address, 0) for address in addresses if address]
    found: set[tuple[str, str, str]] = set()
    for field, observed, port in observations:
        try:
            address: Any = ipaddress.ip_address(observed)
        except ValueError:
            address = None
        name = observed.lower().rstrip(".")
        for indicator in indicators:
            if indicator.kind == model.KIND_IP and address is not None:
                hit = address == ipaddress.ip_address(indicator.value) and indicator.port in (None, port)
            elif indicator.kind == model.KIND_CIDR and address is not None:
                network = ipaddress.ip_network(indicator.value)
                hit = address.version == network.version and address in network
            elif indicator.kind == model.KIND_DOMAIN and address is None and field != "md5":
                hit = name == indicator.value or name.endswith("." + indicator.value)
            elif indicator.kind == model.KIND_HOSTNAME and address is None and field != "md5":
                hit = name == indicator.value
            elif indicator.kind in (model.KIND_MD5, model.KIND_X509_MD5) and field == "md5":
                # a certificate is a file too: its md5 is its fingerprint
                hit = observed.lower() == indicator.value
            else:
                hit = False
            if hit:
                found.add((field, observed, indicator.value))
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(indicators(), max_size=40), st.lists(records(), min_size=1, max_size=8))
def test_fast_matcher_equals_brute_force(indicator_list: list[Indicator], record_list: list[Any]) -> None:
    matcher = Matcher(IndicatorIndex.build(indicator_list))
    for _ in range(2):  # the second pass goes through the matcher's memo of clean values
        for log_type, fields in record_list:
            expected = _reference(indicator_list, log_type, fields)
            fast = {(m.field, m.observed, m.indicator.value) for m in matcher.match_fields(log_type, fields)}
            assert fast == expected
            decode, _, match = matcher.screen_for(log_type)  # the hunt's path: only the fields it reads
            screened = match(decode(json.dumps(fields).encode()))
            assert {(m.field, m.observed, m.indicator.value) for m in screened} == expected


ODD_VALUES = st.one_of(
    st.none(), st.integers(-1, 70000), st.sampled_from(["", "-", "(empty)", " ", "a b", "CN=evil.example"]),
    NAMES, ADDRESSES, st.lists(st.one_of(NAMES, ADDRESSES, st.integers(), st.none()), max_size=3),
    st.dictionaries(st.sampled_from(["k"]), st.integers(), max_size=1),
)
SCREENED_TYPES = [*PER_LOG_TYPE, "weird"]  # every log type with observables of its own, and one without


@st.composite
def odd_records(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """Any log type, any of the fields matching reads, each with a value of any JSON shape."""
    from minisoc.correlator.matching.observables import fields_read

    log_type = draw(st.sampled_from(SCREENED_TYPES))
    names = draw(st.lists(st.sampled_from(fields_read(log_type)), unique=True))
    fields = {name: draw(ODD_VALUES) for name in names}
    if "seen.indicator_type" in fields:
        fields["seen.indicator_type"] = draw(st.sampled_from(["Intel::ADDR", "Intel::DOMAIN", "Intel::URL"]))
    if "uri" in fields:
        fields["uri"] = draw(st.sampled_from(["/", "/a?b=1", "/x", "http://evil.example/x", "-", 3]))
    if "host" in fields and draw(st.booleans()):
        fields["host"] = draw(st.sampled_from(["evil.example", "a.b:80", "EVIL.example."]))
    return log_type, fields


URL_VALUES = ["evil.example/x", "evil.example/a", "a.b/a"]
ODD_INDICATORS = st.one_of(
    indicators(),
    st.builds(lambda value: Indicator(value=value, kind="url", type="url", source="s"),
              st.sampled_from(URL_VALUES)),
    st.builds(lambda value: Indicator(value=value, kind="user-agent", type="user-agent", source="s"), NAMES),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(ODD_INDICATORS, max_size=30), st.lists(odd_records(), min_size=1, max_size=10))
def test_screened_match_equals_match_fields_for_any_field_shapes(
    indicator_list: list[Indicator], record_list: list[Any]
) -> None:
    """The screen (Struct decode + generated check + the same observers) answers as match_fields does,
    whatever the values' JSON types, for every log type, with the memo cold and warm."""
    by_fields, by_screen = Matcher(IndicatorIndex.build(indicator_list)), Matcher(IndicatorIndex.build(
        indicator_list))
    for _ in range(2):
        for log_type, fields in record_list:
            decode, decode_lines, match = by_screen.screen_for(log_type)
            line = json.dumps(fields).encode()
            expected = by_fields.match_fields(log_type, fields)
            assert match(decode(line)) == expected
            assert [match(value) for value in decode_lines(line + b"\n" + line)] == [expected, expected]


def test_screen_matches_a_field_that_is_never_memoised_when_all_others_are_known_clean() -> None:
    """An HTTP uri (its match depends on the host too) is checked even when every other field is known
    clean: the generated check must not skip it on the second sight of the same host."""
    matcher = Matcher(IndicatorIndex.build([Indicator(value="evil.example/x", kind="url", type="url",
                                                      source="s")]))
    decode, _, match = matcher.screen_for("http")
    for uri in ("/y", "/x", "/x"):  # the first sight of the host makes it known clean (as a Host header)
        fields = {"host": "evil.example", "uri": uri, "id.orig_h": "10.0.0.1", "user_agent": "curl"}
        screened = match(decode(json.dumps(fields).encode()))
        assert screened == matcher.match_fields("http", fields)
        assert [m.indicator.value for m in screened] == (["evil.example/x"] if uri == "/x" else [])
