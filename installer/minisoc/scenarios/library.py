"""Find and load scenarios: the ones shipped in the package (`library/`), or any folder a trainer wrote.

Every problem of a scenario folder is reported at once, one line each, as `<file>: path.to.field: what is
wrong; hint: how to fix` (exit 2), never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from minisoc.errors import Problem, ProfileError, UsageError
from minisoc.ops.replay import PCAP_MAGICS
from minisoc.profile.problems import problems_from_validation
from minisoc.scenarios.evidence import read_evidence
from minisoc.scenarios.model import Scenario

SCENARIO_FILE = "scenario.yaml"
EVIDENCE_DIR = Path("evidence") / "zeek"
PCAP_DIR = Path("evidence") / "pcap"  # captures, replayed through a copy's Zeek when it has a sensor
PCAP_SUFFIXES = (".pcap", ".pcapng")
INTEL_DIR = "intel"
ZEEK_SUFFIXES = (".log", ".log.gz", ".json", ".json.gz")
_SCHEMA_HINT = "docs/scenarios.md lists every field of scenario.yaml"
_FILE_PROBLEMS = (INTEL_DIR, str(EVIDENCE_DIR), str(PCAP_DIR))  # a file's problems, not a field's


class ScenarioError(ProfileError):
    """A scenario folder that cannot be used: one line per problem, each naming its file (`--json`: the
    problems with their paths, as for a profile)."""

    def __init__(self, problems: list[Problem], folder: Path) -> None:
        super().__init__(problems, str(folder / SCENARIO_FILE))
        self.folder = folder

    def lines(self) -> list[str]:
        """`<folder>/scenario.yaml: path.to.field: ...`; a file's problem: `<folder>/intel/x.json: ...`."""
        return [f"{self.folder / p.path}: {p.message}" + (f"; hint: {p.hint}" if p.hint else "")
                if p.path.startswith(_FILE_PROBLEMS) else f"{self.source}: {p}" for p in self.problems]


@dataclass(frozen=True)
class IntelEvent:
    uuid: str
    info: str
    event: dict[str, Any]  # the MISP event (the object inside {"Event": ...})
    path: Path


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    folder: Path
    evidence: tuple[Path, ...]  # Zeek log files, sorted by name
    intel: tuple[IntelEvent, ...]
    pcaps: tuple[Path, ...] = ()  # the captures the logs were made from, when the scenario ships them

    @property
    def id(self) -> str:
        return self.scenario.id


def library_dir() -> Path:
    """The scenarios shipped with minisoc (package data)."""
    return Path(str(resources.files("minisoc.scenarios") / "library"))


def shipped_names() -> list[str]:
    root = library_dir()
    return sorted(path.name for path in root.iterdir() if (path / SCENARIO_FILE).is_file())


def find_scenario(name: str) -> LoadedScenario:
    """A shipped scenario by its id, or a scenario folder given by path."""
    candidate = Path(name)
    if (candidate / SCENARIO_FILE).is_file():
        return load_scenario(candidate)
    shipped = library_dir() / name
    if "/" not in name and (shipped / SCENARIO_FILE).is_file():
        return load_scenario(shipped)
    raise UsageError(
        f"scenario {name}: no such scenario (not a shipped one, and no {SCENARIO_FILE} in a folder of that "
        "name)",
        f"`minisoc scenario list` shows the shipped ones: {', '.join(shipped_names())}; or give the path "
        "of a scenario folder",
    )


