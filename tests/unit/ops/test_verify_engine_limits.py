"""The engine-limits override: only services asking for more open files than the engine allows are lowered."""

from __future__ import annotations

from minisoc.ops.engine_limits import limits_override, requested_nofile


def test_requested_nofile_reads_both_compose_forms() -> None:
    document = {
        "services": {
            "opensearch": {"ulimits": {"nofile": {"soft": 65536, "hard": 65536}}},
            "zeek": {"ulimits": {"nofile": 4096}},
            "feedserver": {},
        }
    }
    assert requested_nofile(document) == {"opensearch": (65536, 65536), "zeek": (4096, 4096)}


def test_override_lowers_only_what_exceeds_the_engine() -> None:
    override = limits_override({"opensearch": (65536, 65536), "zeek": (4096, 4096)}, engine_limit=20000)
    assert override == {"services": {"opensearch": {"ulimits": {"nofile": {"soft": 20000, "hard": 20000}}}}}


def test_no_override_when_the_engine_allows_everything() -> None:
    assert limits_override({"opensearch": (65536, 65536)}, engine_limit=1048576) is None
