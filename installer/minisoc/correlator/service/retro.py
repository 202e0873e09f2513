"""Retro-hunt: when new indicators arrive, search the stored logs of the last N days for them.

Only the new indicators are matched (a small index), over every log file in the log directory (rotated and
gzipped ones included) modified within the window. Alerts are marked `minisoc.retro: true`; their ids are
the ones a live match would get, so a line seen both ways still gives one alert.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from minisoc.correlator.alerts import build_alerts
from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.matcher import Matcher
from minisoc.correlator.model import Alert, Indicator
from minisoc.correlator.zeek.scan import scan_logs
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek.tailfiles import scan_log_dir


def files_within(log_dir: Path, days: int, now: float) -> list[Path]:
    """Zeek log files under `log_dir` modified in the last `days` days, oldest first: the files the tailer
    reads (the same scan: Zeek names, and other names whose content is a Zeek log)."""
    if not log_dir.is_dir():
        return []
    floor_ns = (now - days * 86400) * 1e9
    return [item.path for item in scan_log_dir(log_dir).files if item.mtime_ns >= floor_ns]


def retro_hunt(
    indicators: Sequence[Indicator],
    log_dir: Path,
    days: int,
    *,
    site: str | None,
    batch_alerts: int = 5000,
    now: float | None = None,
) -> Iterator[list[Alert]]:
    """Retro alerts for `indicators` over the last `days` days of logs (nothing when days == 0), in log
    order, in batches of `batch_alerts` or a few more (a line's alerts stay together; the last batch: the
    rest). Read as `minisoc hunt` reads: only hits become records."""
    if not indicators or days <= 0:
        return
    moment = time.time() if now is None else now
    files = files_within(log_dir, days, moment)
    matcher = Matcher(IndicatorIndex.build(indicators))
    stats = ReadStats()
    pending: list[Alert] = []
    for record, matches in scan_logs(files, matcher.match_fields, screen=matcher, stats=stats):
        pending.extend(build_alerts(record, matches, retro=True, site=site, now=moment))
        if len(pending) >= batch_alerts:
            yield pending
            pending = []
    if pending:
        yield pending
