"""The one bulk writer of the OpenSearch sinks (alerts, log storage): `_bulk` with `create` semantics,
retries, and documents OpenSearch refuses kept in a file.

- `create` with a deterministic `_id`: 201 created, 409 already there (a replay; the alert sink merges
  those), so writing a batch again adds nothing.
- 429/5xx for the whole request or for single documents, and connection errors, are retried with
  exponential backoff; after `attempts`, SinkUnavailable (the service then keeps the batch in its on-disk
  buffer and delivers it later).
- Any other 4xx for a document (a mapping conflict) is a rejection: it will never be accepted, so it goes to
  the rejected-documents file (JSON lines, fsynced before the caller moves its checkpoint) and is counted.
- The sink's index template is put once, before the first write.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError

from minisoc.correlator.clients.opensearch import call_with_retries, retryable
from minisoc.correlator.typing import SinkUnavailable

log = logging.getLogger(__name__)
_ENCODE = msgspec.json.Encoder().encode  # stateless: one encoder for every request


class BulkDoc(msgspec.Struct, frozen=True):
    """One document for `_bulk`: created only if `id` is not already in `index`."""

    index: str
    id: str
    source: dict[str, Any]


@dataclass
class BulkOutcome:
    created: int = 0
    duplicates: int = 0  # 409: already present (a replay), not an error
    existing: list[BulkDoc] = field(default_factory=list)  # the documents of those 409s
    rejected: list[tuple[BulkDoc, str]] = field(
        default_factory=list
    )  # 4xx other than 409/429: cannot be stored


@dataclass(frozen=True)
class IndexTemplate:
    """The index template a sink's indices take. `versioned`: put again when the one there has an older
    `version` (log storage: new indices take the new mapping, existing ones keep theirs); else put only when
    there is none (alerts: `minisoc up` may have provisioned its own, which is kept)."""

    name: str
    body: dict[str, Any]
    versioned: bool = False


def put_template(client: OpenSearch, template: IndexTemplate) -> None:
    """Put `template` if the cluster has none of that name (or, versioned, an older one)."""
    if not template.versioned:
        if not client.indices.exists_index_template(name=template.name):
            client.indices.put_index_template(name=template.name, body=template.body)
        return
    try:
        reply = client.indices.get_index_template(name=template.name)
        found = reply.get("index_templates") or [{}]
        current = int(found[0].get("index_template", {}).get("version") or 0)
    except NotFoundError:
        current = -1
    if current < int(template.body.get("version") or 0):
        client.indices.put_index_template(name=template.name, body=template.body)


def bulk_body(docs: Sequence[BulkDoc]) -> bytes:
    """The `_bulk` request body: a `create` line and the source, each encoded by msgspec. Handing a list of
    dicts to opensearch-py would encode each with the standard library's json, twice per document: a
    fifth of the live service's CPU per indexed log line (cProfile of bench/live_service.py)."""
    parts: list[bytes] = []
    for doc in docs:
        parts.append(_ENCODE({"create": {"_index": doc.index, "_id": doc.id}}))
        parts.append(_ENCODE(doc.source))
    parts.append(b"")
    return b"\n".join(parts)


def bulk_create(
    client: OpenSearch,
    docs: Sequence[BulkDoc],
    *,
    attempts: int = 4,
    backoff_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> BulkOutcome:
    """`_bulk` with `create` ops: 201 created, 409 already there; 429/5xx and transport errors retried."""
    outcome = BulkOutcome()
    pending = list(docs)
    delay = backoff_s
    for attempt in range(1, attempts + 1):
        body = bulk_body(pending)
        reply = call_with_retries(
            functools.partial(client.bulk, body=body), attempts=attempts, backoff_s=backoff_s, sleep=sleep
        )
        retry: list[BulkDoc] = []
        for doc, item in zip(pending, reply["items"], strict=True):
            result = item.get("create", {})
            status = int(result.get("status", 500))
            if status in (200, 201):
                outcome.created += 1
            elif status == 409:
                outcome.duplicates += 1
                outcome.existing.append(doc)
            elif retryable(status):
                retry.append(doc)
            else:
                outcome.rejected.append((doc, str(result.get("error"))))
        if not retry:
            return outcome
        pending = retry
        if attempt < attempts:
            sleep(delay)
            delay *= 2
    raise SinkUnavailable(
        f"OpenSearch refused {len(pending)} document(s) with 429/5xx after {attempts} attempts"
    )


def keep_rejected(path: Path | None, rejected: Sequence[tuple[BulkDoc, str]]) -> None:
    """Documents OpenSearch never accepts (mapping errors) go to a JSON-lines file: counted, never lost."""
    if not rejected:
        return
    log.error("OpenSearch rejected %d document(s); first reason: %s", len(rejected), rejected[0][1][:300])
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as handle:
        for doc, reason in rejected:
            handle.write(
                msgspec.json.encode(
                    {"index": doc.index, "id": doc.id, "reason": reason, "source": doc.source}
                )
                + b"\n"
            )
        handle.flush()
        os.fsync(handle.fileno())  # the checkpoint moves past these records next: they must outlive a crash


class BulkWriter:
    """What both OpenSearch sinks write through: the template once, `bulk_create`, the rejected file.

    `retry` runs any other call of the sink (the alert sink's reads and merges) under the same attempts,
    backoff and sleep. Counting is the sink's: each counts what its delivery guarantee is about.
    """

    def __init__(
        self,
        client: OpenSearch,
        template: IndexTemplate,
        *,
        rejected_path: Path | None = None,
        attempts: int = 4,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.client = client
        self.template = template
        self.rejected_path = rejected_path
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.sleep = sleep if sleep is not None else time.sleep
        self.template_ready = False

    def retry(self, action: Callable[[], Any]) -> Any:
        """`action()` retried on connection errors and 429/5xx; SinkUnavailable after `attempts`."""
        return call_with_retries(action, attempts=self.attempts, backoff_s=self.backoff_s, sleep=self.sleep)

    def ensure_template(self) -> None:
        if not self.template_ready:
            self.retry(functools.partial(put_template, self.client, self.template))
            self.template_ready = True

    def write(
        self, docs: Sequence[BulkDoc], *, settle: Callable[[BulkOutcome], None] | None = None
    ) -> BulkOutcome:
        """Create `docs`, then `settle(outcome)` (the alert sink merges the 409s and counts), then keep the
        rejected ones in the rejected-documents file. SinkUnavailable when OpenSearch does not take them
        (the caller buffers the batch): raised by `settle` too, it leaves the file untouched, so the batch,
        replayed from the buffer, adds each rejected document to it once."""
        self.ensure_template()
        outcome = bulk_create(
            self.client, docs, attempts=self.attempts, backoff_s=self.backoff_s, sleep=self.sleep
        )
        if settle is not None:
            settle(outcome)
        keep_rejected(self.rejected_path, outcome.rejected)
        return outcome
