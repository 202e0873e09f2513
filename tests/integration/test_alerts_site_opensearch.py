"""`minisoc alerts list/ack` against a real OpenSearch (security off): through `--store URL` and through a
rendered site whose profile publishes OpenSearch on that port with TLS off, and a false-positive sighting
sent to the external MISP of the profile (FakeMispServer: a named fake, MISP cannot run here)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearch_server import OpenSearchServer

from cli_support import run_json
from fakes.misp_server import FakeMispServer
from minisoc.cli.main import main
from minisoc.correlator import Alert, Indicator, LogRecord, Match
from minisoc.correlator.alerts import build_alerts
from minisoc.correlator.clients.opensearch import open_client
from minisoc.correlator.config import OpenSearchSinkConfig
from minisoc.correlator.sinks.opensearch import OpenSearchAlertSink

pytestmark = pytest.mark.integration
KEY = "fake-automation-key-0123456789abcdef0123"
SITE = "alertsite"
INDICATOR = Indicator(
    value="203.0.113.77",
    kind="ip",
    type="ip-dst",
    source="feed",
    event_uuid="5f0c2f4e-0000-4000-8000-00000000e001",
    attribute_uuid="5f0c2f4e-0000-4000-8000-00000000a001",
)


@pytest.fixture
def misp() -> Iterator[FakeMispServer]:
    with FakeMispServer([], KEY) as server:
        server.add_event({"uuid": INDICATOR.event_uuid, "info": "alerts site",
                          "Attribute": [{"uuid": INDICATOR.attribute_uuid, "type": INDICATOR.type,
                                         "value": INDICATOR.value, "to_ids": True}]})
        yield server


def write_alerts(server: OpenSearchServer, count: int) -> list[Alert]:
    """Alerts in the site's alerts index, as the correlator's OpenSearch sink writes them."""
    alerts: list[Alert] = []
    for n in range(count):
        record = LogRecord(
            log_type="conn",
            fields={"id.orig_h": "10.9.0.1", "id.orig_p": 40000 + n, "id.resp_h": INDICATOR.value},
            raw=f"alerts-site line {n}".encode(),
            path="/logs/zeek/conn.log",
            offset=n,
            ts=1_700_000_000.0 + n,
        )
        alerts += build_alerts(record, [Match(INDICATOR, "id.resp_h", INDICATOR.value)], site=SITE)
    sink = OpenSearchAlertSink(open_client(OpenSearchSinkConfig(url=server.url)), "minisoc-alerts")
    sink.write(alerts)
    sink.close()
    return alerts


def make_site(root: Path, server: OpenSearchServer, misp: FakeMispServer) -> Path:
    site = root / "site"
    assignments = [
        f"site.name={SITE}",
        "security.tls.enabled=false",
        f"ports.opensearch.port={server.port}",
        "intel.misp.enabled=true",
        f"intel.misp.url={misp.url}/",
    ]
    argv = ["init", str(site), "--template", "ci", "--non-interactive"]
    for assignment in assignments:
        argv += ["--set", assignment]
    assert main(argv) == 0
    secrets = site / "secrets"
    secrets.mkdir(mode=0o700)
    key = secrets / "misp-automation-key"
    key.write_text(KEY)
    key.chmod(0o600)
    assert main(["render", str(site)]) == 0
    return site


def test_list_and_ack_from_the_host_through_the_site(
    opensearch: OpenSearchServer, misp: FakeMispServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alerts = write_alerts(opensearch, 3)
    mine = {alert.id for alert in alerts}
    site = make_site(tmp_path, opensearch, misp)

    by_url = run_json(["alerts", "list", "--store", opensearch.url, "--json"], capsys)
    by_site = run_json(["alerts", "list", str(site), "--since", "1h", "--json"], capsys)
    assert isinstance(by_url, list) and isinstance(by_site, list)
    assert mine <= {doc["event"]["id"] for doc in by_site}
    assert {doc["event"]["id"] for doc in by_site} <= {doc["event"]["id"] for doc in by_url}
    assert all(doc["minisoc"]["ack"]["state"] == "open" for doc in by_site if doc["event"]["id"] in mine)

    target = sorted(mine)[0]
    result = run_json(["alerts", "ack", target[:12], str(site), "--false-positive", "--json"], capsys)
    assert result == {"id": target, "ack": result["ack"], "sighting": "sent"}  # type: ignore[index]
    assert len(misp.sightings) == 1
    sighting = misp.sightings[0]
    assert str(sighting["type"]) == "1" and sighting["source"] == SITE
    assert sighting["attribute_uuid"] == INDICATOR.attribute_uuid  # sent on the attribute, by its uuid

    states = {
        doc["event"]["id"]: doc["minisoc"]["ack"]["state"]
        for doc in run_json(["alerts", "list", "--store", opensearch.url, "--json"], capsys)  # type: ignore[attr-defined]
    }
    assert states[target] == "false_positive"
    assert [states[other] for other in sorted(mine)[1:]] == ["open", "open"]

    plain = run_json(["alerts", "ack", sorted(mine)[1], str(site), "--json"], capsys)
    assert plain["sighting"] == "not requested" and plain["ack"]["state"] == "acknowledged"  # type: ignore[index]
    assert len(misp.sightings) == 1

    misp.state.events.clear()  # MISP no longer has the attribute: it refuses the sighting (200, a message)
    refused = run_json(["alerts", "ack", sorted(mine)[2], str(site), "--false-positive", "--json"], capsys)
    assert str(refused["sighting"]).startswith("not sent: MISP refused it")  # type: ignore[index]
    assert len(misp.sightings) == 1

    capsys.readouterr()
    assert main(["alerts", "list", str(site)]) == 0
    table = capsys.readouterr().out
    assert target in table and "false_positive" in table