def load_scenario(folder: Path) -> LoadedScenario:
    """Read and check a scenario folder; ScenarioError with every problem found."""
    try:
        document = yaml.safe_load((folder / SCENARIO_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        problem = Problem("(file)", f"cannot be read ({error})", "check the path")
        raise ScenarioError([problem], folder) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise ScenarioError([Problem(where, f"not valid YAML ({getattr(error, 'problem', error)})",
                                     "check the indentation and quoting there")], folder) from None
    if not isinstance(document, dict):
        raise ScenarioError([Problem("(top level)", "expected a mapping (id:, title:, brief:, ...)",
                                     _SCHEMA_HINT)], folder)
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as error:
        raise ScenarioError([_scenario_hint(p) for p in problems_from_validation(error, Scenario)],
                            folder) from None
    problems = scenario_problems(scenario, folder)
    evidence = sorted(p for p in (folder / EVIDENCE_DIR).glob("*") if p.name.endswith(ZEEK_SUFFIXES))
    pcaps = sorted(p for p in (folder / PCAP_DIR).glob("*") if p.name.endswith(PCAP_SUFFIXES))
    problems += _evidence_problems(evidence, pcaps)
    events, intel_problems = _read_intel(folder / INTEL_DIR)
    problems += intel_problems
    if events:
        problems += indicator_problems(scenario, events)
    if problems:
        raise ScenarioError(problems, folder)
    return LoadedScenario(scenario, folder, tuple(evidence), tuple(events), tuple(pcaps))


def scenario_problems(scenario: Scenario, folder: Path | None = None) -> list[Problem]:
    """The checks across fields (pure, on a validated scenario)."""
    problems = []
    if folder is not None and folder.name != scenario.id:
        problems.append(Problem("id", f"{scenario.id!r} is not the folder's name {folder.name!r}",
                                "name the folder after the id (commands find scenarios by folder name)"))
    if scenario.duration_minutes is None:
        problems.append(Problem("duration", f"{scenario.duration!r} is not a duration",
                                "write minutes or hours, e.g. 30m or 1h"))
    ids = [item.id for _, item in scenario.items] + [question.id for question in scenario.questions]
    for name in sorted({name for name in ids if ids.count(name) > 1}):
        problems.append(Problem(f"id {name}", "used by more than one item or question",
                                "give every item and question its own id (the answers file uses them)"))
    if scenario.total_points <= 0:
        problems.append(Problem("(points)", "the scenario gives no points", "give items or questions points"))
    elif abs(scenario.passive_score - scenario.computed_passive_score) > 0.05:
        problems.append(Problem(
            "passive_score",
            f"{scenario.passive_score} does not match the points (expected.alerts give "
            f"{scenario.computed_passive_score} % of {scenario.total_points})",
            f"write passive_score: {scenario.computed_passive_score}, or change the points"))
    return problems


def _evidence_problems(evidence: list[Path], pcaps: list[Path]) -> list[Problem]:
    """Every evidence file must read as a Zeek log (what `run` will replay), each under its own name; every
    capture must be a pcap or pcapng file."""
    problems = [Problem(f"{PCAP_DIR}/{path.name}", "not a pcap or pcapng file",
                        "keep captures as tcpdump writes them") for path in pcaps if not is_capture(path)]
    if not evidence and not pcaps:
        return [Problem(str(EVIDENCE_DIR), "no Zeek log files here (*.log, *.json, .gz)",
                        "put the Zeek logs the scenario replays in evidence/zeek/ (and/or captures in "
                        "evidence/pcap/, for copies with a Zeek sensor)")]
    names: set[str] = set()
    for path in evidence:
        where = f"{EVIDENCE_DIR}/{path.name}"
        try:
            read = read_evidence(path)
        except (OSError, UnicodeDecodeError, EOFError, UsageError) as error:
            message = error.message if isinstance(error, UsageError) else str(error)
            problems.append(Problem(where, f"not a Zeek log ({message})",
                                    "keep Zeek's own output: JSON lines, or TSV with its #fields header"))
            continue
        if read.name in names:
            problems.append(Problem(where, f"a second {read.name} (with and without .gz)", "keep one"))
        names.add(read.name)
    return problems


def is_capture(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) in PCAP_MAGICS
    except OSError:
        return False


def intel_values(events: Sequence[IntelEvent]) -> set[str]:
    """Every attribute value of the events (an object's too; both halves of `ip-dst|port`), lower case."""
    values: set[str] = set()
    for intel in events:
        attributes = list(intel.event.get("Attribute") or [])
        for misp_object in intel.event.get("Object") or []:
            attributes += misp_object.get("Attribute") or []
        for attribute in attributes:
            values.update(part.lower() for part in str(attribute.get("value", "")).split("|"))
    return values


def indicator_problems(scenario: Scenario, events: Sequence[IntelEvent]) -> list[Problem]:
    """An item's `match.indicator` must be a value of the scenario's intel: no alert can match it else."""
    known = intel_values(events)
    problems = []
    for kind, item in scenario.items:
        index = getattr(scenario.expected, kind).index(item)
        if item.match.indicator is not None and item.match.indicator.lower() not in known:
            problems.append(Problem(
                f"expected.{kind}.{index}.match.indicator",
                f"{item.match.indicator!r} is in none of the scenario's MISP events (intel/)",
                "check its spelling, or add it as an attribute of an event in intel/"))
    return problems


def _scenario_hint(problem: Problem) -> Problem:
    if problem.hint and "minisoc profile" in problem.hint:
        return Problem(problem.path, problem.message, _SCHEMA_HINT)
    return problem


def _read_intel(folder: Path) -> tuple[list[IntelEvent], list[Problem]]:
    events: list[IntelEvent] = []
    problems: list[Problem] = []
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        return [], [Problem(INTEL_DIR, "no MISP event files here (*.json)",
                            "put the scenario's MISP events, in the MISP feed format, in intel/")]
    for path in files:
        where = f"{INTEL_DIR}/{path.name}"
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            problems.append(Problem(where, f"not JSON ({error})", "write a MISP event: {\"Event\": {...}}"))
            continue
        event = loaded.get("Event") if isinstance(loaded, dict) else None
        if not isinstance(event, dict) or not isinstance(event.get("uuid"), str):
            problems.append(Problem(where, "not a MISP event with a uuid",
                                    'write a MISP feed event: {"Event": {"uuid": ..., "Attribute": [...]}}'))
            continue
        if path.stem != event["uuid"]:
            problems.append(Problem(where, f"the event's uuid is {event['uuid']}",
                                    "name the file <uuid>.json, as MISP feeds do"))
            continue
        events.append(IntelEvent(event["uuid"], str(event.get("info", "")), event, path))
    return events, problems
