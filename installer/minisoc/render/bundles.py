"""One bundle per host of a distributed site: `hosts/<name>/` holds that host's compose.yaml, .env, secrets,
config files and certificates, and nothing of the other hosts (docs/topology.md).

A bundle is cut out of the whole site's render (`RenderedSite`, computed as for one host): the services the
placement gives the host (`minisoc.profile.placement`), the config files under `config/<group>/` of those
services, and only the secrets those services (and `minisoc up` on that host) use. The certificates are
added by `minisoc.render.distributed` once the security step made them.

Kafka brokers, the shipper and the correlator replicas' Kafka settings come from `minisoc.render.scaleout`;
OpenSearch nodes are the whole site's node services (every node on one storage host). A placed service no
template makes is listed under `x-minisoc-pending` (none today).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from minisoc.kafka.cluster import node_name, replication_factor
from minisoc.profile.model import SiteProfile
from minisoc.profile.opensearch_cluster import node_cert_name
from minisoc.profile.placement import Instance, Kind, host_instances
from minisoc.profile.topology import Host
from minisoc.render import scaleout
from minisoc.render.compose import compose_yaml
from minisoc.render.correlator_config import config_yaml, correlator_config
from minisoc.render.files import RenderedFile
from minisoc.render.links import (
    LINK_NETWORK_KEY,
    LINKED,
    endpoints,
    host_project,
    joins_link,
    link_alias,
    link_network,
)
from minisoc.render.secrets import (
    KAFKA_SCRAM_ADMIN,
    MISP_ADMIN_KEY,
    MISP_AUTOMATION_KEY,
    OPENSEARCH_ADMIN,
    SECRETS_GENERATION,
    SecretSpec,
    format_env,
)
from minisoc.render.shipper_config import SHIPPER_CERT
from minisoc.security.cert_specs import (
    CA_NAME,
    DASHBOARDS,
    FEED_SERVER,
    MISP,
    OPENSEARCH_NODE,
    SYSLOG,
)
from minisoc.security.cert_specs import (
    OPENSEARCH_ADMIN as ADMIN_CERT,
)
from minisoc.site.layout import (
    COMPOSE_FILE_NAME,
    CORRELATOR_CONFIG_FILE,
    ENV_FILE_NAME,
    HOSTS_DIR_NAME,
    SECRETS_DIR_NAME,
)

# config/<folder>/ belongs to the host that runs this kind
CONFIG_OWNERS: dict[str, Kind] = {
    "zeek": "zeek",
    "opensearch": "opensearch",
    "dashboards": "dashboards",
    "misp": "misp-core",
    "correlator": "correlator",
    "syslog": "syslog",
    "netflow": "netflow",
}
# secrets `minisoc up` on the host uses itself (provisioning), beyond what its compose.yaml references
OPS_SECRETS: dict[Kind, tuple[SecretSpec, ...]] = {
    "opensearch": (OPENSEARCH_ADMIN,),
    "misp-core": (MISP_ADMIN_KEY, MISP_AUTOMATION_KEY),
    "kafka": (KAFKA_SCRAM_ADMIN,),  # topic provisioning as minisoc-admin
}
# the site PKI's certificates (pki/<name>.crt + .key) each kind mounts; every host gets the CA certificate
CERTS: dict[Kind, tuple[str, ...]] = {
    "opensearch": (OPENSEARCH_NODE, ADMIN_CERT),
    "dashboards": (DASHBOARDS,),
    "feedserver": (FEED_SERVER,),
    "misp-core": (MISP,),
    "syslog": (SYSLOG,),
    "shipper": (SHIPPER_CERT,),
}
REPLICA_VOLUMES = ("correlator-data", "intel")  # a correlator's own state and export: one per replica
MISP_SYNC_FILE = PurePosixPath(SECRETS_DIR_NAME) / "misp-sync-servers.env"
_ENV_REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


def bundle_dir(host: Host) -> PurePosixPath:
    return PurePosixPath(HOSTS_DIR_NAME) / host.name


@dataclass(frozen=True)
class HostBundle:
    host: Host
    compose: dict[str, Any]
    files: tuple[RenderedFile, ...]  # relative to SITE_DIR (under hosts/<name>/)
    secrets: tuple[str, ...]  # the secret names the bundle holds
    certs: tuple[str, ...]  # pki/ file names to copy in once the security step ran
    pending: tuple[str, ...]  # placed services whose stack the other parts add (kafka, shipper, ...)


def instance_spec(instance: Instance, whole: dict[str, Any],
                  profile: SiteProfile | None = None) -> dict[str, Any] | None:
    """The compose spec of one placed instance, from the whole site's compose services (Kafka brokers and
    the shipper from `minisoc.render.scaleout`, given the profile); None when no stack template makes it."""
    if profile is not None and instance.kind == "kafka":
        return scaleout.kafka_spec(profile, instance)
    if profile is not None and instance.kind == "shipper":
        return scaleout.shipper_spec(profile)
    source = "correlator" if instance.kind == "correlator" else instance.name  # replicas: the same spec
    spec: dict[str, Any] | None = copy.deepcopy(whole.get(source))
    if spec is not None and instance.kind == "correlator" and instance.index > 1:
        for mount in spec.get("volumes", []):  # each replica its own state and intel export volumes
            if isinstance(mount, dict) and mount.get("source") in REPLICA_VOLUMES:
                mount["source"] = f"{mount['source']}-{instance.index}"
        spec.pop("ports", None)  # the first replica publishes /healthz; the others have their healthcheck
    return spec


def host_bundle(
    profile: SiteProfile,
    host: Host,
    whole: dict[str, Any],
    site_files: tuple[RenderedFile, ...],
    secret_values: dict[str, str],
) -> HostBundle:
    """The bundle of `host`, from the whole site's compose document, files and secrets."""
    instances = host_instances(profile, host)
    kinds = {instance.kind for instance in instances}
    services: dict[str, Any] = {}
    pending: list[str] = []
    brokers_here = [i.name for i in instances if i.kind == "kafka"]
    # the topics job runs beside the first broker (it needs the correlator's image: a site with Kafka has one)
    topics_job_here = node_name(1) in brokers_here and "correlator" in whole["services"]
    correlators_wait = topics_job_here and len(brokers_here) >= replication_factor(profile.kafka.brokers)
    for instance in instances:
        spec = instance_spec(instance, whole["services"], profile)
        if spec is None:
            pending.append(instance.name)
            continue
        if instance.kind == "correlator":
            spec = scaleout.wire_correlator(spec, instance, brokers_here)
        services[instance.name] = _wire(profile, host, instance, spec)
        if instance.kind == "correlator" and correlators_wait:
            services[instance.name] = scaleout.after_topics_job(services[instance.name])
    if topics_job_here:
        networks = list(services[node_name(1)].get("networks", {}))
        services[scaleout.TOPICS_JOB_SERVICE] = scaleout.topics_job_spec(
            whole["services"]["correlator"], networks, brokers_here)
    document: dict[str, Any] = {"name": host_project(profile, host), "services": services}
    used_volumes = {
        mount["source"]
        for spec in services.values()
        for mount in spec.get("volumes", [])
        if isinstance(mount, dict) and mount.get("type") == "volume"
    }
    if used_volumes:
        known = whole.get("volumes", {})
        labelled = known.get(REPLICA_VOLUMES[0], {})  # every volume of the site carries the same labels
        document["volumes"] = {n: known.get(n, labelled) for n in sorted(used_volumes)}
    used_secrets = sorted({name for spec in services.values() for name in spec.get("secrets", [])})
    if used_secrets:
        declared = {**scaleout.top_level_secrets(used_secrets), **whole.get("secrets", {})}
        document["secrets"] = {n: v for n, v in declared.items() if n in used_secrets}
    if any(LINK_NETWORK_KEY in spec.get("networks", {}) for spec in services.values()):
        document["networks"] = {LINK_NETWORK_KEY: {"external": True, "name": link_network(profile)}}
    if pending:
        document["x-minisoc-pending"] = pending
    root = bundle_dir(host)
    files = [
        RenderedFile(root / file.path, file.data, secret=file.secret, owner_uid=file.owner_uid)
        for file in site_files
        if _config_owner(file.path) in kinds
        and not (file.path == CORRELATOR_CONFIG_FILE and profile.opensearch.enabled)
    ]
    if "correlator" in kinds and profile.opensearch.enabled:
        urls = [_scheme(profile) + "://" + address for address in endpoints(profile, "opensearch")]
        config = correlator_config(profile, urls[0])
        if config.sink.opensearch is not None:
            sink = config.sink.model_copy(
                update={"opensearch": config.sink.opensearch.model_copy(update={"other_urls": urls[1:]})})
            config = config.model_copy(update={"sink": sink})
        for replica in (i for i in instances if i.kind == "correlator"):
            mine = config.model_copy(update={"kafka": scaleout.correlator_kafka(profile, replica)})
            path = CORRELATOR_CONFIG_FILE.parent / scaleout.correlator_config_name(replica)
            files.append(RenderedFile(root / path, config_yaml(mine).encode()))
    site_specific = []
    if "kafka" in kinds:
        site_specific += scaleout.kafka_files(profile, secret_values)
    if topics_job_here:
        site_specific.append(scaleout.topics_job_file(profile))
    if "shipper" in kinds:
        site_specific += scaleout.shipper_files(profile)
    files += [RenderedFile(root / f.path, f.data, secret=f.secret, owner_uid=f.owner_uid)
              for f in site_specific]
    compose_text = compose_yaml(document)
    names = _secret_names(kinds, compose_text, files, secret_values, used_secrets)
    if "misp-core" in kinds:
        files += [
            RenderedFile(root / f.path, f.data, secret=True, owner_uid=f.owner_uid)
            for f in site_files
            if f.path == MISP_SYNC_FILE
        ]
    files += [
        RenderedFile(root / COMPOSE_FILE_NAME, compose_text.encode("utf-8")),
        RenderedFile(
            root / ENV_FILE_NAME,
            format_env({n: secret_values[n] for n in names}).encode("utf-8"),
            secret=True,
        ),
        *(
            RenderedFile(root / SECRETS_DIR_NAME / name, secret_values[name].encode("utf-8"), secret=True,
                         owner_uid=_owner(site_files, name))
            for name in names
        ),
    ]
    certs = [f"{CA_NAME}.crt"] + [f"{cert}.{ext}" for cert in _cert_names(instances)
                                  for ext in ("crt", "key")]
    return HostBundle(host, document, tuple(sorted(files, key=lambda f: str(f.path))), names,
                      tuple(certs), tuple(pending))


