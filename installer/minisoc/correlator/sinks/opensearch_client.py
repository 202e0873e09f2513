"""An OpenSearch client from the correlator config, and `_bulk` with `create` semantics and retries."""

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
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import TransportError

from minisoc.correlator.config import OpenSearchSinkConfig
from minisoc.correlator.typing import SinkUnavailable
from minisoc.site import read_secret
from minisoc.tls import client_context

log = logging.getLogger(__name__)
_RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


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


def open_client(
    config: OpenSearchSinkConfig, timeout_s: float = 10.0, password: str | None = None
) -> OpenSearch:
    """An OpenSearch client for `config` (password given, or read from its secret file; never logged)."""
    auth: tuple[str, str] | None = None
    if password is None and config.password_file is not None:
        password = read_secret(
            config.password_file,
            where=f"sink.opensearch.password_file: {config.password_file}",
            hint="check the secret file mount, its mode and its content",
        )
    if password is not None:
        auth = (config.username, password)
    tls = config.url.startswith("https://")
    # verified: minisoc's one TLS rule (chain and host name); verify_tls false: neither, and no warning
    security: dict[str, Any] = (
        {"ssl_context": client_context(config.ca_file)}
        if tls and config.verify_tls
        else {"verify_certs": False, "ssl_show_warn": False}
    )
    return OpenSearch(
        hosts=[config.url],
        http_auth=auth,
        use_ssl=tls,
        **security,
        timeout=timeout_s,
        max_retries=0,  # retries are ours, with backoff, so that a down cluster is reported as such
    )


def describe_unavailable(error: Exception) -> str:
    """A short reason for logs and /healthz (never the credentials)."""
    if isinstance(error, OpenSearchConnectionError):
        return f"OpenSearch does not answer ({type(error).__name__})"
    if isinstance(error, TransportError):
        return f"OpenSearch answered {error.status_code}: {error.error}"
    return f"{type(error).__name__}: {error}"


def call_with_retries(
    action: Callable[[], Any], *, attempts: int, backoff_s: float, sleep: Callable[[float], None] = time.sleep
) -> Any:
    """Run `action`; on connection errors or 429/5xx retry with exponential backoff, then SinkUnavailable."""
    delay = backoff_s
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except TransportError as error:  # includes ConnectionError (status "N/A")
            status = error.status_code
            retryable = (
                isinstance(error, OpenSearchConnectionError)
                or status in _RETRYABLE_STATUS
                or (isinstance(status, int) and status >= 500)
            )
            if not retryable or attempt == attempts:
                raise SinkUnavailable(describe_unavailable(error)) from error
        sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


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
        body: list[dict[str, Any]] = []
        for doc in pending:
            body.append({"create": {"_index": doc.index, "_id": doc.id}})
            body.append(doc.source)
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
            elif status in _RETRYABLE_STATUS or status >= 500:
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
