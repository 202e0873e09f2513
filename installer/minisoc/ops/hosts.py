"""The hosts of a distributed site (docs/topology.md): `minisoc up/down --host NAME` and the site-wide
`minisoc status`. Each host's bundle (SITE_DIR/hosts/<name>/) is its own compose project; on one machine
(`site.host_links: docker-network`) the projects share one external link network, created here."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minisoc.compose.process import run_command
from minisoc.compose.runner import ComposeProject, ServiceState, wait_until
from minisoc.errors import MinisocError, UsageError
from minisoc.images.build import BuildOptions, build_images
from minisoc.images.catalog import images_for_tags
from minisoc.ops.access import Site, load_site
from minisoc.ops.checks import Check, Report
from minisoc.ops.engine_limits import write_override
from minisoc.ops.kafka_topics import SUMMARY_PREFIX
from minisoc.ops.opensearch_cluster import refuse_capped_cluster
from minisoc.ops.provision import provision_opensearch
from minisoc.ops.site_facts import site_project
from minisoc.ops.up import opensearch_answers
from minisoc.profile.placement import placement
from minisoc.profile.topology import Host
from minisoc.render.bundles import bundle_dir
from minisoc.render.links import host_project, link_network
from minisoc.render.scaleout import TOPICS_JOB_SERVICE
from minisoc.render.site import render_site
from minisoc.site import service_images, site_layout
from minisoc.site.layout import (
    ALERTS_INDEX,
    COMPOSE_FILE_NAME,
    OPENSEARCH_INDEX_TEMPLATES_DIR,
    OPENSEARCH_ISM_DIR,
)

Progress = Callable[[str], None]
SITE_LABEL = "org.minisoc.site"


@dataclass(frozen=True)
class SiteHost:
    """One host of a loaded distributed site: its bundle folder and its compose project."""

    site: Site
    host: Host

    @property
    def folder(self) -> Path:
        return self.site.paths.site_dir / Path(*bundle_dir(self.host).parts)

    def project(self) -> ComposeProject:
        """compose.yaml and .env of the bundle, plus its engine-limits override when `up` wrote one."""
        return site_project(site_layout(self.folder), host_project(self.site.profile, self.host))

    @property
    def services(self) -> list[str]:
        return placement(self.site.profile).get(self.host.name, [])


def distributed_site(site_dir: Path) -> Site:
    site = load_site(site_dir)
    if site.profile.site.topology != "distributed":
        raise UsageError(
            "--host: this site is single-host (site.topology: single)",
            "run the command without --host, or make the site distributed (docs/topology.md)",
        )
    return site


def site_host(site: Site, name: str) -> SiteHost:
    host = next((h for h in site.profile.hosts if h.name == name), None)
    if host is None:
        names = ", ".join(h.name for h in site.profile.hosts)
        raise UsageError(f"--host {name}: no such host in hosts:", f"use one of {names}")
    return SiteHost(site, host)


def network_inspect_argv(name: str) -> list[str]:
    return ["docker", "network", "inspect", "--format", "{{.Name}}", name]


def network_create_argv(name: str, site_label: str) -> list[str]:
    """The link network: a plain bridge, labelled with the site, made once for every host project."""
    label = f"{SITE_LABEL}={site_label}"
    return ["docker", "network", "create", "--driver", "bridge", "--label", label, name]


def ensure_link_network(site: Site) -> Check:
    name = link_network(site.profile)
    try:
        run_command(network_inspect_argv(name), timeout_s=30)
        return Check("link network", True, f"{name} exists")
    except MinisocError:
        run_command(
            network_create_argv(name, site.profile.project_name),
            timeout_s=60,
            hint="check that the Docker engine answers (`minisoc doctor`)",
        )
        return Check("link network", True, f"{name} created")


def bring_up_host(
    site_dir: Path, name: str, *, progress: Progress, wait_timeout_s: int = 600,
    build_options: BuildOptions | None = None,
) -> Report:
    started = time.monotonic()
    site = distributed_site(site_dir)
    target = site_host(site, name)
    progress("rendering the site's bundles")
    result = render_site(site_dir, site.profile, paths=site.paths)
    written = len(result.written)
    checks = [Check("render", True, f"{written} file(s) written" if written else "up to date")]
    compose: dict[str, Any] = result.compose.get(name, {})
    pending = list(compose.get("x-minisoc-pending", []))
    if pending:
        detail = f"{', '.join(pending)}: placed here, not rendered yet"
        checks.append(Check("pending", True, detail, warning=True))
    if not compose.get("services"):
        checks.append(Check("services", True, f"nothing to start on {name} yet"))
        return Report(f"up --host {name}", checks)
    override = write_override(site_layout(target.folder), compose)
    if override is not None:
        checks.append(Check("engine limits", True, "ulimits lowered to the engine's open-files limit"))
        if "opensearch" in compose["services"]:
            refuse_capped_cluster(site, override)  # before anything is made on the engine
    if site.profile.site.host_links == "docker-network" and "networks" in compose:
        checks.append(ensure_link_network(site))
    tags = set(service_images(compose).values())
    built = build_images(images_for_tags(tags), build_options or BuildOptions(only_missing=True),
                         progress=progress)
    images = ", ".join(f"{r.tag} {r.status}" for r in built) or "none needed"
    checks.append(Check("local images", True, images))
    progress(f"docker compose up --wait ({target.project().name})")
    compose_started = time.monotonic()
    target.project().up(wait_timeout_s=wait_timeout_s)
    healthy_after = time.monotonic() - compose_started
    checks.append(Check("services healthy", True, ", ".join(compose["services"]), seconds=healthy_after))
    if TOPICS_JOB_SERVICE in compose["services"]:  # compose ran it to completion (the correlators wait on it)
        logs = target.project().logs(TOPICS_JOB_SERVICE, tail=500)
        checks.append(Check("kafka topics", True, topics_job_summary(logs)))
    if "opensearch" in compose["services"]:
        progress("provisioning OpenSearch")
        checks += provision_storage(target)
    checks.append(Check("total", True, name, seconds=time.monotonic() - started))
    return Report(f"up --host {name}", checks)


def provision_storage(target: SiteHost) -> list[Check]:
    """Once the storage host's OpenSearch answers: its index templates, ISM policies and the alerts index."""
    site = target.site
    wait_until(lambda: opensearch_answers(site), what="OpenSearch cluster health", timeout_s=120,
               interval_s=2, hint=f"check `docker compose -p {target.project().name} logs opensearch`")
    return provision_opensearch(
        site.opensearch(),
        target.folder / Path(*OPENSEARCH_INDEX_TEMPLATES_DIR.parts),
        target.folder / Path(*OPENSEARCH_ISM_DIR.parts),
        ALERTS_INDEX,
    )


