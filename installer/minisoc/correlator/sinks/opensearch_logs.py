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
from minisoc.correlator.input_formats import INPUT_LOG_TYPES, parser_for_object, parser_for_text
from minisoc.correlator.malformed import MalformedLine, decode_json_object
from minisoc.correlator.model import LogRecord
from minisoc.correlator.sinks.opensearch_bulk import BulkDoc, BulkWriter, IndexTemplate, put_template
from minisoc.correlator.sinks.opensearch_input_templates import input_logs_templates
from minisoc.correlator.sinks.opensearch_templates import zeek_logs_template
from minisoc.correlator.zeek.timestamps import dated_epoch

_UNSAFE_INDEX_CHARS = re.compile(r"[^a-z0-9_]+")
# what log_document adds to a record's own fields (stored_record takes them off again)
ADDED_FIELDS = ("@timestamp", "event.dataset", "event.original", "event.ingested", "log.file.path",
                "log.offset")
LogIndexCounts = Callable[[dict[str, int], dict[str, int]], None]  # (indexed, rejected) per log type


def log_index_name(prefix: str, record: LogRecord, now: float | None = None) -> str:
    """`zeek-conn-2018.03.24`: the log type (sanitised) and the record's UTC day (today when it has no ts)."""
    log_type = _UNSAFE_INDEX_CHARS.sub("_", record.log_type.lower()) or "unknown"
    epoch = dated_epoch(record.ts)
    if epoch is None:
        epoch = time.time() if now is None else now
    return f"{prefix}-{log_type}-{utc_day(epoch)}"


def utc_day(epoch: float) -> str:
    """`YYYY.MM.DD`, the UTC day of a dated `epoch` (years before 1000 unpadded, as strftime writes them),
    from `time.gmtime`: it runs for every indexed line, and a datetime with its strftime cost twice as
    much. In a day's last second its reference twin answers: the datetime rounds to the microsecond, so
    23:59:59.9999996 is the next day there, where gmtime truncates."""
    day = time.gmtime(epoch)
    if day.tm_sec == 59 and day.tm_min == 59 and day.tm_hour == 23:
        return utc_day_reference(epoch)
    return f"{day.tm_year}.{day.tm_mon:02d}.{day.tm_mday:02d}"


def utc_day_reference(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y.%m.%d")


def log_document(prefix: str, record: LogRecord, ingested: str | None = None) -> BulkDoc:
    """The record as an OpenSearch document: its Zeek fields, `@timestamp`, `event.dataset`, `event.original`,
    `event.ingested` (when given: when the correlator read the line) and `log.*`."""
    source: dict[str, Any] = dict(record.fields)
    epoch = dated_epoch(record.ts)
    if epoch is not None:  # else none: the document keeps the line's own `ts` field
        source["@timestamp"] = iso_utc(epoch)
    # syslog and flow records: datasets of their own, in `<prefix>-syslog-*` / `<prefix>-netflow-*`
    input_record = record.log_type in INPUT_LOG_TYPES
    source["event.dataset"] = record.log_type if input_record else f"zeek.{record.log_type}"
    # the line: a retro-hunt on the cluster rebuilds the record's alert (its id, its event.original) from it
    source["event.original"] = record.raw.decode("utf-8", "replace")
    if ingested is not None and "event.ingested" not in source:  # a syslog record's own: its reception
        source["event.ingested"] = ingested  # the retro-hunt's window: lines read in the last N days
    if record.path is not None:
        source["log.file.path"] = record.path
        if record.offset is not None:
            source["log.offset"] = record.offset
    doc_id = hashlib.sha256(record.log_type.encode() + b"\x1f" + record.raw).hexdigest()[:32]
    return BulkDoc(log_index_name(prefix, record), doc_id, source)


def stored_record(source: dict[str, Any]) -> LogRecord | None:
    """The LogRecord a stored document was made of (log_document's inverse), or None for a document without
    `event.original` (stored by a minisoc before template 3) or not made by log_document."""
    original, dataset = source.get("event.original"), source.get("event.dataset")
    if not isinstance(original, str) or not isinstance(dataset, str):
        return None
    path, offset = source.get("log.file.path"), source.get("log.offset")
    if dataset in INPUT_LOG_TYPES:  # their own fields hold `@timestamp`: parsed again from the line, as read
        return _input_record(original.encode("utf-8"), path if isinstance(path, str) else None,
                             offset if isinstance(offset, int) else None)
    log_type = dataset.removeprefix("zeek.")
    fields = {name: value for name, value in source.items() if name not in ADDED_FIELDS}
    ts = fields.get("ts")
    return LogRecord(log_type, fields, original.encode("utf-8"),
                     path if isinstance(path, str) else None, offset if isinstance(offset, int) else None,
                     ts if isinstance(ts, float) else None)


def _input_record(line: bytes, path: str | None, offset: int | None) -> LogRecord | None:
    """A syslog or flow line parsed by the parser the readers pick for it (input_formats)."""
    try:
        fields = decode_json_object(line) if line.startswith(b"{") else None
        chosen = parser_for_object(fields, path) if fields is not None else parser_for_text(line, path)
        return None if chosen is None else chosen[1].parse(line, offset or 0)
    except MalformedLine:
        return None


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
        ingested = iso_utc(time.time())
        return [log_document(self.prefix, record, ingested) for record in records]

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
