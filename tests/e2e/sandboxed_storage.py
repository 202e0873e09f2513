"""The storage host of the distributed e2e with its three OpenSearch nodes, on any engine.

Where the engine allows 65535 open files this is `minisoc up --host NAME` itself. An engine that caps them
lower (a CI sandbox: 20000) cannot run an OpenSearch cluster as rendered, and `up --host` refuses it
(ops/opensearch_cluster.refuse_capped_cluster). There the host is brought up the way `up --host` does it
(render, local images, link network, `compose up --wait`, provisioning), with opensearch_cluster_support's
override written where `up` keeps its engine-limits override, so that every later compose call on the host
(stop, start, status, down) uses it too: nodes in one network namespace with their transport on loopback, a
holder answering as the first node on the host's networks and a relay per other node answering by its alias.
Certificates, the security plugin, replicas and every client's configuration stay as rendered.
"""

from __future__ import annotations

from pathlib import Path

from opensearch_cluster_support import ENOUGH_FILES, NODES, RELAY_SCRIPT, engine_nofile, linked_override

from minisoc.images.build import BuildOptions, build_images
from minisoc.images.catalog import images_for_tags
from minisoc.ops.checks import Check, Report
from minisoc.ops.hosts import (
    bring_up_host,
    distributed_site,
    ensure_link_network,
    provision_storage,
    site_host,
)
from minisoc.render.site import render_site
from minisoc.site import service_images, site_layout

HEADER = "# Written by tests/e2e/sandboxed_storage.py: this engine caps open files below 65535.\n"


def bring_up_storage(site_dir: Path, name: str, wait_timeout_s: int) -> Report:
    site = distributed_site(site_dir)
    target = site_host(site, name)
    compose = render_site(site_dir, site.profile, paths=site.paths).compose[name]
    services = compose["services"]
    build_images(images_for_tags(set(service_images(compose).values())), BuildOptions(only_missing=True),
                 progress=lambda _: None)
    image = str(services["opensearch"]["image"])
    nofile = engine_nofile(image)
    if nofile >= ENOUGH_FILES:
        return bring_up_host(site_dir, name, progress=lambda _: None, wait_timeout_s=wait_timeout_s)
    assert all(node in services for node in NODES), sorted(services)
    files = site_layout(target.folder)
    files.engine_limits_file.parent.mkdir(parents=True, exist_ok=True)
    relay = files.engine_limits_file.parent / "relay.pl"
    relay.write_text(RELAY_SCRIPT, encoding="utf-8")
    networks = list(services["opensearch"]["networks"])
    aliases = {net: [services[node]["networks"][net]["aliases"][0] for node in NODES] for net in networks}
    ports = [int(services[node]["ports"][0]["published"]) for node in NODES]
    override = linked_override(image, ports, nofile, aliases, relay)["text"]
    files.engine_limits_file.write_text(HEADER + override, encoding="utf-8")
    checks = [Check("sandbox", True, f"nodes share one network namespace (engine nofile {nofile})"),
              ensure_link_network(site)]
    target.project().up(wait_timeout_s=wait_timeout_s)
    checks += provision_storage(target)
    return Report(f"up --host {name} (sandboxed)", checks)
