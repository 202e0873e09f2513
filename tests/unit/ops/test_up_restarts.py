"""`minisoc up` recreates the services whose mounted inputs a render changed, remembered until done."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from minisoc.errors import ServiceError
from minisoc.ops.access import Site
from minisoc.ops.restart import PENDING_KEY, record_restarts, restart_changed, restarts_due
from minisoc.site import SiteLayout


@dataclass
class FakeFiles:
    state: dict[str, Any] = field(default_factory=dict)

    def read_state(self) -> dict[str, Any]:
        return dict(self.state)

    def update_state(self, **values: Any) -> None:
        self.state.update(values)


@dataclass
class FakeProject:
    fail: bool = False
    recreated: list[tuple[list[str], int]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def recreate(self, services: list[str], *, wait_timeout_s: int) -> None:
        if self.fail:
            raise ServiceError("correlator did not become healthy")
        self.recreated.append((list(services), wait_timeout_s))
        self.calls.append(f"recreate {list(services)}")

    def up(self, **_: Any) -> None:
        self.calls.append("up")


@dataclass
class FakeSite:
    services: tuple[str, ...] = ("zeek", "correlator", "opensearch")
    paths: FakeFiles = field(default_factory=FakeFiles)
    compose: FakeProject = field(default_factory=FakeProject)

    def project(self) -> FakeProject:
        return self.compose


def record(site: FakeSite, rendered: dict[str, tuple[str, ...]]) -> dict[str, list[str]]:
    return record_restarts(cast(SiteLayout, site.paths), site.services, rendered)


def test_a_changed_correlator_yaml_recreates_the_correlator_and_nothing_else() -> None:
    site = FakeSite()
    due = record(site, {"correlator": ("correlator/correlator.yaml",)})
    check = restart_changed(cast(Site, site), due, wait_timeout_s=120)
    assert site.compose.recreated == [(["correlator"], 120)]
    assert check is not None and check.ok and check.detail == "correlator (correlator/correlator.yaml)"
    assert site.paths.state[PENDING_KEY] == {}


def test_nothing_changed_restarts_nothing() -> None:
    site = FakeSite()
    assert restart_changed(cast(Site, site), record(site, {}), wait_timeout_s=5) is None
    assert site.compose.recreated == []


def test_a_failed_up_keeps_the_restart_for_the_next_up_whose_render_writes_nothing() -> None:
    site = FakeSite(compose=FakeProject(fail=True))
    due = record(site, {"correlator": ("correlator/correlator.yaml",)})
    with pytest.raises(ServiceError):
        restart_changed(cast(Site, site), due, wait_timeout_s=5)
    site.compose.fail = False
    again = record(site, {})  # the second render finds everything up to date
    restart_changed(cast(Site, site), again, wait_timeout_s=5)
    assert site.compose.recreated == [(["correlator"], 5)]


def test_compose_already_recreates_for_a_changed_definition_or_env_value() -> None:
    rendered = {
        "opensearch": ("compose.yaml",),
        "misp-core": (".env MISP_BASEURL",),
        "zeek": ("compose.yaml", "zeek/site/local.zeek"),
    }
    due = restarts_due(None, rendered, ("opensearch", "misp-core", "zeek"))
    assert due == {"zeek": ["zeek/site/local.zeek"]}


def test_a_pending_restart_of_a_service_the_site_no_longer_runs_is_dropped() -> None:
    pending = {"misp-core": ["misp/certs/cert.pem"], "correlator": ["correlator/correlator.yaml"]}
    assert restarts_due(pending, {}, ("correlator",)) == {"correlator": ["correlator/correlator.yaml"]}
    assert restarts_due("garbage", {}, ("correlator",)) == {}


def test_bring_up_recreates_after_compose_up_what_the_render_asked_for(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The bug: `up` rewrote correlator.yaml, said "all checks passed"; the correlator kept old sources."""
    from minisoc.ops import up
    from minisoc.render.files import RenderResult

    site = FakeSite(services=("correlator",))
    fake = SimpleNamespace(
        services=site.services,
        project=site.project,
        paths=SimpleNamespace(
            site_dir=tmp_path, read_state=site.paths.read_state, update_state=site.paths.update_state
        ),
        profile=SimpleNamespace(
            project_name="p", runs_local_misp=False, ports=SimpleNamespace(misp=None),
            site=SimpleNamespace(topology="single"),
        ),
    )
    result = RenderResult(tmp_path, files=(), written=(), restarts={"correlator": ("correlator.yaml",)})
    monkeypatch.setattr(up, "load_site", lambda _: fake)
    monkeypatch.setattr(up, "render_site", lambda *_, **__: result)
    monkeypatch.setattr(up, "check_identity", lambda *_: None)
    monkeypatch.setattr(up, "build_images", lambda *_, **__: [])
    monkeypatch.setattr(up, "write_override", lambda *_: None)
    report = up.bring_up(tmp_path, progress=lambda _: None)
    assert site.compose.calls == ["up", "recreate ['correlator']"]
    assert [c.name for c in report.checks][-1] == "restarted" and report.ok
