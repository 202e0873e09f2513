"""The bulk (columns) load gives exactly the indicators of the Indicator path, on the real intel samples."""

from __future__ import annotations

from pathlib import Path

from minisoc.correlator import Indicator
from minisoc.correlator.hunt import load_hunt_columns, load_hunt_intel
from minisoc.correlator.intel import load_intel, load_intel_columns, load_warninglists
from minisoc.correlator.matching import IndicatorColumns, IndicatorIndex, Matcher


def _intel_specs(shared_data: Path) -> list[str]:
    feeds = sorted(str(p) for p in (shared_data / "misp/feeds").iterdir() if p.is_dir())
    events = sorted(str(p) for p in (shared_data / "misp/events").rglob("*.json"))
    intel = sorted(str(p) for p in (shared_data / "intel").rglob("*") if p.is_file())
    return feeds + events + intel


def test_columns_load_equals_indicator_load_on_every_sample(shared_data: Path) -> None:
    specs = _intel_specs(shared_data)
    assert len(specs) >= 10
    for spec in specs:
        loaded, bulk = load_intel([spec]), load_intel_columns([spec])
        assert bulk.columns.indicators() == loaded.indicators, spec
        assert (bulk.counts, bulk.sources) == (loaded.counts, loaded.sources), spec
    feed = load_intel_columns(specs[:1]).columns
    assert len(feed) > 100


def test_rows_give_back_exactly_the_indicator_appended() -> None:
    odd = [
        Indicator("10.0.0.0/8", "cidr", "ip-dst", "s", timestamp=0, port=None, comment=""),
        Indicator("a.example", "domain", "domain", "s", attribute_uuid="NOT-A-UUID", tags=("x",), port=53),
        Indicator("a.example", "hostname", "hostname", "t",
                  attribute_uuid="6f1ac7c7-52d5-4f4e-8f4e-2b6a3cb1f2a1", timestamp=1_700_000_000,
                  threat_level=1, event_uuid="e", event_info="i", reference="r"),
    ]
    columns = IndicatorColumns.from_indicators(odd)
    assert columns.indicators() == odd
    assert columns.select([2, 0]).indicators() == [odd[2], odd[0]]
    assert columns.count_by_type() == {"ip-dst": 1, "domain": 1, "hostname": 1}


def test_index_from_columns_matches_like_index_from_indicators(shared_data: Path) -> None:
    spec = _intel_specs(shared_data)[0]
    indicators = load_intel([spec]).indicators
    by_columns = Matcher(IndicatorIndex.from_columns(load_intel_columns([spec]).columns))
    by_indicators = Matcher(IndicatorIndex.build(indicators))
    probes = 0
    for indicator in indicators[:300]:
        field = {"ip": "id.resp_h", "domain": "query", "hostname": "query"}.get(indicator.kind)
        if field is None:
            continue
        fields = {field: indicator.value, "id.resp_p": indicator.port or 0}
        found = by_columns.match_fields("dns", fields)
        assert found and found == by_indicators.match_fields("dns", fields)
        probes += 1
    assert probes > 10


def test_warninglists_suppress_the_same_rows_in_columns(shared_data: Path) -> None:
    specs = _intel_specs(shared_data)
    lists = [str(shared_data / "misp/warninglists")]
    columns, summary = load_hunt_columns(specs, lists)
    indicators = load_intel(specs).indicators
    kept, suppressed = load_warninglists(lists).partition(indicators)
    assert columns.indicators() == kept and summary.suppressed == len(suppressed) > 0
    assert load_hunt_intel(specs, lists)[0] == kept
    assert summary.by_type == {t: sum(1 for i in kept if i.type == t) for t in {i.type for i in kept}}


def test_attribute_uuids_come_back_exactly_whatever_their_spelling() -> None:
    other = "0b5e2f9c-1d3a-4c6e-9f8a-7b2c4d6e8f0a"
    spellings = [
        ["6f1ac7c7-52d5-4f4e-8f4e-2b6a3cb1f2a1", other],  # canonical: the fast path
        ["6F1AC7C7-52D5-4F4E-8F4E-2B6A3CB1F2A1", other],  # upper case: kept as text
        ["6f1ac7c7552d5-4f4e-8f4e-2b6a3cb1f2a1", other],  # a hyphen missing
        ["12345678-1234-1234-1234-123456789012", other[:-1] + "g"],  # digits only; not hex
        ["6f1ac7c7-52d5-4f4e-8f4e-2b6a3cb1f2a1", None],
    ]
    for uuids in spellings:
        indicators = [Indicator(f"h{n}.example", "hostname", "hostname", "s", attribute_uuid=u)
                      for n, u in enumerate(uuids)]
        matcher = Matcher(IndicatorIndex.build(indicators))
        for indicator in indicators:
            (match,) = matcher.match_fields("dns", {"query": indicator.value})
            assert match.indicator == indicator, uuids
