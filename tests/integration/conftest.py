"""Integration fixtures: a real OpenSearch (see opensearch_server.py), started once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from opensearch_server import OpenSearchServer, OpenSearchUnavailable, start_server


@pytest.fixture(scope="session")
def opensearch() -> Iterator[OpenSearchServer]:
    """A running single-node OpenSearch on 127.0.0.1 (security off), stopped and removed at the end."""
    try:
        server = start_server()
    except OpenSearchUnavailable as error:
        pytest.fail(str(error))
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.workdir, ignore_errors=True)
