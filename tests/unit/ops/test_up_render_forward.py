"""`minisoc up` renders, then works on what the render held in memory: the site's paths it loaded are
handed to the render (computed once), and the compose document the render wrote is the one the identity
check, the image build and the engine-limits override see; compose.yaml is never read back from disk."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from minisoc.ops import up
from minisoc.render.files import RenderResult


def test_up_hands_render_its_paths_and_uses_the_rendered_compose_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = {"services": {"correlator": {"image": "minisoc/correlator:1.0"}}}
    seen: dict[str, Any] = {}

    def read_back() -> dict[str, Any]:
        raise AssertionError("compose.yaml read back from disk after render")

    paths = SimpleNamespace(
        site_dir=tmp_path, read_state=dict, update_state=lambda **_: None, compose_document=read_back
    )
    site = SimpleNamespace(
        services=("correlator",),
        paths=paths,
        project=lambda: SimpleNamespace(up=lambda **_: None),
        profile=SimpleNamespace(
            project_name="p", runs_local_misp=False, ports=SimpleNamespace(misp=None),
            site=SimpleNamespace(topology="single"),
        ),
    )

    def render(site_dir: Path, profile: object, *, paths: object) -> RenderResult:
        seen["paths"] = paths
        return RenderResult(tmp_path, files=(), written=(), compose=document)

    def identity(site_dir: Path, project: str, compose: dict[str, Any]) -> None:
        seen["identity"] = compose

    def override(files: object, compose: dict[str, Any]) -> None:
        seen["override"] = compose

    def images(tags: set[str]) -> tuple[()]:
        seen["tags"] = tags
        return ()

    monkeypatch.setattr(up, "load_site", lambda _: site)
    monkeypatch.setattr(up, "render_site", render)
    monkeypatch.setattr(up, "check_identity", identity)
    monkeypatch.setattr(up, "images_for_tags", images)
    monkeypatch.setattr(up, "build_images", lambda *_, **__: [])
    monkeypatch.setattr(up, "write_override", override)
    assert up.bring_up(tmp_path, progress=lambda _: None).ok
    assert seen["paths"] is paths
    assert seen["identity"] is document and seen["override"] is document
    assert seen["tags"] == {"minisoc/correlator:1.0"}
