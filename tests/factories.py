"""Builders for what many tests need: indicators, log records, alerts and sites.

One place instead of a copy per test file; each builder takes keywords for what a test varies and keeps the
rest fixed (fixed values make ids and golden output stable).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from minisoc.cli.main import main
from minisoc.correlator import Alert, Indicator, LogRecord, Match
from minisoc.correlator.alerts import build_alerts
from minisoc.correlator.matching import IndicatorIndex, Matcher
from minisoc.correlator.zeek import read_logs

BAD_IP = "198.51.100.7"  # TEST-NET-2: an address no real traffic uses


def ip_indicator(value: str = BAD_IP, **extra: Any) -> Indicator:
    """An `ip-dst` indicator of a feed (`source`, uuids and the rest as keywords)."""
    fields: dict[str, Any] = {"kind": "ip", "type": "ip-dst", "source": "feed", **extra}
    return Indicator(value=value, **fields)


def domain_indicator(value: str = "evil.example", **extra: Any) -> Indicator:
    fields: dict[str, Any] = {"kind": "domain", "type": "domain", "source": "feed", **extra}
    return Indicator(value=value, **fields)


def conn_record(n: int = 0, fields: dict[str, Any] | None = None, **extra: Any) -> LogRecord:
    """The `n`th conn.log record of a fixed file: its own line, offset and time (1_600_000_000 + n)."""
    values: dict[str, Any] = {"log_type": "conn", "raw": f"line {n}".encode(), "path": "/l/conn.log",
                              "offset": n, "ts": 1_600_000_000.0 + n, **extra}
    return LogRecord(fields={"id.resp_h": BAD_IP} if fields is None else fields, **values)


def conn_alerts(count: int, start: int = 0, *, indicator: Indicator | None = None,
                fields: Callable[[int], dict[str, Any]] | None = None, **build: Any) -> list[Alert]:
    """Alerts of `count` conn records (numbered from `start`, see conn_record; `fields(n)` gives the nth
    record's fields) whose `id.resp_h` hit `indicator` (an ip_indicator by default); keywords go to
    build_alerts (`site=`, `now=`, ...)."""
    hit = indicator if indicator is not None else ip_indicator()
    alerts: list[Alert] = []
    for n in range(start, start + count):
        record = conn_record(n, None if fields is None else fields(n))
        alerts += build_alerts(record, [Match(hit, "id.resp_h", hit.value)], **build)
    return alerts


def init_site(root: Path, *assignments: str, template: str = "ci", render: bool = False) -> Path:
    """`minisoc init ROOT/site --template TEMPLATE --non-interactive --set ...` (and `render` if asked),
    through the CLI as a user runs it; the site's folder."""
    site = root / "site"
    argv = ["init", str(site), "--template", template, "--non-interactive"]
    for assignment in assignments:
        argv += ["--set", assignment]
    assert main(argv) == 0
    if render:
        assert main(["render", str(site)]) == 0
    return site


def sample_log_files(shared_data: Path) -> list[Path]:
    """Every Zeek log of the shared sample data (JSON, TSV, gzip, edge cases)."""
    files = sorted(p for p in (shared_data / "zeek").rglob("*") if p.is_file())
    files += sorted((shared_data / "pcaps").glob("*.log"))
    return files


def matcher_for_values_in(paths: list[Path], per_path: int = 40) -> Matcher:
    """Indicators for addresses and names that occur in `paths` (every log type gets hits)."""
    indicators: list[Indicator] = []
    for path in paths:
        records = list(read_logs([path]))
        addresses = sorted({str(r.fields.get("id.resp_h")) for r in records if r.fields.get("id.resp_h")})
        names = sorted({str(r.fields[field]) for r in records for field in ("query", "server_name", "host")
                        if isinstance(r.fields.get(field), str) and r.fields[field] not in ("-", "")})
        indicators += [Indicator(value=a, kind="ip", type="ip-dst", source="t") for a in addresses[:per_path]
                       if a.count(".") == 3]
        indicators += [Indicator(value=n, kind="hostname", type="hostname", source="t")
                       for n in names[:per_path] if "." in n and " " not in n]
    return Matcher(IndicatorIndex.build(indicators))
