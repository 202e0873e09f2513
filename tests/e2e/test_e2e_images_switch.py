"""MINISOC_E2E_IMAGES chooses the e2e suite's site (no Docker needed here: init and render only)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from e2e_support import images_mode, init_args

from minisoc.cli.main import main


def test_the_default_is_local_and_an_unknown_value_is_refused() -> None:
    assert images_mode({}) == "local" and images_mode({"MINISOC_E2E_IMAGES": ""}) == "local"
    assert images_mode({"MINISOC_E2E_IMAGES": "upstream"}) == "upstream"
    with pytest.raises(ValueError, match="MINISOC_E2E_IMAGES='official'"):
        images_mode({"MINISOC_E2E_IMAGES": "official"})


@pytest.mark.parametrize("mode", ["local", "upstream"])
def test_each_mode_renders_the_site_it_promises(tmp_path: Path, mode: str) -> None:
    site = tmp_path / "site"
    assert main(init_args(site, mode, [19200, 18088, 18089, 18443, 15601])) == 0
    assert main(["render", str(site)]) == 0
    services = yaml.safe_load((site / "compose.yaml").read_text())["services"]
    assert any((site / "logs" / "zeek").iterdir())  # the sample logs: the tests read them
    if mode == "local":
        assert "misp-core" not in services and services["opensearch"]["image"].startswith("minisoc/")
    else:
        assert services["misp-core"]["image"].startswith("ghcr.io/misp/misp-docker/misp-core:")
        assert services["opensearch"]["image"].startswith("opensearchproject/opensearch:")
        assert "dashboards" in services