def _cert_names(instances: list[Instance]) -> list[str]:
    """The certificates the host's instances mount: per kind (`CERTS`), one per broker and OpenSearch node."""
    names: list[str] = []
    for instance in instances:
        if instance.kind == "kafka":
            mine: tuple[str, ...] = (node_name(instance.index),)
        elif instance.kind == "opensearch":
            mine = (node_cert_name(instance.name), ADMIN_CERT)
        else:
            mine = CERTS.get(instance.kind, ())
        names += [name for name in mine if name not in names]
    return sorted(names)


def _scheme(profile: SiteProfile) -> str:
    return "https" if profile.security.tls.enabled else "http"


def _wire(profile: SiteProfile, host: Host, instance: Instance, spec: dict[str, Any]) -> dict[str, Any]:
    """A service spec made to work inside its host's project: no dependency on a service of another host,
    linked services reachable as the links say (`minisoc.render.links`)."""
    here = {i.name for i in host_instances(profile, host)}
    depends = spec.get("depends_on")
    if isinstance(depends, dict):
        kept = {name: cond for name, cond in depends.items() if name in here}
        if kept:
            spec["depends_on"] = kept
        else:
            spec.pop("depends_on")
    linked = instance.kind in LINKED
    if profile.site.host_links == "docker-network" and linked:
        # the alias on the host's own network too: a client on the same host uses the same endpoint
        spec["networks"] = {"default": {"aliases": [link_alias(instance, host)]}}
    if not joins_link(profile, host, instance):
        return spec
    if profile.site.host_links == "docker-network":
        link: dict[str, Any] = {"aliases": [link_alias(instance, host)]} if linked else {}
        spec["networks"] = {**spec.get("networks", {"default": {}}), LINK_NETWORK_KEY: link}
    else:  # published on the host's every address: TLS with a login (profile checks insist on TLS)
        for port in spec.get("ports", []):
            port["host_ip"] = "0.0.0.0"  # noqa: S104 - a linked service other hosts reach
    return spec


