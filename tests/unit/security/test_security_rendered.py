"""Every template, rendered for real through the CLI: no secret in any rendered file or in what the CLI
printed (text and --json), secrets only in 0600 files, and compose-lint finds nothing above low except the
findings justified in docs/security.md (listed in minisoc/security/compose_lint_justified.yaml)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from minisoc.cli.main import main
from minisoc.security import SecretStore, find_leaks

REPO = Path(__file__).resolve().parents[3]
TEMPLATES = ["small-site", "training-lab", "reference", "ci"]
JUSTIFIED = REPO / "installer" / "minisoc" / "security" / "compose_lint_justified.yaml"
ABOVE_LOW = {"medium", "high", "critical"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """template -> (site dir, all the CLI printed while creating, rendering (twice) and planning it)."""
    sites: dict[str, tuple[Path, str]] = {}
    for template in TEMPLATES:
        site = tmp_path_factory.mktemp(template) / "site"
        printed = io.StringIO()
        for argv in (
            ["init", str(site), "--template", template, "--non-interactive"],
            ["render", str(site)],
            ["render", str(site), "--json"],
            ["plan", str(site)],
        ):
            with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
                code = main(argv)
            assert code == 0, f"minisoc {' '.join(argv)} exited {code}: {printed.getvalue()[-2000:]}"
        sites[template] = (site, printed.getvalue())
    return sites


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_secret_leaves_the_secret_files(template: str, rendered: dict[str, tuple[Path, str]]) -> None:
    site, printed = rendered[template]
    store = SecretStore(site)
    secrets = store.values()
    assert len(secrets) >= 2, "the render generated no secret: nothing would be checked"
    allowed = [site / "secrets", site / ".env", site / "pki"]
    leaks = find_leaks([site], secrets, texts={"CLI output": printed}, exclude=allowed)
    assert leaks == [], "\n".join(map(str, leaks))
    assert (site / ".env").stat().st_mode & 0o777 == 0o600
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in (site / "secrets").iterdir())
    assert (site / "secrets").stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in (site / "pki").glob("*.key"))


def _findings(compose: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "compose_lint",
            "check",
            "--format",
            "json",
            "--fail-on",
            "critical",
            str(compose),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), f"compose-lint failed to run: {done.stderr}"
    report = json.loads(done.stdout)
    assert report["errors"] == [], report["errors"]
    findings: list[dict[str, Any]] = report["findings"]
    return findings


def _justified() -> list[dict[str, str]]:
    entries = yaml.safe_load(JUSTIFIED.read_text())
    assert isinstance(entries, list) and entries
    return entries


def _is_justified(finding: dict[str, Any], entries: list[dict[str, str]]) -> dict[str, str] | None:
    for entry in entries:
        if entry["rule"] == finding["rule_id"] and entry["service"] in ("*", finding["service"]):
            return entry
    return None


@pytest.mark.parametrize("template", TEMPLATES)
def test_no_container_environment_holds_the_opensearch_admin_password(
    template: str, rendered: dict[str, tuple[Path, str]]
) -> None:
    """The admin password lives in secrets/ and as a bcrypt hash in the security config; an environment
    variable would show it to anyone who may run `docker inspect`."""
    site, _ = rendered[template]
    compose = yaml.safe_load((site / "compose.yaml").read_text())
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        values = env.values() if isinstance(env, dict) else env
        assert not [v for v in values if "OPENSEARCH_ADMIN_PASSWORD" in str(v)], name


def test_compose_lint_finds_nothing_above_low_that_is_not_justified(
    rendered: dict[str, tuple[Path, str]],
) -> None:
    entries = _justified()
    used: set[tuple[str, str]] = set()
    unjustified = []
    for template, (site, _) in rendered.items():
        for finding in _findings(site / "compose.yaml"):
            if finding["severity"] not in ABOVE_LOW:
                continue
            entry = _is_justified(finding, entries)
            if entry is None:
                unjustified.append(
                    f"{template}: {finding['service']}: {finding['rule_id']} "
                    f"({finding['severity']}) {finding['message']}"
                )
            else:
                used.add((entry["rule"], entry["service"]))
    assert unjustified == [], "\n".join(unjustified)
    stale = [(e["rule"], e["service"]) for e in entries if (e["rule"], e["service"]) not in used]
    assert stale == [], f"justified findings no template produces any more (remove them): {stale}"


def test_every_justified_finding_is_explained_in_docs_security() -> None:
    doc = (REPO / "docs" / "security.md").read_text()
    for entry in _justified():
        assert entry["rule"] in doc, f"{entry['rule']} is allowed but docs/security.md does not justify it"
        assert entry["reason"].strip()
