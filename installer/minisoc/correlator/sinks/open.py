"""Open the alert sink/store a site uses: from the correlator config, or from a `--store` URL.

`sqlite:///relative.db`, `sqlite:////absolute.db` (or a plain path ending in .db/.sqlite): the SQLite store.
`http(s)://[user@]host:port[/index]`: OpenSearch (password from $MINISOC_OPENSEARCH_PASSWORD or a file).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from minisoc.correlator.clients.opensearch import open_client
from minisoc.correlator.config import CorrelatorConfig, OpenSearchSinkConfig
from minisoc.correlator.sinks.opensearch import OpenSearchAlertSink
from minisoc.correlator.sinks.sqlite import SqliteAlertSink
from minisoc.correlator.typing import AlertSink, AlertStore
from minisoc.errors import UsageError
from minisoc.site.layout import ALERTS_INDEX

PASSWORD_ENV = "MINISOC_OPENSEARCH_PASSWORD"  # noqa: S105 - the name of a variable, not a secret
PASSWORD_FILE_ENV = "MINISOC_OPENSEARCH_PASSWORD_FILE"  # noqa: S105


class AlertRepository(AlertSink, AlertStore, Protocol):
    """A sink that can also read its alerts back (both shipped sinks are)."""


def open_opensearch(
    config: OpenSearchSinkConfig, *, rejected_dir: Path | None = None, password: str | None = None
) -> OpenSearchAlertSink:
    rejected = rejected_dir / "rejected-alerts.jsonl" if rejected_dir is not None else None
    return OpenSearchAlertSink(
        open_client(config, password=password), config.alerts_index, rejected_path=rejected
    )


def open_configured_store(config: CorrelatorConfig, *, create: bool = True) -> AlertRepository:
    """The store named by the site's correlator.yaml (`sink.kind`)."""
    if config.sink.kind == "opensearch":
        if config.sink.opensearch is None:
            raise UsageError(
                "sink.opensearch: missing while sink.kind is opensearch",
                "render the site again (`minisoc render`) or set sink.kind: sqlite",
            )
        return open_opensearch(config.sink.opensearch, rejected_dir=config.state_dir)
    return SqliteAlertSink(config.sink.sqlite.path, create=create)


def open_store_url(url: str, *, create: bool = True) -> AlertRepository:
    """The store named by a `--store` URL."""
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/") or path == "/":
            raise UsageError(
                f"--store {url}: not a SQLite URL",
                "use sqlite:///relative/alerts.db or sqlite:////absolute/alerts.db",
            )
        return SqliteAlertSink(Path(path[1:]), create=create)
    if url.startswith(("http://", "https://")):
        config, password = _opensearch_config(url)
        return open_opensearch(config, password=password)
    if url.endswith((".db", ".sqlite", ".sqlite3")):
        return SqliteAlertSink(Path(url), create=create)
    raise UsageError(
        f"--store {url}: unknown kind of store",
        "use sqlite:///alerts.db or https://opensearch-host:9200[/index]",
    )


def _opensearch_config(url: str) -> tuple[OpenSearchSinkConfig, str | None]:
    parts = urlsplit(url)
    if parts.password:
        raise UsageError(
            "--store: do not put a password in the URL (it would show in the process list)",
            f"set {PASSWORD_ENV} or {PASSWORD_FILE_ENV} instead",
        )
    index = parts.path.strip("/") or ALERTS_INDEX
    base = urlunsplit(
        (
            parts.scheme,
            parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else parts.netloc,
            "",
            "",
            "",
        )
    )
    password_file = os.environ.get(PASSWORD_FILE_ENV)
    config = OpenSearchSinkConfig(
        url=base,
        username=parts.username or "admin",
        alerts_index=index,
        password_file=Path(password_file) if password_file else None,
    )
    return config, (None if password_file else os.environ.get(PASSWORD_ENV))
