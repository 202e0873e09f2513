"""`minisoc replay` with a real Docker engine: the real `docker run` argv against a tiny image built here from
the local debian:bookworm-slim (no registry) that holds the Zeek stand-in as /usr/local/zeek/bin/zeek and the
recorded Zeek 8.0.10 logs. Checks what only a real engine shows: the mounts, the read-only root, the user,
the working folder, the intel volume mounted read-only, and the logs landing whole in the log folder."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from minisoc.cli.main import main
from minisoc.profile.load import load_profile

pytestmark = [pytest.mark.integration, pytest.mark.docker]
STANDIN = Path(__file__).resolve().parents[1] / "standins" / "zeek"
IMAGE = "minisoc-test/zeek-standin:8.0.10"
DOCKERFILE = """FROM debian:bookworm-slim
COPY zeek /usr/local/zeek/bin/zeek
COPY logs /usr/local/zeek/share/standin-logs
ENV ZEEK_STANDIN_LOGS=/usr/local/zeek/share/standin-logs
"""


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=300, check=check)


@pytest.fixture
def standin_image(tmp_path: Path, shared_data: Path) -> str:
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(DOCKERFILE)
    shutil.copy(STANDIN, context / "zeek")
    shutil.copytree(shared_data / "zeek" / "json" / "zeek8-pcaps", context / "logs")
    docker("build", "--quiet", "--network", "none", "--tag", IMAGE, str(context),
           "--label", "io.minisoc.test=replay")
    return IMAGE


@pytest.fixture
def site(tmp_path: Path, shared_data: Path) -> Iterator[Path]:
    site = tmp_path / "replaysite"  # `init` draws a new site.id: its own project and intel volume
    assert main(["init", str(site), "--template", "ci", "--non-interactive",
                 "--set", "site.name=replaybox", "--set", f"images.zeek={IMAGE}"]) == 0
    assert main(["render", str(site)]) == 0
    volume = f"{load_profile(site).project_name}_intel"
    docker("volume", "create", volume)
    try:
        docker("run", "--rm", "--network", "none", "-v", f"{volume}:/intel",
               "-v", f"{shared_data / 'zeek' / 'zeek8-pcaps.planted.intel'}:/planted:ro",
               "debian:bookworm-slim", "cp", "/planted", "/intel/minisoc.intel")
        yield site
    finally:
        docker("volume", "rm", "--force", volume, check=False)


def test_replay_runs_the_real_docker_argv_and_the_logs_land_in_the_site(
    standin_image: str, site: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["replay", str(site), str(shared_data / "pcaps" / "sshguess.pcap")])
    out, err = capsys.readouterr()
    assert code == 0, err
    (folder,) = [p for p in (site / "logs" / "zeek").iterdir()]
    assert folder.name.startswith("replay-") and folder.name.endswith("-01-sshguess")
    names = {p.name for p in folder.iterdir()}
    assert {"conn.log", "ssh.log", "notice.log", "intel.log"} <= names  # intel.log: the volume was mounted
    assert (folder / "conn.log").read_bytes() == (
        shared_data / "zeek" / "json" / "zeek8-pcaps" / "sshguess" / "conn.log").read_bytes()
    assert "[ok] sshguess.pcap" in out and "[warn]" not in out
