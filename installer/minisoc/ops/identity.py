"""Before `up` starts anything: are the containers and volumes of this site's compose project its own?

A site's compose project is `minisoc-<name>-<id>` and its volumes carry the site id and a fingerprint of the
secrets they were initialised with (`minisoc.render.identity`). Two ways to meet someone else's data:
a site folder copied (or its minisoc.yaml reused) while the original runs, or a site re-created in the same
place with new secrets over the old volumes: OpenSearch then keeps the old password hashes and never answers
the new ones. Both stop here, at once, with exit 2 and a hint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minisoc.compose.process import run_command
from minisoc.errors import UsageError
from minisoc.render.identity import SECRETS_LABEL, SITE_ID_LABEL

PROJECT_LABEL = "com.docker.compose.project"
VOLUME_LABEL = "com.docker.compose.volume"  # the volume's key in compose.yaml
WORKING_DIR_LABEL = "com.docker.compose.project.working_dir"


@dataclass(frozen=True)
class FoundVolume:
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class FoundContainer:
    name: str
    working_dir: str


def volume_names_argv(project: str) -> list[str]:
    return ["docker", "volume", "ls", "--quiet", "--filter", f"label={PROJECT_LABEL}={project}"]


def volume_inspect_argv(names: Sequence[str]) -> list[str]:
    return ["docker", "volume", "inspect", *names]


def containers_argv(project: str) -> list[str]:
    return [
        "docker",
        "ps",
        "--all",
        "--filter",
        f"label={PROJECT_LABEL}={project}",
        "--format",
        '{{.Names}}\t{{.Label "' + WORKING_DIR_LABEL + '"}}',
    ]


def parse_volumes(inspect_output: str) -> list[FoundVolume]:
    rows: Any = json.loads(inspect_output or "[]")
    return [
        FoundVolume(str(row.get("Name", "")), {str(k): str(v) for k, v in (row.get("Labels") or {}).items()})
        for row in rows
        if isinstance(row, dict)
    ]


def parse_containers(output: str) -> list[FoundContainer]:
    found = []
    for line in output.splitlines():
        name, _, working_dir = line.partition("\t")
        if name.strip():
            found.append(FoundContainer(name.strip(), working_dir.strip()))
    return found


def wanted_volume_labels(compose: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """volume key -> the labels the rendered compose.yaml gives it (only volumes that have labels)."""
    volumes = compose.get("volumes") or {}
    wanted = {}
    for key, spec in volumes.items():
        labels = spec.get("labels") if isinstance(spec, dict) else None
        if isinstance(labels, dict) and labels:
            wanted[str(key)] = {str(k): str(v) for k, v in labels.items()}
    return wanted


def identity_problem(
    site_dir: Path,
    wanted: Mapping[str, Mapping[str, str]],
    volumes: Sequence[FoundVolume],
    containers: Sequence[FoundContainer],
) -> UsageError | None:
    """The first reason this site must not start on what the engine holds, as the error to raise."""
    for container in containers:
        if container.working_dir and Path(container.working_dir) != site_dir:
            return UsageError(
                f"site.id: container {container.name} of this compose project belongs to the site in "
                f"{container.working_dir} (a copy of this site, or this profile reused)",
                f"stop that site (`minisoc down {container.working_dir}`), or give this one its own id: "
                "make new sites with `minisoc init`, never by copying a site folder",
            )
    for volume in volumes:
        labels = wanted.get(volume.labels.get(VOLUME_LABEL, ""))
        if labels is None:
            continue
        theirs = volume.labels.get(SITE_ID_LABEL)
        if theirs != labels.get(SITE_ID_LABEL):
            owner = f"site id {theirs}" if theirs else "no site id: made by an older minisoc or by hand"
            return UsageError(
                f"site.id: docker volume {volume.name} belongs to another site ({owner})",
                f"if that data is not needed, remove it (`docker volume rm {volume.name}`, or "
                "`minisoc down --volumes` on the old site); otherwise run the old site from its own folder",
            )
        if volume.labels.get(SECRETS_LABEL) != labels.get(SECRETS_LABEL):
            return UsageError(
                f"secrets/: docker volume {volume.name} was initialised with other secrets than this site's "
                ".env and secrets/ now hold (the site was re-created over the data of the old one)",
                "keep the old site's data: put its .env and secrets/ back; or drop that data: "
                f"`minisoc down --volumes {site_dir}` (deletes every volume of the site), then `minisoc up`",
            )
    return None


def check_identity(site_dir: Path, project: str, compose: Mapping[str, Any]) -> None:
    """Raise (exit 2) when the engine holds containers or volumes of this project that are not this site's."""
    containers = parse_containers(run_command(containers_argv(project), timeout_s=60).stdout)
    names = run_command(volume_names_argv(project), timeout_s=60).stdout.split()
    volumes = parse_volumes(run_command(volume_inspect_argv(names), timeout_s=60).stdout) if names else []
    problem = identity_problem(site_dir, wanted_volume_labels(compose), volumes, containers)
    if problem is not None:
        raise problem
