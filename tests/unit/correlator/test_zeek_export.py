"""The Zeek intel export as Zeek 8's intel framework reads it (input/readers/ascii, base/frameworks/intel)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from minisoc.correlator import Indicator, export
from minisoc.correlator.intel import read_intel_file
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.intel.zeek_intel import parse_zeek_intel

# Intel::Type of base/frameworks/intel/main.zeek plus the values files.zeek adds (FILE_HASH, FILE_NAME)
ZEEK_INTEL_TYPES = {
    "Intel::ADDR", "Intel::SUBNET", "Intel::URL", "Intel::SOFTWARE", "Intel::EMAIL", "Intel::DOMAIN",
    "Intel::USER_NAME", "Intel::CERT_HASH", "Intel::PUBKEY_HASH", "Intel::FILE_HASH", "Intel::FILE_NAME",
}
NOT_OPTIONAL = ("indicator", "indicator_type", "meta.source")  # Intel::Item/MetaData fields without &optional


def zeek_reader_rows(text: str) -> list[dict[str, str]]:
    """The rows Zeek's ASCII input reader would send, failing on anything it would drop or refuse.

    Its rules: empty lines and lines starting `#` are skipped, except `#fields<TAB>` which names the
    columns; a requested column missing from the header is fatal; `-` is unset; a row with fewer cells
    than a requested position, or an unset non-optional field, is dropped with a warning."""
    fields: list[str] | None = None
    rows: list[dict[str, str]] = []
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#fields\t"):
                assert fields is None, "a second #fields header"
                fields = line[len("#fields\t"):].split("\t")
            continue
        assert fields is not None, f"data before #fields: {line!r}"
        cells = line.split("\t")
        assert len(cells) == len(fields), f"cell count of {line!r}"
        row = dict(zip(fields, cells, strict=True))
        for name in NOT_OPTIONAL:
            assert row[name] not in ("-", ""), f"{name} unset in {line!r}"
        assert row["indicator_type"] in ZEEK_INTEL_TYPES, line
        assert row["meta.do_notice"] in ("T", "F"), line
        assert "(empty)" not in cells, line
        rows.append(row)
    assert fields is not None and set(export.FIELDS) <= set(fields)
    return rows


def _read(path: Path) -> list[Indicator]:
    return read_intel_file(path, LoadCounts())


@pytest.mark.parametrize("name", ["zeek-doc/donotice.intel", "zat/intel_example.intel"])
def test_export_of_a_zeek_intel_file_reads_back_under_zeek_rules(shared_data: Path, name: str) -> None:
    source = shared_data / "intel" / name
    indicators = _read(source)
    text, result = export.render_zeek_intel(indicators)
    rows = zeek_reader_rows(text)
    assert len(rows) == result.written == len({(i.value, i.kind) for i in indicators})
    original = {line.split("\t")[0].lower(): line.split("\t")[2]
                for line in source.read_text().splitlines() if line and not line.startswith("#")}
    # meta.source is the line's own source (source1, CPS-CTI), not the file's name
    assert {row["indicator"]: row["meta.source"] for row in rows} == original


def test_do_notice_and_meta_source_survive_the_export() -> None:
    text = (
        "#fields\tindicator\tindicator_type\tmeta.source\tmeta.do_notice\tmeta.desc\n"
        "198.51.100.7\tIntel::ADDR\tpartner-cti\tT\tc2\n"
        "bad.example\tIntel::DOMAIN\tpartner-cti\tF\tphish\n"
    )
    indicators = parse_zeek_intel(text, "partner.intel", LoadCounts())
    rows = {row["indicator"]: row for row in zeek_reader_rows(export.render_zeek_intel(indicators)[0])}
    assert rows["198.51.100.7"]["meta.do_notice"] == "T"
    assert rows["bad.example"]["meta.do_notice"] == "F"
    assert {row["meta.source"] for row in rows.values()} == {"partner-cti"}


def test_misp_indicators_keep_their_provider_as_meta_source() -> None:
    indicator = Indicator(value="203.0.113.9", kind="ip", type="ip-dst", source="misp-local", event_info="x")
    (row,) = zeek_reader_rows(export.render_zeek_intel([indicator])[0])
    assert (row["meta.source"], row["meta.desc"], row["meta.do_notice"]) == ("misp-local", "x", "F")


def test_header_says_domains_are_exact_in_zeek_and_minisoc_is_the_authority() -> None:
    text, _ = export.render_zeek_intel([])
    comments = [line for line in text.splitlines() if line.startswith("#") and not line.startswith("#fields")]
    joined = " ".join(comments)
    assert "Intel::DOMAIN is an exact name" in joined and "subdomains" in joined and "authority" in joined
    assert zeek_reader_rows(text) == []


def test_export_is_other_readable_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "intel" / "minisoc.intel"
    path.parent.mkdir()
    path.write_text("old")
    path.chmod(0o600)
    old_umask = os.umask(0o077)
    try:
        export.export_zeek_intel([Indicator(value="203.0.113.9", kind="ip", type="ip-dst", source="s")], path)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert "203.0.113.9" in path.read_text()


def test_zeek_item_expiration_outlives_two_refreshes() -> None:
    assert export.ZEEK_ITEM_EXPIRATION_S > 2 * export.REFRESH_INTERVAL_S