def bring_down_host(site_dir: Path, name: str, *, volumes: bool = False) -> Report:
    site = distributed_site(site_dir)
    target = site_host(site, name)
    if not (target.folder / COMPOSE_FILE_NAME).is_file():
        nothing = Check("down", True, "nothing to stop: the host is not rendered")
        return Report(f"down --host {name}", [nothing])
    target.project().down(volumes=volumes)
    detail = "containers, networks and volumes removed" if volumes else "containers and networks removed"
    return Report(f"down --host {name}", [Check("down", True, f"{detail} ({target.project().name})")])


def host_status(target: SiteHost) -> dict[str, Any]:
    """One host: where it is, what is placed on it, and what its project runs when the engine answers."""
    entry: dict[str, Any] = {
        "address": target.host.address,
        "roles": list(target.host.roles),
        "project": target.project().name,
        "placed": target.services,
    }
    if not (target.folder / COMPOSE_FILE_NAME).is_file():
        entry.update(reachable=False, detail="not rendered: run `minisoc render`")
        return entry
    try:
        states = target.project().ps()
    except MinisocError as error:
        entry.update(reachable=False, detail=str(error).splitlines()[0])
        return entry
    entry["reachable"] = True
    entry["services"] = {
        state.service: {"state": state.state, "health": state.health, "ready": _ready(state)}
        for state in states
    }
    return entry


def _ready(state: ServiceState) -> bool:
    """Running and healthy; the one-shot topics job: finished with exit 0."""
    if state.service == TOPICS_JOB_SERVICE:
        return state.state == "exited" and state.exit_code == 0
    return state.ready


def topics_job_summary(logs: str) -> str:
    """The last run's `summary:` line of the topics job (`docker compose logs`: `NAME  | line`).

    A one-shot container that compose starts again keeps the logs of its earlier runs, so only the
    last summary speaks for the run that just ended."""
    summaries = [line.split("|", 1)[-1].strip() for line in logs.splitlines()]
    last = [line for line in summaries if line.startswith(SUMMARY_PREFIX)]
    if not last:
        return "done (no summary line in its log)"
    return last[-1].removeprefix(SUMMARY_PREFIX)


def site_hosts_status(site_dir: Path, only: str | None = None) -> dict[str, Any]:
    site = distributed_site(site_dir)
    hosts = [site_host(site, only)] if only else [SiteHost(site, h) for h in site.profile.hosts]
    return {
        "site": site.profile.site.name,
        "topology": "distributed",
        "host_links": site.profile.site.host_links,
        "hosts": {target.host.name: host_status(target) for target in hosts},
    }


def hosts_status_lines(status: dict[str, Any]) -> list[str]:
    lines = [f"site {status['site']}: distributed ({status['host_links']} links)"]
    for name, entry in status["hosts"].items():
        roles = ", ".join(entry["roles"])
        lines.append(f"host {name} ({entry['address']}; {roles}): project {entry['project']}")
        if not entry["reachable"]:
            placed = ", ".join(entry["placed"]) or "nothing"
            lines.append(f"  unreachable: {entry['detail']}; placed: {placed}")
            continue
        running = entry["services"]
        for service in entry["placed"]:
            state = running.get(service)
            if state is None:
                lines.append(f"  {service:<14} not running")
            else:
                health = f" ({state['health']})" if state["health"] else ""
                lines.append(f"  {service:<14} {state['state']}{health}")
    return lines
