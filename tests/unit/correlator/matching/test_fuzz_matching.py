"""Field values no Zeek writes but a crafted or corrupt log can hold never crash matching or alerting: NUL,
lone surrogates (TSV bytes that are not UTF-8), digits int() refuses ('²'), full-width digits, odd types.
Each crashed `minisoc hunt` once (ValueError out of inet_aton, int('²'))."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minisoc.correlator import Indicator, LogRecord
from minisoc.correlator.alerts import build_alerts
from minisoc.correlator.matching import IndicatorIndex, Matcher
from minisoc.correlator.matching import observables as obs

INDICATORS = [
    Indicator(value="10.0.0.2", kind="ip", type="ip-dst|port", source="s", port=80),
    Indicator(value="evil.example", kind="domain", type="domain", source="s"),
    Indicator(value="evil.example/x", kind="url", type="url", source="s"),
    Indicator(value="10.0.0.0/8", kind="cidr", type="ip-dst", source="s"),
    Indicator(value="2001:db8::/32", kind="cidr", type="ip-dst", source="s"),
    Indicator(value="a@evil.example", kind="email", type="email-src", source="s"),
]
PIECES = ["1", "0", ".", ":", "/", "[", "]", "%", "\x00", "\u00b2", "\uff11", "\u0663", "E", "-", "@", ",",
          "\\", " ", "\ud800", "\udcff", "\u00e9", "?", "#", "::", "10.0.0.2", "evil.example", "http://",
          "\n", "a@"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
VALUE = st.recursive(st.none() | st.integers(-5, 70_000) | st.booleans() | TEXT,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=2),
                     max_leaves=4)
LOG_TYPES = [*obs.PER_LOG_TYPE, "conn", "weird", "dns_red"]
MATCHER = Matcher(IndicatorIndex.build(INDICATORS))


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log_type=st.sampled_from(LOG_TYPES), data=st.data(), ts=st.sampled_from([1.5, None, 1e20, -1.0]))
def test_crafted_values_never_crash_matching_screening_or_alerting(
    log_type: str, data: st.DataObject, ts: float | None
) -> None:
    fields: dict[str, Any] = {name: data.draw(VALUE) for name in obs.fields_read(log_type)}
    fields["ts"] = ts
    found = MATCHER.match_fields(log_type, fields)
    raw = json.dumps(fields).encode("utf-8", "surrogatepass")
    build_alerts(LogRecord(log_type, fields, raw, "p", 0, ts), found, now=1.0)
    decode, _, check = MATCHER.screen_for(log_type)
    try:
        observed = decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):  # the scan refuses such a line as invalid_json
        return
    assert bool(check(observed)) == bool(found)
