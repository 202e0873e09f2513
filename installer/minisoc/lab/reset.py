"""`minisoc lab reset`: a running copy back to its start in seconds, without rebuilding anything.

What "the start" is: no alerts (so no acks: an ack lives in its alert), no stored Zeek logs, the correlator's
state gone (tail checkpoints, buffers, sync cursors, its SQLite store: it reads every log again), the log and
local feed folders holding exactly the template's sample data again. MISP, when the copy runs one, is reset
by a hook (`MispReset`): `minisoc lab reset` passes `misp_baseline.reset_to_baseline` (the events made after
`lab up` recorded MISP's start are deleted); without one MISP is left as it is, and said so.

Order: the correlator goes first (it would write alerts while they are deleted), its volume is removed, the
indices are deleted and provisioned again, the folders restored, then the correlator starts on a new volume.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from minisoc.compose import argv as compose_argv
from minisoc.compose.process import run_command
from minisoc.errors import MinisocError, UsageError
from minisoc.lab.layout import read_manifest
from minisoc.ops.access import Site, load_site
from minisoc.ops.checks import Check, Report
from minisoc.ops.provision import provision_opensearch
from minisoc.ops.samples import install_samples
from minisoc.site.layout import ALERTS_INDEX, LAB_MANIFEST_NAME

Progress = Callable[[str], None]
# Resets the copy's MISP to the scenario's start (delete the scenario's events and sightings, load them again)
MispReset = Callable[[Site], list[Check]]
CORRELATOR_DATA_VOLUME = "correlator-data"  # stacks/correlator/compose.yaml.j2: the correlator's /data
LOGS_INDEX_PREFIX = "zeek"  # render.correlator_config: zeek-<log type>-YYYY.MM.DD


def volume_name(compose: dict[str, Any], project: str, key: str) -> str:
    """The engine's name of the compose volume `key`: its `name:` when set, else `<project>_<key>`."""
    declared = (compose.get("volumes") or {}).get(key) or {}
    name = declared.get("name") if isinstance(declared, dict) else None
    return str(name) if name else f"{project}_{key}"


def volume_rm_argv(names: Sequence[str]) -> list[str]:
    """`docker volume rm --force NAME...` (no error for a volume that is already gone)."""
    if not names:
        raise ValueError("volume rm needs at least one volume")
    return ["docker", "volume", "rm", "--force", *names]


def reset_index_patterns(alerts_index: str = ALERTS_INDEX, logs_prefix: str = LOGS_INDEX_PREFIX) -> str:
    """The indices a reset deletes: the alerts (acks included) and the stored Zeek logs."""
    return f"{alerts_index}*,{logs_prefix}-*"


def clear_folder(folder: Path) -> int:
    """Remove everything inside `folder` (kept: it is bind-mounted into containers); the count removed."""
    removed = 0
    if not folder.is_dir():
        return 0
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            for child in sorted(entry.rglob("*"), key=lambda path: len(path.parts), reverse=True):
                child.rmdir() if child.is_dir() and not child.is_symlink() else child.unlink()
            entry.rmdir()
        else:
            entry.unlink()
        removed += 1
    return removed


def lab_template(site_dir: Path) -> str | None:
    """The template of the lab `site_dir` is a copy of (its sample data is the copy's start); None if none."""
    lab_dir = site_dir.absolute().parent
    if not (lab_dir / LAB_MANIFEST_NAME).is_file():
        return None
    return read_manifest(lab_dir).template


def _running(site: Site) -> set[str]:
    return {state.service for state in site.project().ps() if state.state == "running"}


def _reset_opensearch(site: Site) -> list[Check]:
    client = site.opensearch()
    rows = client.ok("GET", f"/_cat/indices/{reset_index_patterns()}?format=json&h=index") or []
    names = sorted(str(row["index"]) for row in rows if isinstance(row, dict) and "index" in row)
    if names:
        client.ok("DELETE", "/" + ",".join(names))
    checks = [Check("indices", True, f"{len(names)} deleted (alerts, acks, stored Zeek logs)")]
    provisioned = provision_opensearch(
        client, site.paths.opensearch_index_templates_dir, site.paths.opensearch_ism_dir, ALERTS_INDEX
    )
    return checks + [check for check in provisioned if not check.ok]  # the warnings up reported already


def _reset_folders(site: Site, template: str | None) -> Check:
    removed = clear_folder(site.paths.log_dir)
    if site.paths.local_feed_dir is not None:
        removed += clear_folder(site.paths.local_feed_dir)
    samples = install_samples(site.site_dir, template, site.profile) if template else None
    restored = (
        f"{samples.log_files} sample Zeek log(s) and {samples.feed_events} feed event(s) put back"
        if samples is not None else "no sample data in this template: left empty"
    )  # fmt: skip
    return Check("log and feed folders", True, f"{removed} entries removed, {restored}")


def run_misp_reset(site: Site, misp_reset: MispReset) -> list[Check]:
    """The hook's checks; its error is a failed check, so the correlator is started again all the same."""
    try:
        return misp_reset(site)
    except MinisocError as error:
        return [Check("misp", False, f"MISP was not reset: {error.message}", error.hint)]


def reset_copy(
    site_dir: Path,
    *,
    progress: Progress | None = None,
    misp_reset: MispReset | None = None,
    template: str | None = None,
    wait_timeout_s: int = 300,
) -> Report:
    """Return the running copy at `site_dir` to its start (module docstring); `template`: whose sample data
    is the start (default: the lab's, from LAB_DIR/lab.yaml). The copy must be up (`minisoc lab up`)."""
    say = progress or (lambda _message: None)
    started = time.monotonic()
    site = load_site(site_dir)
    if not site.paths.is_rendered():
        raise UsageError(f"{site_dir}: the copy is not rendered", f"run `minisoc up {site_dir}` first")
    template = template or lab_template(site_dir)
    running = _running(site)
    if "opensearch" in site.services and "opensearch" not in running:
        raise UsageError(
            f"{site_dir}: OpenSearch is not running, so its alerts cannot be reset",
            f"bring the copy up first (`minisoc up {site_dir}`), then reset it",
        )
    checks: list[Check] = []
    project = site.project()
    if "correlator" in site.services:
        say("stopping the correlator")
        project.run(*compose_argv.rm_args(["correlator"]), timeout_s=180)
        volume = volume_name(site.paths.compose_document(), site.profile.project_name, CORRELATOR_DATA_VOLUME)
        run_command(volume_rm_argv([volume]), timeout_s=120)
        checks.append(
            Check("correlator state", True, f"volume {volume} removed (checkpoints, buffers, store)")
        )
    if "opensearch" in site.services:
        say("deleting alerts and stored logs")
        checks += _reset_opensearch(site)
    say("restoring the log and feed folders")
    checks.append(_reset_folders(site, template))
    if site.profile.runs_local_misp:
        if misp_reset is not None:
            say("resetting MISP")
            checks += run_misp_reset(site, misp_reset)
        else:
            checks.append(Check(
                "misp", False, "MISP's events and sightings were kept (no scenario hook given)",
                "`minisoc scenario reset` resets what its scenario loaded", warning=True,
            ))  # fmt: skip
    if "correlator" in site.services:
        say("starting the correlator")
        project.up(wait_timeout_s=wait_timeout_s, services=["correlator"])
        checks.append(Check("correlator", True, "started on a new volume: it reads every log again"))
    return Report("reset", [*checks, Check("reset", True, "done", seconds=time.monotonic() - started)])
