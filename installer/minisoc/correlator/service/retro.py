"""Retro-hunt: when new indicators arrive, search the stored logs of the last N days for them.

Only the new indicators are matched (a small index), over every log file in the log directory (rotated and
gzipped ones included) modified within the window. Alerts are marked `minisoc.retro: true`; their ids are
the ones a live match would get, so a line seen both ways still gives one alert.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.matcher import Matcher
from minisoc.correlator.model import Alert, Indicator
from minisoc.correlator.scan_alerts import coalesce, scan_alerts
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
    order, in batches of `batch_alerts` or fewer (each coalesced: one document per alert id; the last
    batch: the rest). Read as `minisoc hunt` reads, by the same core (`scan_alerts`): only hits become
    records. Zeek's own findings (intel.log, notice.log) are hits only when a new indicator matches them:
    the live read raised them already."""
    if not indicators or days <= 0:
        return
    moment = time.time() if now is None else now
    files = files_within(log_dir, days, moment)
    matcher = Matcher(IndicatorIndex.build(indicators))
    stats = ReadStats()
    pending: list[Alert] = []
    for alert in scan_alerts(files, matcher, stats=stats, site=site, now=moment, retro=True,
                             findings=False):
        pending.append(alert)
        if len(pending) >= batch_alerts:
            yield coalesce(pending)
            pending = []
    if pending:
        yield coalesce(pending)
