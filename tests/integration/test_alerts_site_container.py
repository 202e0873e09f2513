"""`minisoc alerts list/ack SITE_DIR` for a SQLite site: the store lives in the correlator's named volume,
so the host runs the command inside the correlator container (the real minisoc/correlator image).

The alerts are written by `minisoc hunt` run in that container on a real Zeek log and a Zeek intel file of
the site; the project is removed with its volumes at the end. Needs the image (`minisoc images build`)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_support import run_json
from minisoc.cli.main import main
from minisoc.compose import ComposeProject
from minisoc.ops.site_facts import site_project
from minisoc.profile import load_profile
from minisoc.site import site_layout

pytestmark = [pytest.mark.integration, pytest.mark.docker]
SITE = "alertsbox"  # its own compose project (minisoc-alertsbox-<site id>): never the e2e suite's


@pytest.fixture
def site(tmp_path: Path, shared_data: Path) -> Iterator[tuple[Path, ComposeProject]]:
    root = tmp_path / "site"
    argv = ["init", str(root), "--template", "ci", "--non-interactive"]
    for assignment in (
        f"site.name={SITE}",
        "opensearch.enabled=false",
        "correlator.index_logs=false",
        "intel.intel_files=[intel/lab.intel]",
    ):
        argv += ["--set", assignment]
    assert main(argv) == 0
    (root / "intel").mkdir()
    (root / "intel" / "lab.intel").write_text(
        "#fields\tindicator\tindicator_type\tmeta.source\n69.147.64.34\tIntel::ADDR\tlab\n"
    )
    assert main(["render", str(root)]) == 0
    (root / "logs" / "zeek").mkdir(parents=True, exist_ok=True)
    shutil.copy(shared_data / "zeek" / "json" / "zat" / "http.log", root / "logs" / "zeek" / "http.log")
    project = site_project(site_layout(root), load_profile(root).project_name)
    try:
        yield root, project
    finally:
        project.down(volumes=True)


def test_sqlite_site_list_and_ack_through_the_correlator_container(
    site: tuple[Path, ComposeProject], capsys: pytest.CaptureFixture[str]
) -> None:
    root, project = site
    hunt = project.run(
        *("run", "--rm", "--no-deps", "-T", "correlator", "hunt", "--logs", "/logs/zeek/http.log"),
        *("--intel", "/site/intel/lab.intel", "--store", "sqlite:////data/alerts.db", "--json"),
        timeout_s=300,
    )
    written = [json.loads(line) for line in hunt.stdout.splitlines() if line.strip()]
    assert written, hunt.stderr

    docs = run_json(["alerts", "list", str(root), "--json"], capsys)
    assert isinstance(docs, list)
    assert sorted(doc["event"]["id"] for doc in docs) == sorted(doc["event"]["id"] for doc in written)
    assert {doc["threat"]["indicator"]["name"] for doc in docs} == {"69.147.64.34"}

    target = docs[0]["event"]["id"]
    result = run_json(["alerts", "ack", target[:10], str(root), "--false-positive", "--json"], capsys)
    assert result == {
        "id": target,
        "ack": result["ack"],  # type: ignore[index]
        "sighting": "not sent: no MISP configured for this store",
    }
    states = run_json(["alerts", "list", str(root), "--json"], capsys)
    assert {d["event"]["id"]: d["minisoc"]["ack"]["state"] for d in states}[target] == "false_positive"  # type: ignore[attr-defined]

    capsys.readouterr()
    assert main(["alerts", "ack", "ffffffffffffffff", str(root)]) == 2
    assert "not found" in capsys.readouterr().err
