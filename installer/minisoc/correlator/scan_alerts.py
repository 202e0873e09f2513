"""The one scan-to-alerts core: records (or log files) x a matcher -> alerts, for `minisoc hunt`, the
service's tail batches and its retro-hunt alike.

A record is a hit when minisoc's indicators match it, or when it is one of Zeek's own findings (intel.log,
notice.log: `zeek_findings`). Records of one Zeek connection share an alert id (`alert_groups`): alerts with
the same id are merged (`coalesce`, with `alerts.merge_alert`, the function the sinks merge with) before they
leave a batch, so a batch never holds two documents of one alert.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from pathlib import Path
from typing import Any

from minisoc.correlator.alerts import build_alerts, merge_alert
from minisoc.correlator.matching.matcher import Matcher
from minisoc.correlator.model import Alert, LogRecord, Match
from minisoc.correlator.zeek.deadletter import DeadLetterSink
from minisoc.correlator.zeek.scan import ScreenPlan, scan_logs
from minisoc.correlator.zeek.stats import ReadStats
from minisoc.correlator.zeek_findings import FINDING_LOG_TYPES, ZeekFinding

__all__ = ["FindingProbe", "alerts_of_records", "coalesce", "scan_alerts"]

_ALWAYS: tuple[bool] = (True,)


def _always(observed: Any) -> Sized:
    return _ALWAYS


class FindingProbe:
    """`scan_logs`' probe and screen: the matcher's, except that every intel.log and notice.log record is a
    hit (its matches in a `ZeekFinding`, truthy even when empty)."""

    def __init__(self, matcher: Matcher) -> None:
        self._match_fields = matcher.match_fields
        self._screen_for = matcher.screen_for
        self._screen_fields = matcher.screen_fields

    def match_fields(self, log_type: str, fields: dict[str, Any]) -> list[Match]:
        if log_type in FINDING_LOG_TYPES:
            return ZeekFinding(self._match_fields(log_type, fields))
        return self._match_fields(log_type, fields)

    def screen_for(self, log_type: str) -> ScreenPlan:
        plan = self._screen_for(log_type)
        return plan._replace(check=_always) if log_type in FINDING_LOG_TYPES else plan

    def screen_fields(self, log_type: str) -> Callable[[dict[str, Any]], Sized]:
        return _always if log_type in FINDING_LOG_TYPES else self._screen_fields(log_type)


def coalesce(alerts: Iterable[Alert]) -> list[Alert]:
    """One alert per id, in first-seen order: later alerts of an id are merged into the first."""
    kept: dict[str, Alert] = {}
    for alert in alerts:
        first = kept.get(alert.id)
        if first is None:
            kept[alert.id] = alert
        else:
            merge_alert(first.doc, alert.doc)
    return list(kept.values())


def alerts_of_records(
    records: Iterable[LogRecord], matcher: Matcher, *, site: str | None, now: float, retro: bool = False
) -> list[Alert]:
    """The alerts of `records` (a tail batch), coalesced."""
    probe = FindingProbe(matcher)
    found: list[Alert] = []
    for record in records:
        matches = probe.match_fields(record.log_type, record.fields)
        if matches:
            found.extend(build_alerts(record, matches, retro=retro, site=site, now=now))
    return coalesce(found)


def scan_alerts(
    paths: Sequence[str | Path], matcher: Matcher, *, stats: ReadStats, site: str | None, now: float,
    retro: bool = False, dead_letter: DeadLetterSink | None = None, findings: bool = True,
) -> Iterator[Alert]:
    """The alerts of the records of `paths`, one per hit record in log order (not coalesced: a caller that
    batches them coalesces each batch), read as `scan_logs` reads: only hits become records.

    `findings` False: Zeek's own findings are hits only when the indicators match them (a retro-hunt for new
    indicators: the live read raised those findings already)."""
    probe: FindingProbe | Matcher = FindingProbe(matcher) if findings else matcher
    for record, matches in scan_logs(paths, probe.match_fields, screen=probe, stats=stats,
                                     dead_letter=dead_letter):
        yield from build_alerts(record, matches, retro=retro, site=site, now=now)

