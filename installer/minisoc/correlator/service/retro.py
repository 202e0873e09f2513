"""Retro-hunt: when new indicators arrive, search the stored logs of the last N days for them.

Two sources, one result. Where logs are indexed in OpenSearch (log storage on), the hunt runs on the
cluster (`IndexedLogs`: batched `terms` queries, service.retro_search); elsewhere every log file in the log
directory (rotated and gzipped ones included) modified within the window is rescanned (`LogFiles`). Either
way only the new indicators are matched (a small index), by the same Matcher, and each record's alert is
built by the same function: alerts are marked `minisoc.retro: true` and their ids are the ones a live match
would get, so a line seen both ways still gives one alert.

An indicator is hunted only in the events that happened before minisoc first had it (its first-seen time,
`threat.enrichments.indicator.first_seen` of the alert): events after it are the live matcher's. A record
without a usable `ts` is kept (nothing shows it is later).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from opensearchpy import OpenSearch

from minisoc.correlator.alerts import build_alerts, iso_utc
from minisoc.correlator.matching.index import IndicatorIndex
from minisoc.correlator.matching.matcher import Matcher
from minisoc.correlator.model import Alert, Indicator, LogRecord, Match
from minisoc.correlator.scan_alerts import coalesce
from minisoc.correlator.service.retro_query import HuntValues
from minisoc.correlator.service.retro_search import SearchStats, candidate_records
from minisoc.correlator.threat_indicator import indicator_id
from minisoc.correlator.zeek.scan import scan_logs
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek.tailfiles import scan_log_dir
from minisoc.correlator.zeek.timestamps import dated_epoch

Hit = tuple[LogRecord, list[Match]]


class RetroSource(Protocol):
    """Where a retro-hunt finds the records the new indicators match, each with its matches."""

    def hits(self, matcher: Matcher, indicators: Sequence[Indicator], *, floor: float,
             ceiling: float) -> Iterator[Hit]: ...


def files_since(log_dir: Path, floor: float) -> list[Path]:
    """Zeek log files under `log_dir` modified since `floor` (epoch s), oldest first: the files the tailer
    reads (the same scan: Zeek names, and other names whose content is a Zeek log)."""
    if not log_dir.is_dir():
        return []
    return [item.path for item in scan_log_dir(log_dir).files if item.mtime_ns >= floor * 1e9]


def files_within(log_dir: Path, days: int, now: float) -> list[Path]:
    """Zeek log files under `log_dir` modified in the last `days` days (see files_since)."""
    return files_since(log_dir, now - days * 86400)


class LogFiles:
    """The file rescan: every log file modified since `floor`, read as `minisoc hunt` reads (only hits
    become records). Zeek's own findings (intel.log, notice.log) are hits only when a new indicator
    matches them: the live read raised them already."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.stats = ReadStats()

    def hits(self, matcher: Matcher, indicators: Sequence[Indicator], *, floor: float,
             ceiling: float) -> Iterator[Hit]:
        yield from scan_logs(files_since(self.log_dir, floor), matcher.match_fields, screen=matcher,
                             stats=self.stats)


class IndexedLogs:
    """The pushed-down hunt on the log storage `<prefix>-*` (see service.retro_search)."""

    def __init__(self, client: OpenSearch, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self.stats = SearchStats()

    def hits(self, matcher: Matcher, indicators: Sequence[Indicator], *, floor: float,
             ceiling: float) -> Iterator[Hit]:
        values = HuntValues(indicators)
        for record in candidate_records(self.client, self.prefix, values, floor=floor, ceiling=ceiling,
                                        stats=self.stats):
            matches = matcher.match_fields(record.log_type, record.fields)
            if matches:
                self.stats.matched += 1
                yield record, matches


class FirstSeen:
    """Each hunted indicator's first-seen time (epoch s), by its key."""

    def __init__(self, indicators: Sequence[Indicator], first_seen: Sequence[float]) -> None:
        if len(first_seen) != len(indicators):
            raise ValueError("one first-seen time per indicator")
        pairs = list(zip(indicators, first_seen, strict=True))
        self.by_key = {indicator.key(): moment for indicator, moment in pairs}
        self.by_id = {indicator_id(indicator): iso_utc(moment) for indicator, moment in pairs}
        self.latest = max(first_seen, default=0.0)

    def before(self, record: LogRecord, matches: Iterable[Match]) -> list[Match]:
        """The matches whose indicator minisoc first had after the record's event."""
        ts = dated_epoch(record.ts)
        if ts is None:
            return list(matches)
        return [match for match in matches if ts < self.by_key.get(match.indicator.key(), self.latest)]

    def mark(self, alert: Alert) -> Alert:
        """`first_seen` on each enrichment's indicator (`threat.indicator` is the first one's)."""
        for enrichment in alert.doc.get("threat", {}).get("enrichments", []):
            moment = self.by_id.get(enrichment.get("matched", {}).get("id"))
            if moment is not None:
                enrichment["indicator"]["first_seen"] = moment
        return alert


def retro_hunt(
    indicators: Sequence[Indicator],
    source: RetroSource | Path,
    days: int,
    *,
    site: str | None,
    first_seen: Sequence[float] | None = None,
    batch_alerts: int = 5000,
    now: float | None = None,
) -> Iterator[list[Alert]]:
    """Retro alerts for `indicators` over the last `days` days of logs (nothing when days == 0), in
    batches of `batch_alerts` or fewer (each coalesced: one document per alert id; the last batch: the
    rest). `first_seen`: per indicator, when minisoc first had it (default: `now` for all); only events
    before it raise its alerts. `source`: a RetroSource, or a log directory (the file rescan)."""
    if not indicators or days <= 0:
        return
    moment = time.time() if now is None else now
    cutoffs = FirstSeen(indicators, first_seen if first_seen is not None else [moment] * len(indicators))
    hunted = LogFiles(source) if isinstance(source, Path) else source
    matcher = Matcher(IndicatorIndex.build(indicators))
    pending: list[Alert] = []
    for record, matches in hunted.hits(matcher, indicators, floor=moment - days * 86400,
                                       ceiling=cutoffs.latest):
        kept = cutoffs.before(record, matches)
        if not kept:
            continue
        pending.extend(cutoffs.mark(alert) for alert in build_alerts(record, kept, retro=True, site=site,
                                                                     now=moment))
        if len(pending) >= batch_alerts:
            yield coalesce(pending)
            pending = []
    if pending:
        yield coalesce(pending)
