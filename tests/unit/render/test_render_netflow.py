"""The flow collector in a rendered site: nfacctd.conf and the compose service (golden), both host ports onto
the one UDP socket, the correlator's read-only view of logs/netflow, the folder owned by the collector."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from minisoc.render import render_site
from render_support import fixed_secret, site_from_template

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "netflow"
UPDATE = os.environ.get("MINISOC_UPDATE_GOLDEN") == "1"


def _render(tmp_path: Path, *assignments: str) -> tuple[Path, dict[str, object]]:
    site, profile = site_from_template(tmp_path, "ci", *assignments)
    render_site(site, profile, secrets=fixed_secret)
    return site, yaml.safe_load((site / "compose.yaml").read_text(encoding="utf-8"))


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs (MINISOC_UPDATE_GOLDEN=1 to update)"


def test_the_collector_service_and_its_config_match_golden(tmp_path: Path) -> None:
    site, compose = _render(tmp_path, "inputs.netflow.enabled=true", "inputs.netflow.retention_days=14")
    services = compose["services"]
    assert isinstance(services, dict)
    _golden("compose.netflow.yaml", yaml.safe_dump(services["netflow"], sort_keys=True))
    _golden("nfacctd.conf", (site / "config" / "netflow" / "nfacctd.conf").read_text(encoding="utf-8"))


def test_both_udp_ports_reach_the_one_socket_and_the_correlator_reads_the_flows(tmp_path: Path) -> None:
    _, compose = _render(tmp_path, "inputs.netflow.enabled=true", "ports.netflow.port=9995",
                         "ports.ipfix.port=4740")
    services = compose["services"]
    assert isinstance(services, dict)
    ports = services["netflow"]["ports"]
    assert [(p["published"], p["target"], p["protocol"], p["host_ip"]) for p in ports] == [
        (9995, 2055, "udp", "127.0.0.1"), (4740, 2055, "udp", "127.0.0.1")]
    correlator_mounts = services["correlator"]["volumes"]
    assert {"type": "bind", "source": "./logs/netflow", "target": "/logs/netflow", "read_only": True} in (
        correlator_mounts)
    collector_mounts = services["netflow"]["volumes"]
    assert any(m["target"] == "/logs/netflow" and not m.get("read_only") for m in collector_mounts)


def test_a_port_set_to_null_is_not_published(tmp_path: Path) -> None:
    _, compose = _render(tmp_path, "inputs.netflow.enabled=true", "ports.ipfix=null")
    services = compose["services"]
    assert isinstance(services, dict)
    assert [p["published"] for p in services["netflow"]["ports"]] == [2055]


def test_off_means_no_service_no_config_no_folder(tmp_path: Path) -> None:
    site, compose = _render(tmp_path)
    services = compose["services"]
    assert isinstance(services, dict)
    assert "netflow" not in services
    assert not (site / "config" / "netflow").exists()
    assert not (site / "logs" / "netflow").exists()


def test_the_flow_folder_belongs_to_the_collector(tmp_path: Path) -> None:
    site, _ = _render(tmp_path, "inputs.netflow.enabled=true")
    info = (site / "logs" / "netflow").stat()
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (10001, 10001, 0o755)
    else:  # only root can give it away: writable for the collector's uid, doctor names the chown
        assert info.st_mode & 0o777 == 0o777
