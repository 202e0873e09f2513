"""Every compose.yaml of both distributed templates' bundles is accepted by the real `docker compose config`.

The hosts brought up, on their own networks joined only by the link network, and through faults:
tests/e2e/test_e2e_distributed.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from minisoc.profile.create import create_profile
from minisoc.render import render_site

pytestmark = [pytest.mark.integration, pytest.mark.docker]


@pytest.mark.parametrize("template", ["distributed", "distributed-ci"])
def test_every_bundle_validates_with_docker_compose_config(
    tmp_path: Path, template: str, docker_engine: None
) -> None:
    site = tmp_path / template
    _, profile = create_profile(site, template)
    render_site(site, profile)
    for host in profile.hosts:
        bundle = site / "hosts" / host.name
        done = subprocess.run(
            ["docker", "compose", "--project-directory", str(bundle), "-f", str(bundle / "compose.yaml"),
             "--env-file", str(bundle / ".env"), "config", "--format", "json"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert done.returncode == 0, (host.name, done.stderr)
        assert json.loads(done.stdout)["name"] == f"{profile.project_name}-{host.name}"
