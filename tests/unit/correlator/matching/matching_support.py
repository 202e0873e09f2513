"""The matcher and indicators the matching-semantics tests build (test_match_semantics.py,
test_match_records.py)."""

from __future__ import annotations

from typing import Any

from minisoc.correlator import Indicator
from minisoc.correlator.intel.convert import LoadCounts, Provenance, indicators_for
from minisoc.correlator.matching import IndicatorIndex, Matcher

PROVENANCE = Provenance(
    source="unit",
    event_uuid="5f0c7a8e-0000-4000-8000-000000000001",
    event_info="unit event",
    tags=("tlp:clear",),
    threat_level=2,
)


def indicators_of(*typed: tuple[str, str]) -> list[Indicator]:
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


def build_matcher(*typed: tuple[str, str]) -> Matcher:
    return Matcher(IndicatorIndex.build(indicators_of(*typed)))


def hits_of(matcher: Matcher, log_type: str, fields: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(m.field, m.observed, m.indicator.value) for m in matcher.match_fields(log_type, fields)}
