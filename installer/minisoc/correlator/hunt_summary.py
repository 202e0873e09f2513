"""What a hunt did, for the `minisoc hunt` summary: a table, or one JSON object on stderr with --json."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from minisoc.correlator.intel.convert import Refusal
from minisoc.correlator.model import Alert, Suppressed
from minisoc.correlator.zeek.stats import ReadStats


@dataclass
class IntelSummary:
    loaded: int = 0
    by_type: dict[str, int] = field(default_factory=dict)
    suppressed: int = 0
    suppressed_by_list: dict[str, int] = field(default_factory=dict)
    suppressed_values: list[Suppressed] = field(default_factory=list)  # each one, in load order
    warninglist_entries_unusable: dict[str, int] = field(default_factory=dict)  # per list: not applied
    warninglist_files_skipped: list[str] = field(default_factory=list)  # JSON in a directory, not a list
    unsupported: int = 0
    unsupported_by_type: dict[str, int] = field(default_factory=dict)
    invalid: int = 0
    invalid_by_type: dict[str, int] = field(default_factory=dict)
    missing_events: int = 0  # feed events named in a manifest whose file is missing (skipped)
    not_for_ids: int = 0  # MISP attributes with to_ids false: not indicators, skipped
    deleted: int = 0  # MISP attributes (or objects) flagged deleted, skipped
    sources: list[str] = field(default_factory=list)
    empty_sources: dict[str, str] = field(default_factory=dict)  # source -> why it yielded no indicator
    refused: list[Refusal] = field(default_factory=list)  # each value left out (the dead-letter file's)
    load_seconds: float = 0.0


def suppressed_as_dicts(suppressed: Iterable[Suppressed]) -> list[dict[str, str]]:
    return [{"value": item.indicator.value, "type": item.indicator.type, "source": item.indicator.source,
             "warninglist": item.warninglist, "entry": item.matched_entry} for item in suppressed]


@dataclass
class HuntSummary:
    """What a hunt did: printed as a table, or as one JSON object on stderr with --json."""

    read: ReadStats
    intel: IntelSummary
    alerts: int = 0
    alerts_by_indicator_type: dict[str, int] = field(default_factory=dict)
    workers: int = 1
    elapsed_seconds: float = 0.0
    interrupted: bool = False  # stopped by SIGINT: what it read and matched until then
    dead_letter: str | None = None  # where refused lines and indicators went (`--dead-letter`)
    dead_letters: int = 0  # entries written there
    notices_ignored: int = 0  # Zeek notices whose own alerts --ignore-notice dropped

    def count(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            self.alerts += 1
            indicator = alert.doc["threat"].get("indicator")  # the first indicator's; a notice may have none
            kind = str(indicator["misp"]["type"]) if indicator else "none"
            self.alerts_by_indicator_type[kind] = self.alerts_by_indicator_type.get(kind, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        seconds = max(self.elapsed_seconds, 1e-9)
        report: dict[str, Any] = {
            "logs": self.read.as_dict(),
            "indicators": {
                "loaded": self.intel.loaded,
                "by_type": dict(sorted(self.intel.by_type.items())),
                "suppressed": self.intel.suppressed,
                "suppressed_by_warninglist": dict(sorted(self.intel.suppressed_by_list.items())),
                "suppressed_values": suppressed_as_dicts(self.intel.suppressed_values),
                "warninglist_entries_unusable": dict(sorted(self.intel.warninglist_entries_unusable.items())),
                "warninglist_files_skipped": self.intel.warninglist_files_skipped,
                "unsupported": self.intel.unsupported,
                "unsupported_by_type": dict(sorted(self.intel.unsupported_by_type.items())),
                "invalid": self.intel.invalid,
                "invalid_by_type": dict(sorted(self.intel.invalid_by_type.items())),
                "missing_events": self.intel.missing_events,
                "not_for_ids": self.intel.not_for_ids,
                "deleted": self.intel.deleted,
                "sources": self.intel.sources,
                "empty_sources": self.intel.empty_sources,
                "load_seconds": round(self.intel.load_seconds, 3),
            },
            "alerts": self.alerts,
            "notices_ignored": self.notices_ignored,
            "alerts_by_indicator_type": dict(sorted(self.alerts_by_indicator_type.items())),
            "workers": self.workers,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "lines_per_second": round(self.read.lines_total / seconds),
            "interrupted": self.interrupted,
        }
        if self.dead_letter is not None:
            report["dead_letter"] = {"path": self.dead_letter, "entries": self.dead_letters}
        return report
