"""`minisoc up`: render (idempotent), build missing local images, `compose up --wait`, recreate the services
whose mounted inputs changed (ops.restart), then provision."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from minisoc.compose.runner import wait_until
from minisoc.errors import MinisocError, UsageError
from minisoc.images.build import BuildOptions, build_images
from minisoc.images.catalog import images_for_tags
from minisoc.ops.access import Site, load_site
from minisoc.ops.checks import Check, Report
from minisoc.ops.engine_limits import write_override
from minisoc.ops.identity import check_identity
from minisoc.ops.misp_provision import provision_misp
from minisoc.ops.opensearch_cluster import refuse_capped_cluster
from minisoc.ops.provision import provision_opensearch
from minisoc.ops.restart import record_restarts, restart_changed
from minisoc.render.secrets import MISP_ADMIN_KEY, MISP_AUTOMATION_KEY
from minisoc.render.site import render_site
from minisoc.security.secrets import SecretStore
from minisoc.site import service_images
from minisoc.site.layout import ALERTS_INDEX

Progress = Callable[[str], None]


def opensearch_answers(site: Site) -> bool:
    try:
        status, _ = site.opensearch(timeout_s=5).request("GET", "/_cluster/health")
    except MinisocError:
        return False
    return status == 200


def store_automation_key(site: Site, key: str) -> None:
    """The key MISP made for the correlator, into its secret file; the correlator restarts to mount the new
    file (a compose secret is a bind mount of the file as it was when the container started)."""
    SecretStore(site.paths.site_dir).rotate(
        MISP_AUTOMATION_KEY.name, generate=lambda: key, owner_uid=MISP_AUTOMATION_KEY.owner_uid
    )
    if "correlator" in site.services:
        site.project().service_action("restart", "correlator")


def bring_up(
    site_dir: Path,
    *,
    progress: Progress,
    wait_timeout_s: int = 600,
    build_options: BuildOptions | None = None,
) -> Report:
    started = time.monotonic()
    site = load_site(site_dir)
    if site.profile.site.topology == "distributed":
        names = " ".join(host.name for host in site.profile.hosts)
        raise UsageError(
            f"{site_dir}: a distributed site is brought up host by host",
            f"run `minisoc up {site_dir} --host NAME` for each of: {names} (storage, then hubs, then "
            "sensors; docs/topology.md)",
        )
    checks: list[Check] = []
    # Always render: it writes only what changed, never touches an existing secret, and puts back the modes
    # and owners the containers need (a site copied with `cp -r` loses them: OpenSearch cannot read its key).
    progress("rendering the site")
    result = render_site(site_dir, site.profile, paths=site.paths)
    compose = result.compose  # what compose.yaml now holds: never read back from disk
    written = len(result.written)
    checks.append(Check("render", True, f"{written} file(s) written" if written else "up to date"))
    due = record_restarts(site.paths, site.services, result.restarts)
    progress("checking that the project's containers and volumes are this site's")
    check_identity(site.paths.site_dir, site.profile.project_name, compose)
    tags = set(service_images(compose).values())
    options = build_options or BuildOptions(only_missing=True)
    built = build_images(images_for_tags(tags), options, progress=progress)
    checks.append(
        Check("local images", True, ", ".join(f"{r.tag} {r.status}" for r in built) or "none needed")
    )
    override = write_override(site.paths, compose)
    refuse_capped_cluster(site, override)
    if override is not None:
        checks.append(
            Check(
                "engine limits",
                True,
                "ulimits lowered to the engine's open-files limit "
                "(.minisoc-state/compose.engine-limits.yaml)",
            )
        )
    progress("docker compose up --wait")
    compose_started = time.monotonic()
    site.project().up(wait_timeout_s=wait_timeout_s)
    restarted = restart_changed(site, due, wait_timeout_s=wait_timeout_s)
    healthy_after = time.monotonic() - compose_started
    checks.append(Check("services healthy", True, ", ".join(site.services), seconds=healthy_after))
    if restarted is not None:
        checks.append(restarted)
    if "opensearch" in site.services:
        progress("provisioning OpenSearch")
        client = site.opensearch()
        wait_until(
            lambda: opensearch_answers(site),
            what="OpenSearch cluster health",
            timeout_s=120,
            interval_s=2,
            hint="check `minisoc logs opensearch` (security plugin initialisation)",
        )
        checks += provision_opensearch(
            client, site.paths.opensearch_index_templates_dir, site.paths.opensearch_ism_dir, ALERTS_INDEX
        )
    if site.profile.runs_local_misp and site.profile.ports.misp is not None:
        progress("provisioning MISP")
        url = f"https://127.0.0.1:{site.profile.ports.misp.port}"
        checks += provision_misp(
            site.profile,
            url,
            site.read_secret(MISP_ADMIN_KEY.name),
            site.read_secret(MISP_AUTOMATION_KEY.name),
            store_key=lambda key: store_automation_key(site, key),
            ca_file=site.misp_ca_file(),
        )
    total = time.monotonic() - started
    site.paths.update_state(
        last_up=datetime.now(UTC).isoformat(),
        up_to_healthy_s=round(healthy_after, 1),
        up_total_s=round(total, 1),
    )
    return Report("up", checks)
