"""Zeek log records into per-type daily indices `<prefix>-<log type>-YYYY.MM.DD`, idempotently.

The document id is derived from the log type and the line, so re-reading a file after a restart adds nothing.
Zeek's dotted field names are kept as they are: OpenSearch expands them into the objects the template maps.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from minisoc.correlator.alerts import iso_utc
from minisoc.correlator.model import LogRecord
from minisoc.correlator.sinks.opensearch import ensure_template
from minisoc.correlator.sinks.opensearch_client import BulkDoc, bulk_create, keep_rejected
from minisoc.correlator.sinks.opensearch_templates import zeek_logs_template
from minisoc.correlator.zeek.timestamps import dated_epoch

_UNSAFE_INDEX_CHARS = re.compile(r"[^a-z0-9_]+")


def log_index_name(prefix: str, record: LogRecord, now: float | None = None) -> str:
    """`zeek-conn-2018.03.24`: the log type (sanitised) and the record's UTC day (today when it has no ts)."""
    log_type = _UNSAFE_INDEX_CHARS.sub("_", record.log_type.lower()) or "unknown"
    epoch = dated_epoch(record.ts)
    if epoch is None:
        epoch = time.time() if now is None else now
    day = datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y.%m.%d")
    return f"{prefix}-{log_type}-{day}"


def log_document(prefix: str, record: LogRecord) -> BulkDoc:
    """The record as an OpenSearch document: its Zeek fields, `@timestamp`, `event.dataset` and `log.*`."""
    source: dict[str, Any] = dict(record.fields)
    epoch = dated_epoch(record.ts)
    if epoch is not None:  # else none: the document keeps the line's own `ts` field
        source["@timestamp"] = iso_utc(epoch)
    source["event.dataset"] = f"zeek.{record.log_type}"
    if record.path is not None:
        source["log.file.path"] = record.path
        if record.offset is not None:
            source["log.offset"] = record.offset
    doc_id = hashlib.sha256(record.log_type.encode() + b"\x1f" + record.raw).hexdigest()[:32]
    return BulkDoc(log_index_name(prefix, record), doc_id, source)


class ZeekLogIndexer:
    """Writes log records (as BulkDocs, which the service may buffer on disk) to OpenSearch."""

    def __init__(
        self,
        client: OpenSearch,
        prefix: str = "zeek",
        *,
        rejected_path: Path | None = None,
        attempts: int = 4,
        backoff_s: float = 0.5,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.rejected_path = rejected_path
        self.attempts = attempts
        self.backoff_s = backoff_s
        self._template_ready = False
        self.indexed = 0
        self.rejected = 0

    def documents(self, records: Sequence[LogRecord]) -> list[BulkDoc]:
        return [log_document(self.prefix, record) for record in records]

    def write(self, docs: Sequence[BulkDoc]) -> None:
        """Index `docs`; SinkUnavailable when OpenSearch does not take them (the caller buffers)."""
        if not docs:
            return
        if not self._template_ready:
            ensure_template(
                self.client,
                f"{self.prefix}-logs",
                zeek_logs_template(self.prefix),
                attempts=self.attempts,
                backoff_s=self.backoff_s,
            )
            self._template_ready = True
        outcome = bulk_create(self.client, docs, attempts=self.attempts, backoff_s=self.backoff_s)
        self.indexed += outcome.created
        self.rejected += len(outcome.rejected)
        keep_rejected(self.rejected_path, outcome.rejected)
