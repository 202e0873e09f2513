"""The one way minisoc talks to OpenSearch: one factory (URL, credentials, CA file) with one TLS rule, the
raw REST answers the host-side checks read, and the one retry rule.

Used by the correlator's sinks (alerts, log storage), by `minisoc alerts` (review/) and by the host-side
checks (ops/: provisioning, up's readiness wait, status, health, verify): the correlator may not import ops,
so this lives here and imports nothing above `minisoc.errors` and `minisoc.tls`.

TLS: an https URL is verified by `minisoc.tls.client_context` (the chain AND the host name, against
`ca_file`, the site CA, or certifi's bundle). Only `verify_tls=False` (correlator.yaml's
`sink.opensearch.verify_tls`, for a foreign cluster) turns both off, without urllib3's warning per request.

Retries are the callers' (`call_with_retries`, with backoff); opensearch-py's own only move a request to
another node of a cluster (`max_retries` = nodes - 1): a cluster that is down is then reported as such, once.

There is no second, plain urllib client: the host-side checks want the HTTP status of every answer (a 404
is an answer: "no such index"), which `OpenSearchRest` reads from the same opensearch-py connection.
"""

from __future__ import annotations

import functools
import json
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import TransportError

from minisoc.correlator.config import OpenSearchSinkConfig
from minisoc.correlator.typing import SinkUnavailable
from minisoc.errors import ServiceError
from minisoc.site import read_secret
from minisoc.tls import client_context

RETRYABLE_STATUS = frozenset({429, 502, 503, 504})
_EVERY_STATUS = range(100, 600)  # OpenSearchRest: every HTTP status is an answer, never an exception


def connect_opensearch(
    url: str,
    *,
    other_urls: Sequence[str] = (),
    username: str | None = None,
    password: str | None = None,  # never logged: messages name the URL and the user only
    ca_file: Path | None = None,
    verify_tls: bool = True,
    timeout_s: float = 10.0,
) -> OpenSearch:
    """The one OpenSearch client factory: basic auth when a password is given, minisoc's TLS rule (https).

    `other_urls`: the cluster's other nodes (same scheme). Requests go round-robin over every node; one that
    does not answer (refused, no such host, 502-504) is marked dead and the same request goes to the next
    node at once, so a cluster with one node down answers without the caller's backoff (opensearch-py's own
    failover: `max_retries` = nodes - 1). With one URL nothing is retried here (`call_with_retries`).
    """
    tls = url.startswith("https://")
    # verified: minisoc's one TLS rule (chain and host name); verify_tls false: neither, and no warning
    security: dict[str, Any] = (
        {"ssl_context": client_context(ca_file)}
        if tls and verify_tls
        else {"verify_certs": False, "ssl_show_warn": False}
    )
    hosts = [url, *other_urls]
    return OpenSearch(
        hosts=hosts,
        http_auth=(username or "", password) if password is not None else None,
        use_ssl=tls,
        **security,
        timeout=timeout_s,
        max_retries=len(hosts) - 1,  # only onto another node; with backoff they are ours (a down cluster
        # is then reported as such, once)
    )


def open_client(
    config: OpenSearchSinkConfig, timeout_s: float = 10.0, password: str | None = None
) -> OpenSearch:
    """A client for the correlator's `sink.opensearch` (password given, or read from its secret file)."""
    if password is None and config.password_file is not None:
        password = read_secret(
            config.password_file,
            where=f"sink.opensearch.password_file: {config.password_file}",
            hint="check the secret file mount, its mode and its content",
        )
    return connect_opensearch(
        config.url,
        other_urls=config.other_urls,
        username=config.username,
        password=password,
        ca_file=config.ca_file,
        verify_tls=config.verify_tls,
        timeout_s=timeout_s,
    )


