"""Real CSV intel feeds (tests/data/intel-csv, provenance in its MANIFEST.md) load as `minisoc hunt --intel`
reads them: the value column found from a header (also a commented one) or from the values, types given by a
type column, MISP's to_ids honoured; a file with no recognisable indicator is still refused."""

from __future__ import annotations

from pathlib import Path

from minisoc.correlator import model
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.intel.load import load_intel
from minisoc.correlator.model import Indicator

FEEDS = Path(__file__).resolve().parents[1] / "data" / "intel-csv"


def _loaded(name: str) -> tuple[list[Indicator], LoadCounts]:
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
