"""Alerts in OpenSearch: `_bulk` `create` with `_id` = alert id, so a replay is a no-op (409 = already there);
an alert already there that the new one adds enrichments to (the same record alerted again, e.g. by a
retro-hunt with new indicators) is merged (`merge_alert`, the SQLite store's rule) and written back with
optimistic concurrency (`if_seq_no`), never duplicated. No script: no dependence on a scripting module.

Implements AlertSink (raises SinkUnavailable when the cluster does not answer: wrap it in BufferedAlertSink)
and AlertStore (list by pages through a point in time, so any limit works whatever the index's
`max_result_window`; ack via update).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import AuthorizationException, ConflictError, NotFoundError, TransportError

from minisoc.correlator.alerts import alert_not_found_hint, iso_utc, mark_ack, may_be_id_prefix, merge_alert
from minisoc.correlator.clients.opensearch import call_with_retries
from minisoc.correlator.model import Alert
from minisoc.correlator.sinks.opensearch_bulk import BulkDoc, BulkOutcome, BulkWriter, IndexTemplate
from minisoc.correlator.sinks.opensearch_templates import alerts_template
from minisoc.correlator.typing import SinkUnavailable
from minisoc.errors import ServiceError, UsageError
from minisoc.site.layout import ALERTS_INDEX

MERGE_ATTEMPTS = 3  # reads and merges of an alert another writer keeps changing
PAGE_SIZE = 1000  # alerts per search when listing (far below the default max_result_window of 10,000)
PIT_KEEP_ALIVE = "1m"  # each page renews it
# newest first; the id breaks ties so that `search_after` neither skips nor repeats an alert
LIST_SORT = [{"event.created": {"order": "desc", "unmapped_type": "date"}},
             {"event.id": {"order": "asc", "unmapped_type": "keyword"}}]


class OpenSearchAlertSink:
    """Alerts in `index` (a single index: ids must be unique across it for idempotence)."""

    def __init__(
        self,
        client: OpenSearch,
        index: str = ALERTS_INDEX,
        *,
        rejected_path: Path | None = None,
        attempts: int = 4,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.client = client
        self.index = index
        # alerts: a template only when there is none (`minisoc up` provisions its own, which is kept)
        template = IndexTemplate(index, alerts_template(index))
        self.writer = BulkWriter(client, template, rejected_path=rejected_path, attempts=attempts,
                                 backoff_s=backoff_s, sleep=sleep)
        self.written = 0
        self.merged = 0  # alerts already there that got enrichments they lacked
        self.duplicates = 0
        self.rejected = 0

    def write(self, alerts: Sequence[Alert]) -> None:
        if not alerts:
            return
        self.writer.write([BulkDoc(self.index, alert.id, alert.doc) for alert in alerts], settle=self._settle)

    def _settle(self, outcome: BulkOutcome) -> None:
        """Merge the alerts that were already there, then count (the writer keeps the rejected ones next)."""
        merged = self._merge(outcome.existing) if outcome.existing else 0
        self.written += outcome.created
        self.merged += merged
        self.duplicates += outcome.duplicates - merged
        self.rejected += len(outcome.rejected)

    def _merge(self, docs: Sequence[BulkDoc]) -> int:
        """Merge `docs` (already in the index) into the stored alerts; how many changed. A document changed
        by someone else in between (an ack, another writer) is read and merged again."""
        merged = 0
        pending = list(docs)
        for _ in range(MERGE_ATTEMPTS):
            if not pending:
                return merged
            body = {"ids": [doc.id for doc in pending]}
            reply = self.writer.retry(functools.partial(self.client.mget, index=self.index, body=body))
            conflicts: list[BulkDoc] = []
            for doc, found in zip(pending, reply["docs"], strict=True):
                stored = found.get("_source")
                if not found.get("found") or stored is None or not merge_alert(stored, doc.source):
                    continue  # as it was (a replay), or gone since (retention deleted its index)
                if self._write_back(doc.id, stored, found):
                    merged += 1
                else:
                    conflicts.append(doc)
            pending = conflicts
        if pending:
            raise SinkUnavailable(f"{len(pending)} alert(s) kept changing while being merged: retried later")
        return merged

    def _write_back(self, alert_id: str, doc: dict[str, Any], found: dict[str, Any]) -> bool:
        """Index the merged `doc` if the stored one is still the version read; False when it changed."""

        def index() -> bool:
            try:
                self.client.index(index=self.index, id=alert_id, body=doc, params={
                    "if_seq_no": found["_seq_no"], "if_primary_term": found["_primary_term"]})
            except ConflictError:
                return False
            return True

        return bool(self.writer.retry(index))

    def _call(self, action: Callable[[], Any], missing: Any) -> Any:
        """`action()` with one retry; `missing` when the index does not exist; ServiceError when the cluster
        does not answer or refuses."""

        def call() -> Any:
            try:
                return action()
            except NotFoundError:
                return missing

        try:
            return call_with_retries(call, attempts=2, backoff_s=0.5)
        except SinkUnavailable as error:  # also a 4xx other than 404: a refused query
            raise self._unavailable(error) from error

    def _unavailable(self, error: object) -> ServiceError:
        return ServiceError(
            f"alerts index {self.index}: {error}",
            "check that OpenSearch is up (`minisoc status`) and the URL/credentials in correlator.yaml",
        )

    def _refresh(self) -> None:
        # best effort: a read-only user (the analyst) may not refresh, the index refreshes itself every
        # second; a cluster that does not answer is reported by the search that follows
        with contextlib.suppress(TransportError):
            self.client.indices.refresh(index=self.index)

    def _search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        self._refresh()
        reply = self._call(lambda: self.client.search(index=self.index, body=body), {"hits": {"hits": []}})
        return [dict(hit["_source"], _id=hit["_id"]) for hit in reply["hits"]["hits"]]

    @staticmethod
    def _since_query(since: datetime | None) -> dict[str, Any]:
        if since is None:
            return {"match_all": {}}
        return {"range": {"event.created": {"gte": iso_utc(since.timestamp())}}}

    def count_alerts(self, since: datetime | None = None) -> int:
        """How many alerts were raised since `since` (event.created)."""
        self._refresh()
        body = {"query": self._since_query(since)}
        reply = self._call(lambda: self.client.count(index=self.index, body=body), {"count": 0})
        return int(reply["count"])

    def list_alerts(self, since: datetime | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        """Alerts raised since `since` (event.created), newest first (then by id), at most `limit`.

        Read by pages of PAGE_SIZE (or less, see `_page_size`) with `search_after` in a point in time (a
        consistent view while the correlator writes): a single search may not reach past the index's
        `max_result_window` (10,000 by default).
        """
        self._refresh()
        page_size = self._page_size()
        pit = self._open_pit()
        try:
            return [doc for page in self._pages(since, limit, pit, page_size) for doc in page]
        finally:
            if pit is not None:
                with contextlib.suppress(TransportError):
                    self.client.delete_pit(body={"pit_id": [pit]})

    def _open_pit(self) -> str | None:
        """A point in time on the index; None when the index does not exist or the user may not open one
        (the pages are then read without it, still by `search_after`)."""
        try:
            reply = self._call(
                lambda: self.client.create_pit(index=self.index, params={"keep_alive": PIT_KEEP_ALIVE}), None)
        except ServiceError as error:
            refused = error.__cause__.__cause__ if error.__cause__ is not None else None
            if isinstance(refused, AuthorizationException):
                return None
            raise
        return None if reply is None else str(reply["pit_id"])

    def _page_size(self) -> int:
        """PAGE_SIZE, or the index's `max_result_window` when an administrator set it lower (a page may not
        reach past it either); PAGE_SIZE when the settings cannot be read."""
        try:
            reply = self.client.indices.get_settings(
                index=self.index, name="index.max_result_window", params={"include_defaults": "true"})
        except TransportError:
            return PAGE_SIZE
        windows = [int(value) for settings in reply.values() for group in ("settings", "defaults")
                   if (value := settings.get(group, {}).get("index", {}).get("max_result_window"))]
        return max(1, min([PAGE_SIZE, *windows]))

    def _pages(self, since: datetime | None, limit: int, pit: str | None, page_size: int,
               ) -> Iterator[list[dict[str, Any]]]:
        left = limit
        after: list[Any] | None = None
        while left > 0:
            body: dict[str, Any] = {"query": self._since_query(since), "size": min(left, page_size),
                                    "sort": LIST_SORT, "track_total_hits": False}
            if after is not None:
                body["search_after"] = after
            if pit is not None:
                body["pit"] = {"id": pit, "keep_alive": PIT_KEEP_ALIVE}
                search = functools.partial(self.client.search, body=body)
            else:
                search = functools.partial(self.client.search, index=self.index, body=body)
            hits = self._call(search, {"hits": {"hits": []}})["hits"]["hits"]
            if not hits:
                return
            yield [hit["_source"] for hit in hits]
            left -= len(hits)
            after = hits[-1]["sort"]
            if len(hits) < body["size"]:
                return

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

    def delete_alerts(self, alert_ids: Sequence[str]) -> int:
        """Remove these alerts by id, in one `_bulk` refreshed once (no `_delete_by_query`: the locally built
        OpenSearch lacks the reindex module); how many were removed. For `minisoc scenario reset`."""
        if not alert_ids:
            return 0
        body = [{"delete": {"_index": self.index, "_id": alert_id}} for alert_id in alert_ids]
        bulk = functools.partial(self.client.bulk, body=body, params={"refresh": "wait_for"})
        reply = self._call(bulk, None)
        items = reply.get("items", []) if reply is not None else []
        return sum(1 for item in items if item.get("delete", {}).get("result") == "deleted")

    def close(self) -> None:
        self.client.close()
