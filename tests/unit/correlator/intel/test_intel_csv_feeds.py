"""Real CSV intel feeds (tests/data/intel-csv, provenance in its MANIFEST.md) load as `minisoc hunt --intel`
reads them: the value column found from a header (also a commented one) or from the values, types given by a
type column, MISP's to_ids honoured; a file with no recognisable indicator is still refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from minisoc.correlator import Indicator, model
from minisoc.correlator.intel import load_intel
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.errors import IntelError

FEEDS = Path(__file__).resolve().parents[3] / "data" / "intel-csv"


def _loaded(name: str | Path) -> tuple[list[Indicator], LoadCounts]:
    """What `minisoc hunt --intel` loads from a file of tests/data/intel-csv (or from a path)."""
    loaded = load_intel([str(FEEDS / name)])
    return loaded.indicators, loaded.counts


def test_urlhaus_dump_reads_the_url_column_named_by_its_commented_header() -> None:
    indicators, counts = _loaded("urlhaus_recent.csv")
    assert [(i.kind, i.value) for i in indicators] == [
        (model.KIND_URL, "94.122.77.235:32794/Mozi.m"), (model.KIND_URL, "61.52.236.225:34611/Mozi.m"),
        (model.KIND_URL, "182.121.210.95:37153/bin.sh"), (model.KIND_URL, "83.224.148.25:53456/Mozi.a")]
    assert not counts.invalid  # the urlhaus_link column (also URLs) is not read


def test_feodo_blocklist_reads_dst_ip_from_a_commented_header_and_ignores_the_port() -> None:
    indicators, counts = _loaded("feodo_ipblocklist.csv")
    assert [(i.kind, i.type, i.value, i.port) for i in indicators] == [
        (model.KIND_IP, "ip-dst", "185.220.101.5", None), (model.KIND_IP, "ip-dst", "91.240.118.172", None)]
    assert not counts.invalid


def test_feodo_blocklist_as_served_reads_dst_ip_from_its_quoted_header_line() -> None:
    indicators, counts = _loaded("feodo_ipblocklist_2021.csv")  # `#` banner, quoted header, CRLF
    assert [i.value for i in indicators] == ["67.213.75.205", "51.178.161.32", "162.144.127.197"]
    assert not counts.invalid


def test_headerless_tweetfeed_csv_reads_the_value_column_with_the_type_its_type_column_gives() -> None:
    indicators, counts = _loaded("tweetfeed_20210809_head.csv")  # date,user,type,value,tags,tweet
    assert [(i.type, i.kind, i.value) for i in indicators] == [
        ("url", model.KIND_URL, "www.cmdc-oacb.com/"), ("url", model.KIND_URL, "www.smdo-oacd.com/"),
        ("ip-dst", model.KIND_IP, "155.235.250.137"), ("ip-dst", model.KIND_IP, "155.235.250.138"),
        ("sha256", model.KIND_SHA256, "6329aa125210dc09c24ed35bec3673b8a54322fc136838e3b36eebddcb33c694")]
    assert not counts.invalid  # the tweet column holds URLs too, but only in the url rows


def test_a_type_column_type_we_do_not_match_is_counted_unsupported_not_guessed(tmp_path: Path) -> None:
    rows = (FEEDS / "tweetfeed_20210809_head.csv").read_text().splitlines()
    path = tmp_path / "tweetfeed.csv"
    path.write_text("\n".join([*rows, rows[-1].replace(",sha256,", ",vulnerability,")]) + "\n")
    indicators, counts = _loaded(path)
    assert len(indicators) == 5 and counts.unsupported == {"vulnerability": 1}


def test_a_csv_with_no_indicator_in_any_column_is_refused_with_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "status.csv"
    path.write_text("".join(line.split(",")[0] + ",online\n" for line in
                            (FEEDS / "tweetfeed_20210809_head.csv").read_text().splitlines()))
    with pytest.raises(IntelError) as raised:
        load_intel([str(path)])
    [line] = raised.value.lines()
    assert line.startswith(f"{path}: no indicator recognised") and "CSV whose header names" in line


def test_misp_csv_export_loads_only_to_ids_rows_as_misp_json_does() -> None:
    indicators, counts = _loaded("misp_export_to_ids0.csv")
    assert [(i.type, i.value, i.port) for i in indicators] == [
        ("ip-dst|port", "10.18.20.8", 53), ("domain", "msftncsi.com", None)]
    assert counts.not_for_ids == 1  # www.bing.com, to_ids 0