def _config_owner(path: PurePosixPath) -> str | None:
    parts = path.parts
    return CONFIG_OWNERS.get(parts[1]) if len(parts) > 2 and parts[0] == "config" else None


def _secret_names(
    kinds: set[Kind],
    compose_text: str,
    files: list[RenderedFile],
    values: dict[str, str],
    compose_secrets: list[str],
) -> tuple[str, ...]:
    """The bundle's secrets: what its compose.yaml and config files interpolate or mount, what `up`
    provisions with on that host, and the secrets generation (the volume labels' fingerprint)."""
    env_names = set(_ENV_REFERENCE.findall(compose_text))
    for file in files:
        env_names.update(_ENV_REFERENCE.findall(file.data.decode("utf-8", "replace")))
    wanted = {SECRETS_GENERATION.name}
    wanted.update(name for name in values if SecretSpec(name, "token").env_name in env_names)
    wanted.update(compose_secrets)
    for kind in kinds:
        wanted.update(spec.name for spec in OPS_SECRETS.get(kind, ()))
    return tuple(sorted(name for name in wanted if name in values))


def _owner(site_files: tuple[RenderedFile, ...], name: str) -> int | None:
    path = PurePosixPath(SECRETS_DIR_NAME) / name
    return next((f.owner_uid for f in site_files if f.path == path), None)
