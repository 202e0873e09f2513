"""`minisoc scenario run` and `reset`: a scenario's intel and evidence into each copy, and out again.

Every copy is checked before anything is written (its profile, a log folder, somewhere for the intel), so a
bad copy stops the run before any copy got half a scenario. The intel goes first: the correlator matches
logs against what it has, and a retro-hunt over the log folder catches what it read before a sync.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from minisoc.errors import MinisocError, UsageError
from minisoc.ops.access import Site, load_site
from minisoc.ops.checks import Check
from minisoc.ops.replay import CommandRunner, replay
from minisoc.review.site import open_review
from minisoc.review.store import StoreReview
from minisoc.scenarios.answers import remove_answers
from minisoc.scenarios.evidence import first_ts, read_evidence, shift_folder, write_fast, write_real
from minisoc.scenarios.intel import IntelFor, IntelTarget, intel_target, load_intel, remove_intel
from minisoc.scenarios.library import LoadedScenario
from minisoc.scenarios.scoring import EVIDENCE_FOLDER, scenario_alerts

EvidenceKind = Literal["auto", "logs", "pcap"]
ALERT_LIMIT = 100_000  # alerts read per copy (newest first): far above what a class produces


@dataclass(frozen=True)
class CopyRun:
    copy: str
    run_dir: Path
    intel: str  # where the intel went
    events: int
    records: int


@dataclass
class CopyReset:
    copy: str
    run_dirs: int = 0
    events: int = 0
    alerts: int = 0
    answers: bool = False
    problems: list[str] = field(default_factory=list)


def one_store(store_url: str | None, copy_dirs: Sequence[Path]) -> None:
    """`--store` names one copy's store: with several copies every one would be graded from it."""
    if store_url is not None and len(copy_dirs) > 1:
        raise UsageError(f"--store: one alert store for {len(copy_dirs)} copies",
                         "add --only K to grade or reset copy K from that store, or leave --store out")


def evidence_root(site: Site, scenario_id: str) -> Path:
    """`<log_dir>/scenarios/<id>`: every run of the scenario in this copy (what grading calls its alerts)."""
    return site.paths.log_dir / EVIDENCE_FOLDER / scenario_id


def _checked_site(site_dir: Path, intel_for: IntelFor) -> tuple[Site, IntelTarget]:
    site = load_site(site_dir)
    if site.profile.sensor.mode == "off":
        raise UsageError(f"{site_dir}: sensor.mode is off, so the correlator reads no Zeek logs",
                         "set sensor.mode: external (or live) in minisoc.yaml")
    return site, intel_for(site)


def evidence_kind(loaded: LoadedScenario, site: Site, wanted: EvidenceKind) -> Literal["logs", "pcap"]:
    """`pcap`: the scenario's captures through the copy's Zeek (asked for, or `auto` and the copy runs a
    live Zeek sensor); `logs`: its pre-made Zeek logs."""
    if wanted == "pcap" or (wanted == "auto" and loaded.pcaps and site.profile.sensor.mode == "live"):
        if not loaded.pcaps:
            raise UsageError(f"--evidence pcap: scenario {loaded.id} ships no captures (evidence/pcap/)",
                             "leave --evidence out: its Zeek logs are replayed")
        return "pcap"
    if not loaded.evidence:
        raise UsageError(
            f"{site.site_dir}: scenario {loaded.id} has captures only, and this copy runs no Zeek sensor "
            f"(sensor.mode: {site.profile.sensor.mode})",
            "run it with --evidence pcap (Zeek in the site's sensor image), or on a lab whose sensor is live")
    return "logs"