@dataclass(frozen=True)
class OpenSearchRest:
    """REST calls answered with (HTTP status, decoded body), for provisioning, status, health and verify.

    ServiceError only when nothing answers (with a hint), or from `ok` for an answer other than 2xx.
    """

    base_url: str  # https://127.0.0.1:9200
    username: str | None = None
    password: str | None = None  # never printed: messages name the user only
    ca_file: Path | None = None
    timeout_s: float = 10.0
    other_urls: tuple[str, ...] = ()  # a cluster's other nodes: tried in turn when one does not answer

    @functools.cached_property
    def client(self) -> OpenSearch:
        # the node certificate names 127.0.0.1 and localhost too: the host name is checked like any other
        return connect_opensearch(
            self.base_url,
            other_urls=self.other_urls,
            username=self.username,
            password=self.password if self.username is not None else None,
            ca_file=self.ca_file,
            timeout_s=self.timeout_s,
        )

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, Any]:
        """(status, decoded JSON body or None); raise ServiceError only when nothing answers."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        transport = self.client.transport
        for attempt in range(len(self.other_urls) + 1):  # each node once: the first that answers
            connection = transport.get_connection()
            try:
                status, _headers, raw = connection.perform_request(method, path, body=data,
                                                                   ignore=_EVERY_STATUS)
                return int(status), _decode(raw)
            except OpenSearchConnectionError as error:  # SSLError and ConnectionTimeout included
                if attempt < len(self.other_urls) and _certificate_refusal(error) is None:
                    transport.mark_dead(connection)
                    continue
                raise self._unanswered(error) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _unanswered(self, error: OpenSearchConnectionError) -> ServiceError:
        where = self.base_url + (f" (and {len(self.other_urls)} other node(s))" if self.other_urls else "")
        refused = _certificate_refusal(error)
        if refused is not None:  # chain or host name (minisoc.tls)
            return ServiceError(
                f"OpenSearch at {where}: certificate refused ({refused.verify_message})",
                "an address the certificate does not name goes in security.tls.extra_names "
                "(then `minisoc render` and `minisoc up`); a foreign CA: `minisoc render` again",
            )
        return ServiceError(
            f"OpenSearch at {where} does not answer ({_root_cause(error).__class__.__name__})",
            "check `minisoc status` and `minisoc logs opensearch`",
        )

    def ok(self, method: str, path: str, body: object | None = None) -> Any:
        """The decoded body of a 2xx answer; ServiceError otherwise (the message never holds credentials)."""
        status, decoded = self.request(method, path, body)
        if not 200 <= status < 300:
            reason = _reason(decoded)
            raise ServiceError(
                f"OpenSearch {method} {path}: HTTP {status}{': ' + reason if reason else ''}",
                "check the user's permissions and the request body",
            )
        return decoded


def _causes(error: BaseException) -> list[BaseException]:
    """`error`, then what it wraps: opensearch-py keeps urllib3's error in `info` (its third argument),
    urllib3 keeps the ssl or socket error in its arguments or as the cause."""
    chain: list[BaseException] = []
    todo: list[object] = [error]
    while todo:
        current = todo.pop(0)
        if not isinstance(current, BaseException) or any(current is seen for seen in chain):
            continue
        chain.append(current)
        todo += [*current.args, current.__cause__, current.__context__]
    return chain


def _certificate_refusal(error: BaseException) -> ssl.SSLCertVerificationError | None:
    return next((cause for cause in _causes(error) if isinstance(cause, ssl.SSLCertVerificationError)), None)


def _root_cause(error: BaseException) -> BaseException:
    """The innermost error (ConnectionRefusedError, a timeout...), for a message that says what happened."""
    return _causes(error)[-1]


def _decode(raw: str) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw[:500]


def _reason(decoded: Any) -> str:
    if isinstance(decoded, dict):
        error = decoded.get("error")
        if isinstance(error, dict):
            return str(error.get("reason") or error.get("type") or "")[:300]
        if error:
            return str(error)[:300]
    return ""


def describe_unavailable(error: Exception) -> str:
    """A short reason for logs and /healthz (never the credentials)."""
    if isinstance(error, OpenSearchConnectionError):
        return f"OpenSearch does not answer ({type(error).__name__})"
    if isinstance(error, TransportError):
        return f"OpenSearch answered {error.status_code}: {error.error}"
    return f"{type(error).__name__}: {error}"


def retryable(status: object) -> bool:
    """429 and 5xx: the cluster is busy or failing over, the same request may pass later."""
    return status in RETRYABLE_STATUS or (isinstance(status, int) and status >= 500)


def call_with_retries(
    action: Callable[[], Any], *, attempts: int, backoff_s: float, sleep: Callable[[float], None] = time.sleep
) -> Any:
    """Run `action`; on connection errors or 429/5xx retry with exponential backoff, then SinkUnavailable."""
    delay = backoff_s
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except TransportError as error:  # includes ConnectionError (status "N/A")
            again = isinstance(error, OpenSearchConnectionError) or retryable(error.status_code)
            if not again or attempt == attempts:
                raise SinkUnavailable(describe_unavailable(error)) from error
        sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover
