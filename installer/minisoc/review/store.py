"""Analyst review of stored alerts (`minisoc alerts list/ack`): list them, acknowledge them.

`AlertReview` is what the CLI talks to. `StoreReview` reads an alert store directly (a `--store` URL, a
correlator.yaml, or the host view of a site built by `minisoc.review.site`); the container
variant (`minisoc.review.container`) runs the same command inside the site's correlator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from minisoc.correlator.config import CorrelatorConfig
from minisoc.correlator.sinks.open import AlertRepository
from minisoc.correlator.sinks.sightings import MispSightingSink, false_positive_sightings
from minisoc.correlator.typing import SinkUnavailable
from minisoc.errors import ServiceError, UsageError
from minisoc.site.layout import CORRELATOR_CONFIG_FILE

SITE_CORRELATOR_CONFIG = Path(CORRELATOR_CONFIG_FILE)
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
NO_MISP = "no MISP configured for this store"


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`15m`, `2h`, `7d`, `1w`, `30s` -> the UTC time that long ago."""
    found = _DURATION.match(text)
    if found is None:
        raise UsageError(
            f"--since {text!r}: not a duration", "use a number and a unit: 30s, 15m, 2h, 7d or 1w"
        )
    seconds = int(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    return (now or datetime.now(UTC)) - timedelta(seconds=seconds)


@dataclass(frozen=True)
class AlertListing:
    """Alerts listed, newest first, and how many there are in all (None when the store cannot say)."""

    docs: list[dict[str, Any]]
    total: int | None


def check_limit(limit: int) -> None:
    """`--limit` must be a number of alerts: SQLite reads LIMIT -1 as no limit at all."""
    if limit < 1:
        raise UsageError(f"--limit {limit}: not a number of alerts", "use 1 or more (newest first)")


@dataclass(frozen=True)
class AckResult:
    alert_id: str
    ack: dict[str, Any]  # minisoc.ack of the alert: state, at, ...
    sighting: str  # "sent", "not sent: <why>", "not requested"


class AlertReview(Protocol):
    """Where `minisoc alerts` reads and marks alerts; `description` names it (never a secret)."""

    description: str

    def list_alerts(self, since: str | None, limit: int) -> AlertListing: ...

    def ack(self, alert_id: str, false_positive: bool) -> AckResult: ...

    def close(self) -> None: ...


class StoreReview:
    """An alert store read directly; false-positive sightings go to `config.intel.misp` when there is one."""

    def __init__(
        self,
        store: AlertRepository,
        description: str,
        config: CorrelatorConfig | None = None,
        *,
        no_misp_reason: str = NO_MISP,
        unavailable_hint: str | None = None,
    ) -> None:
        self.store = store
        self.description = description
        self.config = config
        self.no_misp_reason = no_misp_reason
        self.unavailable_hint = unavailable_hint

    def list_alerts(self, since: str | None, limit: int) -> AlertListing:
        check_limit(limit)
        start = parse_since(since) if since else None
        try:
            docs = self.store.list_alerts(start, limit=limit)
            return AlertListing(docs, self.store.count_alerts(start))
        except ServiceError as error:
            raise self._with_hint(error) from None

    def ack(self, alert_id: str, false_positive: bool) -> AckResult:
        """Mark the alert; for a false positive, also send a false-positive sighting when MISP is known."""
        try:
            doc = self.store.ack(alert_id, false_positive=false_positive)
        except ServiceError as error:
            raise self._with_hint(error) from None
        ack = dict(doc.get("minisoc", {}).get("ack", {}))
        full_id = str(doc.get("event", {}).get("id", alert_id))
        if not false_positive:
            return AckResult(full_id, ack, "not requested")
        return AckResult(full_id, ack, self._send_false_positive(doc))

    def _send_false_positive(self, doc: dict[str, Any]) -> str:
        config = self.config
        if config is None or config.intel.misp is None or not config.sightings.enabled:
            return f"not sent: {self.no_misp_reason}"
        sink = MispSightingSink(config.intel.misp)
        try:
            sink.add_sightings(false_positive_sightings(doc, config.sightings.source))
        except (SinkUnavailable, UsageError) as error:
            return f"not sent: {error}"
        if sink.refused:  # HTTP 200 with a message, or an error status: MISP does not have that attribute
            return f"not sent: MISP refused it ({sink.last_refusal})"
        return "sent"

    def _with_hint(self, error: ServiceError) -> ServiceError:
        if self.unavailable_hint is None:
            return error
        return ServiceError(error.message, self.unavailable_hint)

    def close(self) -> None:
        self.store.close()
