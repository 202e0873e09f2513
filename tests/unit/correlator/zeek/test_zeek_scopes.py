"""Zeek logs written with `Log::default_scope_sep = "_"` (`id_orig_h`), or re-serialised with nested objects
(`"id": {"orig_h": ...}`): read back under Zeek's dotted names, so they are matched like any other log. They
once matched nothing, silently."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from minisoc.correlator import Alert, Indicator
from minisoc.correlator.hunt import hunt_logs
from minisoc.correlator.matching import IndicatorIndex, Matcher
from minisoc.correlator.zeek import ReadStats, read_logs
from minisoc.correlator.zeek.scopes import DOTTED_BY_UNDERSCORED, flattened_fields

INDICATORS = [Indicator(value="54.230.86.87", kind="ip", type="ip-dst", source="t"),  # the TSV sample
              Indicator(value="10.18.20.8", kind="ip", type="ip-dst", source="t")]  # the JSON sample


def underscored_json(line: bytes) -> bytes:
    return json.dumps({key.replace(".", "_"): value for key, value in json.loads(line).items()}).encode()


def nested_json(line: bytes) -> bytes:
    nested: dict[str, Any] = {}
    for key, value in json.loads(line).items():
        *scopes, name = key.split(".")
        inner = nested
        for scope in scopes:
            inner = inner.setdefault(scope, {})
        inner[name] = value
    return json.dumps(nested).encode()


def underscored_tsv(line: bytes) -> bytes:
    return line.replace(b"id.", b"id_") if line.startswith(b"#fields") else line


def seen(alerts: list[Alert]) -> list[tuple[str, str, str]]:
    return [(alert.doc["event"]["dataset"], enrichment["matched"]["field"], enrichment["matched"]["atomic"])
            for alert in alerts for enrichment in alert.doc["threat"]["enrichments"]]


@pytest.mark.parametrize(("sample", "rewrite"), [("json/zat/conn.log", underscored_json),
                                                 ("tsv/zat/conn.log", underscored_tsv),
                                                 ("json/zat/conn.log", nested_json)])
def test_a_log_with_underscore_scopes_reads_and_matches_like_the_dotted_one(
    shared_data: Path, tmp_path: Path, sample: str, rewrite: object
) -> None:
    original = shared_data / "zeek" / sample
    lines = original.read_bytes().splitlines()
    rewritten = tmp_path / "conn.log"
    rewritten.write_bytes(b"".join(rewrite(line) + b"\n" for line in lines))  # type: ignore[operator]
    assert b"id_orig_h" in rewritten.read_bytes() or b'"id": {"orig_h"' in rewritten.read_bytes()
    plain = [record.fields for record in read_logs([original])]
    assert [record.fields for record in read_logs([rewritten])] == plain
    matcher = Matcher(IndicatorIndex.build(INDICATORS))
    expected = seen(hunt_logs([original], matcher, stats=ReadStats(), site=None, now=0.0))
    found = hunt_logs([rewritten], matcher, stats=ReadStats(), site=None, now=0.0)
    assert expected and seen(found) == expected
    alert = found[0]
    assert alert.doc["destination"]["ip"] in ("54.230.86.87", "10.18.20.8")
    assert alert.doc["source"]["port"] > 0


def test_the_first_record_decides_even_after_a_malformed_line(tmp_path: Path) -> None:
    record = {"ts": 1.5, "uid": "C1", "id_orig_h": "192.168.0.1", "id_resp_h": "10.18.20.8", "proto": "tcp"}
    log = tmp_path / "conn.log"
    log.write_text('{"ts": broken\n' + "\n".join(json.dumps(record) for _ in range(3)) + "\n")
    stats = ReadStats()
    alerts = hunt_logs([log], Matcher(IndicatorIndex.build(INDICATORS)), stats=stats, site=None, now=0.0)
    # three byte-identical records of one connection: one alert (docs/alerts.md)
    assert len(alerts) == 1 and stats.malformed_total == 1
    assert alerts[0].doc["destination"]["ip"] == "10.18.20.8"


def test_zeeks_own_underscore_names_are_left_alone() -> None:
    assert "seen_bytes" not in DOTTED_BY_UNDERSCORED and "orig_ip_bytes" not in DOTTED_BY_UNDERSCORED
    assert DOTTED_BY_UNDERSCORED["id_orig_h"] == "id.orig_h" and DOTTED_BY_UNDERSCORED["san_dns"] == "san.dns"


def test_nested_x509_records_are_matched_on_their_san_and_subject(shared_data: Path, tmp_path: Path) -> None:
    original = shared_data / "zeek" / "json" / "zat" / "x509.log"
    nested = tmp_path / "x509.log"
    nested.write_bytes(b"".join(nested_json(line) + b"\n" for line in original.read_bytes().splitlines()))
    assert b'"san": {"dns"' in nested.read_bytes() and b'"certificate": {"version"' in nested.read_bytes()
    assert [r.fields for r in read_logs([nested])] == [r.fields for r in read_logs([original])]


def test_an_explicit_dotted_key_wins_over_a_nested_one() -> None:
    assert flattened_fields({"id.orig_h": "a", "id": {"orig_h": "b", "resp_h": "c"}, "n": 1}) == {
        "id.orig_h": "a", "n": 1, "id.resp_h": "c"}
