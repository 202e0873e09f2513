"""The Zeek intel export's budget (sensor.zeek_intel.max_items): at most that many items, chosen by policy,
the header saying how many were left out and why; rendered from the profile into correlator.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from minisoc.correlator.export import ExportBudget, export_zeek_intel, render_zeek_intel
from minisoc.correlator.model import KIND_DOMAIN, KIND_FILENAME, KIND_IP, KIND_URL, Indicator
from minisoc.render import render_site
from render_support import fixed_secret, site_from_template


def indicator(
    value: str, kind: str = KIND_IP, *, level: int | None = None, ts: int | None = None
) -> Indicator:
    return Indicator(value=value, kind=kind, type="ip-dst", source="feed", threat_level=level, timestamp=ts)


INDICATORS = [
    indicator("192.0.2.1", level=4, ts=300),
    indicator("192.0.2.2", level=1, ts=100),
    indicator("192.0.2.3", level=2, ts=200),
    indicator("192.0.2.4", ts=400),  # no threat level: undefined
    indicator("evil.example/x.php", KIND_URL, level=3, ts=50),
    indicator("invoice.exe", KIND_FILENAME, level=3, ts=10),
]


def values(text: str) -> list[str]:
    return [line.split("\t")[0] for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize(
    ("policy", "kept"),
    [
        ("threat_level", {"192.0.2.2", "192.0.2.3", "evil.example/x.php"}),  # levels 1, 2, then 3 newest
        ("newest", {"192.0.2.4", "192.0.2.1", "192.0.2.3"}),
        ("zeek_only_types", {"evil.example/x.php", "invoice.exe", "192.0.2.2"}),
    ],
)
def test_over_budget_the_policy_picks_who_stays(policy: str, kept: set[str]) -> None:
    text, result = render_zeek_intel(INDICATORS, ExportBudget(3, policy))  # type: ignore[arg-type]
    assert set(values(text)) == kept
    assert result.written == 3 and result.left_out == 3
    assert (f"# Budget: 3 of 6 items written, 3 left out (sensor.zeek_intel.max_items=3, policy={policy})"
            in text)


def test_within_budget_nothing_is_left_out_and_the_header_says_nothing_of_it() -> None:
    text, result = render_zeek_intel(INDICATORS, ExportBudget(6))
    assert len(values(text)) == 6 and result.left_out == 0 and "Budget" not in text
    assert render_zeek_intel(INDICATORS)[0] == text  # no budget: the same file


def test_a_line_shared_by_two_indicators_ranks_as_its_best_one() -> None:
    twice = [indicator("192.0.2.9", level=4, ts=1), indicator("192.0.2.9", level=1, ts=1),
             indicator("192.0.2.8", level=2, ts=1)]
    text, result = render_zeek_intel(twice, ExportBudget(1))
    assert values(text) == ["192.0.2.9"] and result.left_out == 1


def test_a_zero_budget_writes_a_valid_empty_file(tmp_path: Path) -> None:
    result = export_zeek_intel(INDICATORS, tmp_path / "minisoc.intel", ExportBudget(0))
    text = (tmp_path / "minisoc.intel").read_text()
    assert result.written == 0 and result.left_out == 6 and values(text) == [] and "#fields\t" in text


def test_the_profile_budget_reaches_the_correlator(tmp_path: Path) -> None:
    site, profile = site_from_template(tmp_path, "small-site", "sensor.zeek_intel.max_items=5000",
                                       "sensor.zeek_intel.policy=newest")
    render_site(site, profile, secrets=fixed_secret)
    config = yaml.safe_load((site / "config" / "correlator" / "correlator.yaml").read_text())
    assert config["export"]["max_items"] == 5000 and config["export"]["policy"] == "newest"


def test_a_domain_keeps_its_exactness_note_with_a_budget() -> None:
    text, _ = render_zeek_intel([indicator("evil.example", KIND_DOMAIN, level=1)], ExportBudget(10))
    assert "Intel::DOMAIN is an exact name in Zeek" in text


def test_the_profile_and_the_config_offer_exactly_the_policies_the_export_knows() -> None:
    from typing import get_args

    from minisoc.correlator.config import ExportConfig
    from minisoc.correlator.export import BUDGET_POLICIES
    from minisoc.profile.model import ZeekIntel

    assert get_args(ZeekIntel.model_fields["policy"].annotation) == BUDGET_POLICIES
    assert get_args(ExportConfig.model_fields["policy"].annotation) == BUDGET_POLICIES
