"""A port reachable from the network is TLS with a login, or refused; `bind` is honoured with `expose`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from minisoc.cli.main import main
from minisoc.profile.create import apply_assignments, template_text
from minisoc.render import render_site
from render_support import fixed_secret, site_from_template


def _compose_ports(site: Path) -> dict[str, list[dict[str, object]]]:
    services = yaml.safe_load((site / "compose.yaml").read_text())["services"]
    return {name: spec.get("ports", []) for name, spec in services.items()}


@pytest.mark.parametrize(
    ("assignments", "expected"),
    [
        pytest.param(
            ["ports.correlator={port: 8088, expose: true}"],
            "error: ports.correlator.expose: the correlator's /healthz and /metrics are plain HTTP without "
            "a login, so it cannot be exposed; hint: keep ports.correlator on 127.0.0.1 and reach it through "
            "an SSH tunnel or a TLS reverse proxy with a login",
            id="correlator",
        ),
        pytest.param(
            ["ports.feedserver={port: 8089, expose: true, bind: 192.0.2.10}"],
            "error: ports.feedserver.expose: the feed server is a plain HTTP file server without a login, so "
            "it cannot be exposed; hint: keep ports.feedserver on 127.0.0.1 and reach it through an SSH "
            "tunnel or a TLS reverse proxy with a login",
            id="feedserver",
        ),
        pytest.param(
            ["ports.feedserver={port: 8089, bind: 192.0.2.10}"],
            "error: ports.feedserver.bind: binding 192.0.2.10 exposes the port to the network; "
            "hint: set expose: true to say so explicitly, or bind 127.0.0.1",
            id="interface-bind-without-expose",
        ),
        pytest.param(
            ["security.tls.enabled=false", "ports.opensearch.expose=true"],
            "error: ports.opensearch.expose: with security.tls.enabled false it is served over plain HTTP "
            "without a login; hint: set security.tls.enabled: true, or drop expose",
            id="opensearch-without-tls",
        ),
    ],
)
def test_plain_http_ports_cannot_be_exposed(
    tmp_path: Path, assignments: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`init` refuses it (nothing written), so does `render` of a hand-edited profile (nothing rendered)."""
    site = tmp_path / "site"
    sets = [arg for assignment in assignments for arg in ("--set", assignment)]
    assert main(["init", str(site), "-t", "ci", "--non-interactive", *sets]) == 2
    assert expected in capsys.readouterr().err.splitlines()
    assert not site.exists()
    site.mkdir()
    (site / "minisoc.yaml").write_text(apply_assignments(template_text("ci"), assignments))  # by hand
    assert main(["render", str(site)]) == 2
    assert expected in capsys.readouterr().err.splitlines()
    assert not (site / "compose.yaml").exists()


def test_bind_is_honoured_with_expose(tmp_path: Path) -> None:
    """expose: true with a bind address publishes on that address, not on every address."""
    site, profile = site_from_template(
        tmp_path, "small-site", "ports.misp.expose=true", "ports.misp.bind=192.0.2.10",
        "ports.dashboards.expose=true",
    )
    render_site(site, profile, secrets=fixed_secret)
    ports = _compose_ports(site)
    assert [(p["host_ip"], p["published"]) for p in ports["misp-core"]] == [("192.0.2.10", 8443)]
    assert [p["host_ip"] for p in ports["dashboards"]] == ["0.0.0.0"]  # expose without bind: every address
    assert [p["host_ip"] for p in ports["correlator"] + ports["opensearch"]] == ["127.0.0.1", "127.0.0.1"]