def run_scenario(loaded: LoadedScenario, copy_dirs: Sequence[Path], speed: float | None, *,
                 now: datetime | None = None, progress: Callable[[int, int], None] | None = None,
                 intel_for: IntelFor = intel_target, evidence: EvidenceKind = "auto",
                 runner: CommandRunner | None = None) -> list[CopyRun]:
    """The intel into every copy, then the evidence (`evidence_kind`). Zeek logs: `speed` None writes them
    at once, a factor (1.0: real speed, `evidence.parse_speed`) replays them record by record into every
    copy together. Captures: Zeek reads each at once (`minisoc replay`), its logs shifted to now."""
    moment = now or datetime.now(UTC)
    checked = [_checked_site(site_dir, intel_for) for site_dir in copy_dirs]
    kinds = [evidence_kind(loaded, site, evidence) for site, _ in checked]
    files = [read_evidence(path) for path in loaded.evidence]
    stamp = moment.strftime("run-%Y%m%dT%H%M%SZ")
    run_dirs = [evidence_root(site, loaded.id) / stamp for site, _ in checked]
    for run_dir in run_dirs:
        if run_dir.exists() or run_dir.with_name("." + run_dir.name).exists():
            raise UsageError(f"{run_dir}: already there (a run started this second)", "run it again")
    for _, target in checked:
        load_intel(target, loaded.intel, moment)
    start = moment.timestamp()
    logs = [run_dir for run_dir, kind in zip(run_dirs, kinds, strict=True) if kind == "logs"]
    if speed is None:
        for run_dir in logs:
            write_fast(run_dir, files, start - first_ts(files))
    elif logs:
        write_real(logs, files, start, factor=speed, progress=progress)
    records = [sum(len(f.records) for f in files)] * len(checked)
    for index, ((site, _), kind) in enumerate(zip(checked, kinds, strict=True)):
        if kind == "pcap":
            run_dirs[index], records[index] = _replay_captures(loaded, site, start, moment, runner)
    return [CopyRun(site.site_dir.name, run_dir, target.description, len(loaded.intel), count)
            for (site, target), run_dir, count in zip(checked, run_dirs, records, strict=True)]


def _replay_captures(loaded: LoadedScenario, site: Site, start: float, moment: datetime,
                     runner: CommandRunner | None) -> tuple[Path, int]:
    """The captures through the copy's Zeek into `scenarios/<id>/replay-...`; (the first run's folder,
    how many records Zeek wrote)."""
    counted: list[int] = []
    report = replay(site.site_dir, loaded.pcaps, runner=runner, now=lambda: moment,
                    into=f"{EVIDENCE_FOLDER}/{loaded.id}",
                    prepare=lambda staging: counted.append(shift_folder(staging, start)))
    return report.runs[0].folder, sum(counted)


def reset_scenario(loaded: LoadedScenario, copy_dirs: Sequence[Path], *, store_url: str | None = None,
                   intel_for: IntelFor = intel_target) -> list[CopyReset]:
    """Take the scenario out of each copy: its evidence, its intel (a MISP event's sightings go with it),
    its alerts (with the analyst's marks) and the copy's answers to it. A copy whose store cannot be
    reached is reported, the others go on."""
    one_store(store_url, copy_dirs)
    checked = [_checked_site(site_dir, intel_for) for site_dir in copy_dirs]
    results = []
    for site, target in checked:
        result = CopyReset(site.site_dir.name)
        root = evidence_root(site, loaded.id)
        if root.is_dir():
            result.run_dirs = sum(1 for path in root.iterdir() if path.is_dir())
            shutil.rmtree(root)
        try:
            result.events = remove_intel(target, loaded.intel)
        except MinisocError as error:
            result.problems.append("intel: " + " ".join(error.lines()))
        try:
            result.alerts = _delete_alerts(site.site_dir, loaded.id, store_url)
        except MinisocError as error:
            result.problems.append("alerts: " + " ".join(error.lines()))
        result.answers = remove_answers(site.site_dir, loaded.id)
        results.append(result)
    return results


def misp_reset(loaded: LoadedScenario, *, intel_for: IntelFor = intel_target,
               now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Callable[[Site], list[Check]]:
    """The hook `minisoc.lab.reset_copy(site_dir, misp_reset=...)` takes: the copy's MISP back to the
    scenario's start (its events deleted, their sightings with them, and loaded again, freshly stamped)."""

    def reset(site: Site) -> list[Check]:
        target = intel_for(site)
        try:
            removed = remove_intel(target, loaded.intel)
            load_intel(target, loaded.intel, now())
        except MinisocError as error:
            return [Check("misp", False, " ".join(error.lines()), "check that the copy's MISP is up")]
        return [Check("misp", True, f"{loaded.id}: {removed} event(s) removed (sightings with them), "
                                    f"{len(loaded.intel)} loaded again into {target.description}")]

    return reset


def _delete_alerts(site_dir: Path, scenario_id: str, store_url: str | None) -> int:
    review = open_review(site_dir, store_url, None, "ack")  # the user that may change minisoc-alerts*
    try:
        if not isinstance(review, StoreReview):
            raise UsageError(
                f"{review.description}: the alert store is only reachable inside the correlator container, "
                "so its alerts cannot be removed from here",
                "publish OpenSearch (ports.opensearch), or clear the copy with `minisoc down SITE --volumes`",
            )
        docs = review.list_alerts(None, ALERT_LIMIT).docs
        ids = [str(doc.get("event", {}).get("id")) for doc in scenario_alerts(docs, scenario_id)]
        return review.store.delete_alerts(ids) if ids else 0
    finally:
        review.close()
