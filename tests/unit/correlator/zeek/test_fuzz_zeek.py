"""Hostile input for the Zeek log readers (hypothesis): random bytes, JSON-ish and TSV-ish lines, truncated
gzip; every line becomes a record or is counted as malformed, nothing raises. Oversize lines and a gzip
bomb (a 2 MB file that inflates to 2 GiB without a newline) are refused in bounded memory."""

from __future__ import annotations

import gzip
import io
import json
import tracemalloc
import zlib
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from minisoc.correlator.zeek import ReadStats, read_logs
from minisoc.correlator.zeek.malformed import REASON_OVERSIZE
from minisoc.correlator.zeek.reader import read_stream
from minisoc.correlator.zeek.records import Refusals

FUZZ = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
TSV_HEADER = [
    b"#separator \\x09",
    b"#set_separator\t,",
    b"#empty_field\t(empty)",
    b"#unset_field\t-",
    b"#path\tconn",
    b"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice",
    b"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tset[string]",
]
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
)
json_lines = st.dictionaries(
    st.sampled_from(["ts", "uid", "id.orig_h", "id.resp_h", "query", "_path", "x"]), values, max_size=6
).map(lambda d: json.dumps(d).encode())
tsv_lines = st.lists(
    st.sampled_from(
        ["-", "(empty)", "1.5", "10.0.0.1", "::1", "80", "tcp", "a,b", "x\\x09y", "1e400", "", "C1"]
    ),
    min_size=1,
    max_size=10,
).map(lambda cells: "\t".join(cells).encode())
lines = st.lists(
    st.one_of(st.binary(max_size=60), json_lines, tsv_lines, st.sampled_from(TSV_HEADER)), max_size=30
)


def _read(data: bytes, hint: str | None = None, max_line_bytes: int = 1 << 20) -> tuple[int, ReadStats]:
    stats = ReadStats()
    records = list(read_stream(io.BytesIO(data), "fuzz.log", hint, Refusals(stats, None), max_line_bytes))
    return len(records), stats


def _check_every_line_accounted(data: bytes, records: int, stats: ReadStats) -> None:
    parts = [line for line in data.split(b"\n") if line]
    data_lines = [line for line in parts if not line.startswith(b"#")]
    assert len(data_lines) <= records + stats.malformed_total <= len(parts)


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    records, stats = _read(data)
    _check_every_line_accounted(data, records, stats)


@FUZZ
@given(lines, st.booleans())
@example(
    parts=[b'{"_path": ["conn"], "ts": 1.0}'], tsv_header_first=False
)  # found by this test: a non-string _path
@example(parts=[b'{"_path": {"a": 1}}', b'{"_path": 7}'], tsv_header_first=False)
def test_random_json_and_tsv_lines(parts: list[bytes], tsv_header_first: bool) -> None:
    data = b"\n".join((TSV_HEADER if tsv_header_first else []) + parts) + b"\n"
    records, stats = _read(data, hint="conn")
    _check_every_line_accounted(data, records, stats)


@FUZZ
@given(lines, st.floats(0, 1))
def test_truncated_gzip_is_reported_not_raised(
    tmp_path_factory: object, parts: list[bytes], cut: float
) -> None:
    data = gzip.compress(b"\n".join(TSV_HEADER + parts) + b"\n")
    path = Path(str(tmp_path_factory.mktemp("gz"))) / "conn.log.gz"
    path.write_bytes(data[: int(len(data) * cut)])
    stats = ReadStats()
    list(read_logs([path], stats=stats))
    assert stats.files == 1


def test_oversize_line_is_refused_and_the_next_line_still_read() -> None:
    good = json.dumps({"ts": 1.5, "_path": "conn", "uid": "C1"}).encode()
    data = b"{" + b"a" * 5000 + b"}\n" + good + b"\n"
    records, stats = _read(data, max_line_bytes=1000)
    assert records == 1 and stats.malformed == {REASON_OVERSIZE: 1}


def _bomb(path: Path, members: int = 32, member_mib: int = 64) -> Path:
    """A multi-member gzip file: each member inflates to `member_mib` MiB of zeros (no newline)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    member = compressor.compress(b"\0" * (member_mib << 20)) + compressor.flush()
    path.write_bytes(member * members)
    return path


def test_decompression_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "conn.log.gz")
    assert bomb.stat().st_size < 4 << 20  # a few MB on disk, 2 GiB inflated
    stats = ReadStats()
    tracemalloc.start()
    try:
        records = list(read_logs([bomb], stats=stats))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert records == []
    assert stats.malformed == {REASON_OVERSIZE: 1}
    assert stats.bytes_read == 2 << 30
    assert peak < 32 << 20, f"peak {peak / 2**20:.1f} MiB while reading a 2 GiB line"
