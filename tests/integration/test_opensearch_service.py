"""The correlator service with the OpenSearch sink against a real OpenSearch: alerts and Zeek logs indexed,
then OpenSearch stopped while logs keep arriving and started again: every alert arrives exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
from opensearch_server import OpenSearchServer

from minisoc.correlator import CorrelatorConfig
from minisoc.correlator.clients.opensearch import open_client
from minisoc.correlator.hunt import HuntRequest, run_hunt
from minisoc.correlator.service.build import build_parts
from minisoc.correlator.service.loop import CorrelatorService

pytestmark = pytest.mark.integration
INTEL = (
    "#fields\tindicator\tindicator_type\tmeta.source\n"
    "69.147.64.34\tIntel::ADDR\tlab\n"  # line 1 of zat http.log
    "wensa.at\tIntel::DOMAIN\tlab\n"  # hosts of lines 15-28
)


def test_service_buffers_while_opensearch_is_down(
    opensearch: OpenSearchServer, tmp_path: Path, shared_data: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    source_lines = (shared_data / "zeek" / "json" / "zat" / "http.log").read_text().splitlines(keepends=True)
    (logs / "http.log").write_text("".join(source_lines[:14]))
    (tmp_path / "lab.intel").write_text(INTEL)
    config = CorrelatorConfig.model_validate(
        {
            "site": "lab",
            "state_dir": str(tmp_path / "state"),
            "logs": {"dir": str(logs)},
            "intel": {"zeek_intel_files": [str(tmp_path / "lab.intel")]},
            "sink": {
                "kind": "opensearch",
                "opensearch": {
                    "url": opensearch.url,
                    "alerts_index": "svc-alerts",
                    "logs_index_prefix": "svclogs",
                },
            },
            "sightings": {"enabled": False},
            "export": {"zeek_intel_path": None},
        }
    )
    parts = build_parts(config)
    for writer in (parts.alerts, parts.log_index[1] if parts.log_index else None):
        if writer is not None:
            writer.cooldown_s = 0.0  # retry at once in the test
    service = CorrelatorService(parts)
    service.step()
    client = open_client(config.sink.opensearch)  # type: ignore[arg-type]

    def count(index: str) -> int:
        client.indices.refresh(index=index)
        return int(client.count(index=index)["count"])

    first = count("svc-alerts")
    assert first > 0 and count("svclogs-http-*") == 14
    opensearch.stop()
    try:
        with (logs / "http.log").open("a") as out:
            out.write("".join(source_lines[14:]))
        service.step()  # OpenSearch is down: the batch is buffered on disk and committed
        assert parts.alerts.backlog > 0 and parts.log_index is not None and parts.log_index[1].backlog == 14
        assert service.health()[1]["components"]["sink"]["state"] == "buffering"
    finally:
        opensearch.start()
    service.step()
    expected: list[str] = []
    run_hunt(
        HuntRequest(logs=[str(logs)], intel=[str(tmp_path / "lab.intel")]),
        lambda alerts: expected.extend(a.id for a in alerts),
    )
    assert count("svc-alerts") == len(expected) > first
    ids = {hit["_id"] for hit in client.search(index="svc-alerts", body={"size": 1000})["hits"]["hits"]}
    assert ids == set(expected)
    assert count("svclogs-http-*") == len(source_lines)
    assert parts.alerts.backlog == 0 and parts.log_index[1].backlog == 0
