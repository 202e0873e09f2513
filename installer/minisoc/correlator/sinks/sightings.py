"""Sightings back to MISP (via PyMISP) for indicators that matched, and false positives from `alerts ack`.

`sightings_for` turns a batch of alerts into one sighting per matched indicator (batched: a noisy indicator
is one sighting per batch, not one per line). MispSightingSink sends them grouped in as few API calls as
possible; when MISP does not answer it raises SinkUnavailable, so the service keeps them in its on-disk
buffer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from minisoc.correlator.clients.misp import connect_misp, read_key, refusal
from minisoc.correlator.config import MispApiConfig
from minisoc.correlator.model import Alert, Sighting
from minisoc.correlator.typing import SinkUnavailable
from minisoc.errors import UsageError

SIGHTING_SEEN = 0
SIGHTING_FALSE_POSITIVE = 1
log = logging.getLogger(__name__)


def _matched(doc: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(value, MISP attribute uuid) of every indicator an alert document matched (its enrichments)."""
    found: list[tuple[str, str | None]] = []
    for enrichment in doc.get("threat", {}).get("enrichments", []):
        indicator = enrichment.get("indicator", {})
        value = str(indicator.get("name", ""))
        if value:
            found.append((value, indicator.get("misp", {}).get("attribute_uuid")))
    return found


def sightings_for(alerts: Sequence[Alert], source: str, now: float | None = None) -> list[Sighting]:
    """One `seen` sighting per matched indicator value in `alerts` (every enrichment of an alert; timestamp:
    its latest match), first-seen order."""
    latest: dict[str, Sighting] = {}
    fallback = int(time.time() if now is None else now)
    for alert in alerts:
        stamp = _epoch(alert.doc.get("@timestamp"), fallback)
        for value, uuid in _matched(alert.doc):
            known = latest.get(value)
            if known is None or stamp > known.timestamp:
                latest[value] = Sighting(value=value, source=source, timestamp=stamp, type=SIGHTING_SEEN,
                                         attribute_uuid=uuid or None)
    return list(latest.values())


def false_positive_sightings(doc: dict[str, Any], source: str, now: float | None = None) -> list[Sighting]:
    """The false-positive sightings for an alert an analyst marked as such: one per matched indicator (on
    its MISP attribute when known)."""
    stamp = int(time.time() if now is None else now)
    legacy = doc.get("minisoc", {}).get("attribute_uuid")  # schema 1 kept the uuid there
    sightings: dict[tuple[str, str | None], Sighting] = {}
    for value, uuid in _matched(doc):
        uuid = uuid or legacy
        sightings.setdefault((value, uuid), Sighting(value=value, source=source, timestamp=stamp,
                                                     type=SIGHTING_FALSE_POSITIVE, attribute_uuid=uuid))
    return list(sightings.values())


def _epoch(iso: Any, fallback: int) -> int:
    if not isinstance(iso, str):
        return fallback
    try:
        return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())
    except ValueError:
        return fallback


class LogSightingSink:
    """No MISP: sightings are only logged (and counted)."""

    def __init__(self) -> None:
        self.sent = 0

    def add_sightings(self, sightings: Sequence[Sighting]) -> None:
        for sighting in sightings:
            log.info(
                "sighting (not sent, no MISP configured): type=%d value=%s", sighting.type, sighting.value
            )
        self.sent += len(sightings)


class MispSightingSink:
    """Sightings to MISP through PyMISP: on the attribute (by uuid) when the alert knows it, else by value.

    One value per call: MISP answers a batch of values with one sighting and drops the unknown ones without a
    word, so only single-value calls tell which sightings it refused. A refusal (HTTP 200 with a `message`,
    or an error status) is counted in `refused` and logged, not retried: MISP does not have that indicator.
    """

    def __init__(
        self,
        config: MispApiConfig,
        *,
        timeout_s: float = 20.0,
        client_factory: Callable[[], Any] | None = None,
    ) -> None:
        self.config = config
        self.timeout_s = timeout_s
        self._factory = client_factory or self._pymisp
        self._client: Any = None
        self.sent = 0
        self.refused = 0  # sightings MISP said no to (value or attribute unknown there): logged, dropped
        self.last_refusal: str | None = None

    def _pymisp(self) -> Any:
        return connect_misp(
            self.config.url,
            read_key(self.config.key_file),
            verify_tls=self.config.verify_tls,
            ca_file=self.config.ca_file,
            timeout_s=self.timeout_s,
            tool="minisoc-correlator",
        )

    def _connected(self) -> Any:
        if self._client is None:
            try:
                self._client = self._factory()
            except UsageError:
                raise
            except Exception as error:  # PyMISPError, requests errors: MISP is not reachable now
                raise SinkUnavailable(
                    f"MISP at {self.config.url} does not answer ({type(error).__name__})"
                ) from error
        return self._client

    def add_sightings(self, sightings: Sequence[Sighting]) -> None:
        client = self._connected()
        for request, attribute in _requests(sightings):
            try:
                reply = (
                    client.add_sighting(request, attribute=attribute)
                    if attribute
                    else client.add_sighting(request)
                )
            except Exception as error:  # connection reset, 5xx (MISPServerError): retry later
                self._client = None
                raise SinkUnavailable(f"MISP sightings failed ({type(error).__name__})") from error
            why = refusal(reply)
            if _key_refused(reply):  # the key, not the sighting: keep it buffered, re-read the key file
                self._client = None
                raise SinkUnavailable(f"MISP refused the automation key: {str(why)[:200]}")
            if why is not None:
                self.refused += 1
                self.last_refusal = why[:300]
                log.warning(
                    "MISP refused a sighting for %s: %s", attribute or request.get("values"), why[:300]
                )
            else:
                self.sent += 1


def _key_refused(reply: Any) -> bool:
    """PyMISP's form of a 401/403: the key is wrong or lacks the right, whatever the sighting."""
    errors = reply.get("errors") if isinstance(reply, dict) else None
    return isinstance(errors, (tuple, list)) and bool(errors) and errors[0] in (401, 403)


def _requests(sightings: Sequence[Sighting]) -> list[tuple[dict[str, Any], str | None]]:
    """`/sightings/add` bodies, one sighting each: on the attribute uuid when known, else by value."""
    out: list[tuple[dict[str, Any], str | None]] = []
    for sighting in sightings:
        body: dict[str, Any] = {
            "source": sighting.source,
            "type": str(sighting.type),
            "timestamp": sighting.timestamp,
        }
        if sighting.attribute_uuid:
            out.append((body, sighting.attribute_uuid))
        else:
            out.append(({"values": [sighting.value], **body}, None))
    return out
