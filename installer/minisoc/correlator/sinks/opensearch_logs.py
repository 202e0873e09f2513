"""Zeek log records into per-type daily indices `<prefix>-<log type>-YYYY.MM.DD`, idempotently.

The document id is derived from the log type and the line, so re-reading a file after a restart adds nothing.
Zeek's dotted field names are kept as they are: OpenSearch expands them into objects, each index its own way.
A record OpenSearch refuses (a mapping conflict) goes to the rejected-documents file and is counted per log
type (`on_counts`: the service's /metrics and /healthz), never dropped unsaid.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from minisoc.correlator.alerts import iso_utc
from minisoc.correlator.input_formats import INPUT_LOG_TYPES
from minisoc.correlator.model import LogRecord
from minisoc.correlator.sinks.opensearch_bulk import BulkDoc, BulkWriter, IndexTemplate, put_template
from minisoc.correlator.sinks.opensearch_input_templates import input_logs_templates
from minisoc.correlator.sinks.opensearch_templates import zeek_logs_template
from minisoc.correlator.zeek.timestamps import dated_epoch

_UNSAFE_INDEX_CHARS = re.compile(r"[^a-z0-9_]+")
LogIndexCounts = Callable[[dict[str, int], dict[str, int]], None]  # (indexed, rejected) per log type


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
    # syslog and flow records: datasets of their own, in `<prefix>-syslog-*` / `<prefix>-netflow-*`
    input_record = record.log_type in INPUT_LOG_TYPES
    source["event.dataset"] = record.log_type if input_record else f"zeek.{record.log_type}"
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
        on_counts: LogIndexCounts | None = None,
    ) -> None:
        self.client = client
        self.prefix = prefix
        # versioned: a newer minisoc's mapping replaces an older one for the indices made from now on
        template = IndexTemplate(f"{prefix}-logs", zeek_logs_template(prefix), versioned=True)
        self.writer = BulkWriter(client, template, rejected_path=rejected_path, attempts=attempts,
                                 backoff_s=backoff_s)
        # the syslog and netflow templates (more specific than the Zeek one), put before the first write
        self.input_templates = [IndexTemplate(name, body, versioned=True)
                                for name, body in input_logs_templates(prefix).items()]
        self._input_templates_ready = False
        self.indexed = 0
        self.rejected = 0
        self._on_counts = on_counts

    def documents(self, records: Sequence[LogRecord]) -> list[BulkDoc]:
        return [log_document(self.prefix, record) for record in records]

    def write(self, docs: Sequence[BulkDoc]) -> None:
        """Index `docs`; SinkUnavailable when OpenSearch does not take them (the caller buffers)."""
        if not docs:
            return
        if not self._input_templates_ready:
            for input_template in self.input_templates:
                self.writer.retry(functools.partial(put_template, self.client, input_template))
            self._input_templates_ready = True
        outcome = self.writer.write(docs)  # the rejected ones are in the rejected-documents file now
        self.indexed += outcome.created
        self.rejected += len(outcome.rejected)
        if self._on_counts is not None:
            rejected: dict[str, int] = {}
            for doc, _reason in outcome.rejected:
                log_type = str(doc.source.get("event.dataset", "zeek.unknown")).removeprefix("zeek.")
                rejected[log_type] = rejected.get(log_type, 0) + 1
            indexed: dict[str, int] = {}
            refused = {id(doc) for doc, _reason in outcome.rejected}
            for doc in docs:
                if id(doc) not in refused:
                    log_type = str(doc.source.get("event.dataset", "zeek.unknown")).removeprefix("zeek.")
                    indexed[log_type] = indexed.get(log_type, 0) + 1
            self._on_counts(indexed, rejected)
