"""Syslog and flow records through the service into a real OpenSearch: the records indexed in
`<prefix>-syslog-*` / `<prefix>-netflow-*` under their own templates (addresses typed `ip`, the message
searchable by word), their alerts in the alerts index (ECS, `event.dataset` syslog / netflow), nothing twice
on a restart, and the retro-hunt finding them for intel that arrives later."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opensearch_server import OpenSearchServer
from opensearchpy import OpenSearch

from minisoc.correlator.clients.opensearch import open_client
from minisoc.correlator.config import (
    CorrelatorConfig,
    ExportConfig,
    InputDirConfig,
    InputsConfig,
    IntelConfig,
    LogsConfig,
    OpenSearchSinkConfig,
    SightingsConfig,
    SinkConfig,
)
from minisoc.correlator.service.build import build_parts
from minisoc.correlator.service.loop import CorrelatorService

pytestmark = pytest.mark.integration
PREFIX = "inputsit"
ALERTS = "inputsit-alerts"
INTEL = "#fields\tindicator\tindicator_type\tmeta.source\n198.51.100.7\tIntel::ADDR\tsite\n"
LATER = INTEL + "phish.example.net\tIntel::DOMAIN\tsite\n"
SYSLOG = [
    {"minisoc_input": "syslog", "@timestamp": "2026-12-04T21:15:53+00:00", "host": "gw1",
     "from_ip": "192.0.2.7", "program": "sshd", "pid": "812", "facility": "auth", "severity": "info",
     "message": "Failed password for root from 198.51.100.7 port 4711 ssh2", "input": "imudp",
     "protocol": "0"},
    {"minisoc_input": "syslog", "@timestamp": "2026-12-04T21:15:54+00:00", "host": "mx",
     "program": "postfix", "message": "4F2A31C0: client=mail.phish.example.net[192.0.2.25]",
     "input": "imtcp", "protocol": "1"},
]
FLOWS = [
    {"event_type": "purge", "peer_ip_src": "192.0.2.1", "ip_src": "192.0.2.10", "ip_dst": "198.51.100.7",
     "port_src": 51234, "port_dst": 443, "ip_proto": "tcp", "timestamp_start": "2026-12-04 21:15:53.000000",
     "packets": 10, "bytes": 1234},
    {"type": "IPFIX", "time_flow_start_ns": 1796418950000000000, "src_addr": "2001:db8::10",
     "dst_addr": "2001:db8::20", "src_port": 5353, "dst_port": 53, "proto": "UDP", "bytes": 90, "packets": 1},
]


def config_for(root: Path, server: OpenSearchServer) -> CorrelatorConfig:
    (root / "zeek").mkdir()
    (root / "site.intel").write_text(INTEL)
    for name, lines in (("syslog/syslog-2026-12-04.json", SYSLOG), ("netflow/flows-2026-12-04.json", FLOWS)):
        path = root / name
        path.parent.mkdir()
        path.write_text("".join(json.dumps(line) + "\n" for line in lines) + "{truncated\n")
    return CorrelatorConfig(
        site="inputsit", state_dir=root / "state", logs=LogsConfig(dir=root / "zeek"),
        inputs=InputsConfig(syslog=InputDirConfig(dir=root / "syslog"),
                            netflow=InputDirConfig(dir=root / "netflow")),
        intel=IntelConfig(zeek_intel_files=[root / "site.intel"]),
        sink=SinkConfig(kind="opensearch", opensearch=OpenSearchSinkConfig(
            url=server.url, alerts_index=ALERTS, logs_index_prefix=PREFIX)),
        export=ExportConfig(zeek_intel_path=None), sightings=SightingsConfig(enabled=False))


def search(client: OpenSearch, index: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    client.indices.refresh(index=index)
    body = {"query": query or {"match_all": {}}, "size": 100}
    return [hit["_source"] for hit in client.search(index=index, body=body)["hits"]["hits"]]


def run(config: CorrelatorConfig) -> CorrelatorService:
    service = CorrelatorService(build_parts(config))
    service.step()
    return service


def test_records_indexed_alerts_written_and_retro_hunted(opensearch: OpenSearchServer, tmp_path: Path,
                                                         ) -> None:
    client = open_client(OpenSearchSinkConfig(url=opensearch.url))
    config = config_for(tmp_path, opensearch)
    first = run(config)
    first.parts.alerts.close()
    syslog_docs = search(client, f"{PREFIX}-syslog-*")
    flow_docs = search(client, f"{PREFIX}-netflow-*")
    assert len(syslog_docs) == 2 and len(flow_docs) == 2  # every well-formed record; the broken lines counted
    assert {doc["event.dataset"] for doc in syslog_docs} == {"syslog"}  # flat, as the records hold them
    mapping = next(iter(client.indices.get_mapping(index=f"{PREFIX}-netflow-*").values()))["mappings"]
    assert mapping["properties"]["destination"]["properties"]["ip"]["type"] == "ip"
    by_word = search(client, f"{PREFIX}-syslog-*", {"match": {"message": "password"}})
    assert len(by_word) == 1 and by_word[0]["source.ip"] == "198.51.100.7"
    in_range = search(client, f"{PREFIX}-netflow-*", {"term": {"destination.ip": "2001:db8::/32"}})
    assert len(in_range) == 1  # an `ip` field: CIDR queries work

    alerts = search(client, ALERTS)
    assert sorted(doc["event"]["dataset"] for doc in alerts) == ["netflow", "syslog"]
    ssh = next(doc for doc in alerts if doc["event"]["dataset"] == "syslog")
    assert ssh["source"] == {"ip": "198.51.100.7", "port": 4711} and ssh["log"]["syslog"]["appname"] == "sshd"
    assert ssh["threat"]["enrichments"][0]["matched"]["field"] == "source.ip"
    _, health = first.health()
    assert health["components"]["inputs"]["syslog"]["malformed"] == 1
    assert health["components"]["inputs"]["netflow"]["records"] == 2

    second = run(config)  # a restart reads nothing again
    (tmp_path / "site.intel").write_text(LATER)
    second.sync_intel()  # a domain known later: the postfix record names it
    second.parts.alerts.close()
    alerts = search(client, ALERTS)
    assert len(alerts) == 3 and len(search(client, f"{PREFIX}-syslog-*")) == 2
    retro = next(doc for doc in alerts if doc["minisoc"]["retro"])
    assert retro["event"]["dataset"] == "syslog" and retro["source"]["domain"] == "mail.phish.example.net"
    assert retro["threat"]["enrichments"][0]["matched"]["atomic"] == "mail.phish.example.net"
