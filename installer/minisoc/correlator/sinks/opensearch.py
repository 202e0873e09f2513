"""Alerts in OpenSearch: `_bulk` `create` with `_id` = alert id, so a replay is a no-op (409 = already there).

Implements AlertSink (raises SinkUnavailable when the cluster does not answer: wrap it in BufferedAlertSink)
and AlertStore (list via search, ack via update).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import AuthorizationException, NotFoundError

from minisoc.correlator.alerts import alert_not_found_hint, iso_utc, mark_ack, may_be_id_prefix
from minisoc.correlator.model import Alert
from minisoc.correlator.sinks.opensearch_client import (
    BulkDoc,
    bulk_create,
    call_with_retries,
    keep_rejected,
)
from minisoc.correlator.sinks.opensearch_templates import alerts_template
from minisoc.correlator.typing import SinkUnavailable
from minisoc.errors import ServiceError, UsageError


def ensure_template(
    client: OpenSearch, name: str, body: dict[str, Any], *, attempts: int = 1, backoff_s: float = 0.5
) -> None:
    """Create the index template `name` unless one exists (`minisoc up` may have provisioned its own)."""

    def put() -> None:
        if not client.indices.exists_index_template(name=name):
            client.indices.put_index_template(name=name, body=body)

    call_with_retries(put, attempts=attempts, backoff_s=backoff_s)


class OpenSearchAlertSink:
    """Alerts in `index` (a single index: ids must be unique across it for idempotence)."""

    def __init__(
        self,
        client: OpenSearch,
        index: str = "minisoc-alerts",
        *,
        rejected_path: Path | None = None,
        attempts: int = 4,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.client = client
        self.index = index
        self.rejected_path = rejected_path
        self.attempts = attempts
        self.backoff_s = backoff_s
        self._sleep = sleep
        self._template_ready = False
        self.written = 0
        self.duplicates = 0
        self.rejected = 0

    def _ensure_template(self) -> None:
        if not self._template_ready:
            ensure_template(
                self.client,
                self.index,
                alerts_template(self.index),
                attempts=self.attempts,
                backoff_s=self.backoff_s,
            )
            self._template_ready = True

    def write(self, alerts: Sequence[Alert]) -> None:
        if not alerts:
            return
        self._ensure_template()
        docs = [BulkDoc(self.index, alert.id, alert.doc) for alert in alerts]
        kwargs: dict[str, Any] = {"attempts": self.attempts, "backoff_s": self.backoff_s}
        if self._sleep is not None:
            kwargs["sleep"] = self._sleep
        outcome = bulk_create(self.client, docs, **kwargs)
        self.written += outcome.created
        self.duplicates += outcome.duplicates
        self.rejected += len(outcome.rejected)
        keep_rejected(self.rejected_path, outcome.rejected)

    def _search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        def search() -> Any:
            try:
                # a read-only user (the analyst) may not refresh: the index refreshes itself every second
                with contextlib.suppress(AuthorizationException):
                    self.client.indices.refresh(index=self.index)
                return self.client.search(index=self.index, body=body)
            except NotFoundError:
                return {"hits": {"hits": []}}

        try:
            reply = call_with_retries(search, attempts=2, backoff_s=0.5)
        except SinkUnavailable as error:
            raise ServiceError(
                f"alerts index {self.index}: {error}",
                "check that OpenSearch is up (`minisoc status`) and the URL/credentials in correlator.yaml",
            ) from error
        return [dict(hit["_source"], _id=hit["_id"]) for hit in reply["hits"]["hits"]]

    def list_alerts(self, since: datetime | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Alerts raised since `since` (event.created), newest first."""
        query: dict[str, Any] = {"match_all": {}}
        if since is not None:
            query = {"range": {"event.created": {"gte": iso_utc(since.timestamp())}}}
        hits = self._search(
            {
                "query": query,
                "size": limit,
                "sort": [{"event.created": {"order": "desc", "unmapped_type": "date"}}],
            }
        )
        for hit in hits:
            hit.pop("_id", None)
        return hits

    def ack(self, alert_id: str, false_positive: bool = False) -> dict[str, Any]:
        query: dict[str, Any] = {"ids": {"values": [alert_id]}}
        if may_be_id_prefix(alert_id):
            query = {"bool": {"should": [query, {"prefix": {"event.id": alert_id}}]}}
        hits = self._search({"query": query, "size": 2})
        if not hits:
            raise UsageError(
                f"alert {alert_id}: not found in index {self.index}", alert_not_found_hint(alert_id)
            )
        if len(hits) > 1:
            raise UsageError(f"alert {alert_id}: the prefix is ambiguous", "give more characters of the id")
        doc = hits[0]
        full_id = doc.pop("_id")
        mark_ack(doc, false_positive)
        self.client.update(
            index=self.index,
            id=full_id,
            body={"doc": {"minisoc": {"ack": doc["minisoc"]["ack"]}}},
            params={"refresh": "wait_for"},
        )
        return doc

    def close(self) -> None:
        self.client.close()
