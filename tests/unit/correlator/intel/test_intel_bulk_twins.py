"""The fast intel load (intel.zeek_bulk, add_intel_file_rows, lean packed columns) against its reference
twins: the same rows, contexts and counts on every intel sample and on generated sets, and the same index."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np
import pytest

from minisoc.correlator.intel import value_list_bulk, zeek_bulk
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.intel.intel_file import add_intel_file_rows, read_intel_file
from minisoc.correlator.intel.load import load_intel_columns
from minisoc.correlator.matching import IndicatorColumns, IndicatorIndex, Matcher, columns
from minisoc.correlator.matching.index import RowStore

HEADER = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.do_notice\n"


def _same_load(path: Path) -> int:
    """Load `path` both ways; assert every row, context and count (and their order) is the same."""
    reference_counts, fast_counts = LoadCounts(), LoadCounts()
    reference = IndicatorColumns.from_indicators(read_intel_file(path, reference_counts))
    fast = IndicatorColumns()
    add_intel_file_rows(path, fast_counts, fast)
    assert fast.indicators() == reference.indicators(), path
    assert (fast.contexts, fast.context_ids) == (reference.contexts, reference.context_ids), path
    assert fast_counts == reference_counts, path
    assert list(fast_counts.per_type) == list(reference_counts.per_type), path
    return len(reference)


def test_every_intel_sample_loads_the_same_both_ways(shared_data: Path) -> None:
    files = sorted(p for p in (shared_data / "intel").rglob("*") if p.is_file())
    files += sorted((shared_data / "misp/events").rglob("*.json"))
    files += sorted(p for p in (shared_data / "misp/feeds").rglob("*.json") if p.name != "manifest.json")
    assert len(files) >= 15
    assert sum(map(_same_load, files)) > 10_000


def _odd_line(rnd: random.Random, number: int) -> str:
    """A line of a real-world-shaped Zeek intel file, sometimes one the fast path must hand over."""
    roll = rnd.random()
    source = rnd.choice(("abuse", "cps", "-"))
    desc = rnd.choice(("-", "botnet", "c2 server"))
    notice = rnd.choice(("F", "T"))
    value, zeek_type = f"{rnd.getrandbits(32):x}.example.com", "Intel::DOMAIN"
    if roll < 0.3:
        value, zeek_type = f"198.51.{rnd.randrange(256)}.{rnd.randrange(256)}", "Intel::ADDR"
    elif roll < 0.4:
        value = hashlib.sha256(str(number).encode()).hexdigest()[:rnd.choice((32, 40, 64, 64, 50))]
        zeek_type = "Intel::FILE_HASH"
    elif roll < 0.45:
        value, zeek_type = f"10.{rnd.randrange(256)}.0.0/{rnd.choice((16, 32))}", "Intel::SUBNET"
    elif roll < 0.5:
        value = rnd.choice(("Bad.Example.COM.", "192.0.2.7", "a..b", "2001:DB8::1", "", "bücher.de",
                            "x" * 70))
    elif roll < 0.52:
        zeek_type = rnd.choice(("Intel::PUBKEY_HASH", "-", "Intel::URL", "Intel::EMAIL"))
    elif roll < 0.53:
        return rnd.choice(("", "   ", "#comment", HEADER.rstrip("\n"), value, f"{value}\tIntel::DOMAIN"))
    return f"{value}\t{zeek_type}\t{source}\t{desc}\t{notice}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_zeek_intel_loads_the_same_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       seed: int) -> None:
    monkeypatch.setattr(zeek_bulk, "BLOCK_BYTES", 4096)  # many blocks, some with an odd line, some clean
    rnd = random.Random(seed)
    lines = [_odd_line(rnd, n) if rnd.random() < 0.02 else
             f"{rnd.getrandbits(40):x}.example.net\tIntel::DOMAIN\tbench\t-\tF" if n % 2 else
             f"203.0.{rnd.randrange(256)}.{rnd.randrange(1, 255)}\tIntel::ADDR\tabuse\t-\tF"
             for n in range(20_000)]
    path = tmp_path / "intel.dat"
    path.write_text(HEADER + "\r\n".join(lines) if seed == 3 else HEADER + "\n".join(lines) + "\n")
    assert _same_load(path) > 19_000


def _csv_value(rnd: random.Random, number: int) -> tuple[str, str]:
    """(value, type) of a CSV row, now and then one the fast path must hand over."""
    roll = rnd.random()
    if roll < 0.4:
        address = f"198.51.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
        return address, rnd.choice(("ip-dst", "ip", "IPv4", ""))
    if roll < 0.8:
        return f"{rnd.getrandbits(36):x}.example.org", rnd.choice(("domain", "hostname", ""))
    if roll < 0.97:
        return hashlib.sha256(str(number).encode()).hexdigest(), rnd.choice(("sha256", ""))
    return rnd.choice((("Bad.Example.COM.", "domain"), ("10.0.0.0/8", "ip-dst"),
                       ("1.2.3.4|443", "ip-dst|port"), ("nonsense", ""), ("a..b", "domain"),
                       ("x.example", "regkey"), ("1.2.3.4", "ip-src")))


@pytest.mark.parametrize("shape", ["header", "headerless", "comment-header", "quoted", "to_ids",
                                   "ragged", "no-type", "freetext"])
def test_generated_csv_lists_load_the_same_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     shape: str) -> None:
    monkeypatch.setattr(value_list_bulk, "BLOCK_ROWS", 97)  # many blocks, some with an odd row, some clean
    rnd = random.Random(shape)
    rows = []
    for number in range(5_000):
        value, misp_type = _csv_value(rnd, number) if rnd.random() < 0.05 else (
            f"203.0.{rnd.randrange(256)}.{rnd.randrange(1, 255)}", "ip-dst")
        rows.append(f"{value},{misp_type}")
    head = "value,type\n"
    if shape == "headerless":
        head = ""
    elif shape == "comment-header":
        head = "# a feed\n# value,type\n"
    elif shape == "quoted":
        rows = ['"' + row.replace(",", '","') + '"' if n % 3 else row for n, row in enumerate(rows)]
        rows[10] = '"multi\nline",domain'
    elif shape == "to_ids":
        head = "value,type,to_ids\n"
        rows = [f"{row},{rnd.choice(('1', 'true', '0'))}" for row in rows]
    elif shape == "ragged":
        rows = [row + ",extra" * (n % 50 == 0) if n % 97 else row.split(",")[0] for n, row in enumerate(rows)]
        rows.insert(300, "")
        rows.insert(600, "  # a comment")
    elif shape == "no-type":
        head = "indicator,first_seen\n"
        rows = [f"{row.split(',')[0]},2026-01-01" for row in rows]
    elif shape == "freetext":
        head, rows = "", [row.split(",")[0] for row in rows]
    path = tmp_path / "list.csv"
    path.write_text(head + "\n".join(rows) + "\n")
    assert _same_load(path) > 3_000


def _index_arrays(index: IndicatorIndex) -> list[object]:
    def rows(store: RowStore) -> list[object]:
        return [store.contexts, store.ports, store.timestamps, store.comments, store.uuids, store.odd_uuids]

    return [index.strings.keys, index.strings.starts, index.strings.bitmap, index.cidrs.keys,
            *rows(index.string_rows), *rows(index.cidr_rows), index.contexts, index.comments,
            index.v4_lengths, index.v6_lengths,
            index.v4_blocks, index.url_hosts]


def test_lean_packed_columns_build_the_same_index(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columns, "PACK_ROWS", 50)  # pack every few rows: blocks with and without each column
    specs = sorted(str(p) for p in (shared_data / "misp/feeds").iterdir() if p.is_dir())
    specs += sorted(str(p) for p in (shared_data / "misp/events").rglob("*.json"))
    specs += sorted(str(p) for p in (shared_data / "intel").rglob("*") if p.is_file())
    lean = load_intel_columns(specs, lean=True).columns
    full = load_intel_columns(specs).columns
    assert len(lean.packed) > 5 and len(lean) == len(full)
    assert lean.count_by_type() == full.count_by_type()
    with pytest.raises(ValueError, match="packed"):
        lean.indicators()
    lean_index, full_index = IndicatorIndex.from_columns(lean), IndicatorIndex.from_columns(full)
    assert _index_arrays(lean_index) == _index_arrays(full_index)
    reference = Matcher(IndicatorIndex.build(full.indicators()))
    fast = Matcher(lean_index)
    for row in np.random.default_rng(1).choice(len(full), 400, replace=False).tolist():
        indicator = full.indicator(row)
        fields = {"query": indicator.value, "id.resp_h": indicator.value, "id.resp_p": indicator.port or 0}
        assert fast.match_fields("dns", fields) == reference.match_fields("dns", fields)
