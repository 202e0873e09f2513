"""The correlator's `correlator.yaml`: a `CorrelatorConfig` built from the profile, with container paths."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import yaml

from minisoc.correlator.config import (
    CorrelatorConfig,
    ExportConfig,
    FeedConfig,
    HousekeepingConfig,
    HttpConfig,
    InputDirConfig,
    InputsConfig,
    IntelConfig,
    LogsConfig,
    MispApiConfig,
    OpenSearchSinkConfig,
    SightingsConfig,
    SinkConfig,
)
from minisoc.profile.model import SiteProfile
from minisoc.profile.opensearch_cluster import opensearch_services
from minisoc.render.opensearch_assets import LOGS_INDEX_PREFIX
from minisoc.render.opensearch_nodes import local_nodes, node_urls
from minisoc.render.secrets import MISP_AUTOMATION_KEY, OPENSEARCH_CORRELATOR
from minisoc.site.layout import ALERTS_INDEX, NETFLOW_LOG_DIR, SYSLOG_LOG_DIR

LOCAL_FEED_NAME = "local"
LOCAL_FEED_URL = "http://feedserver:8080/"
LOCAL_MISP_URL = "https://misp-core/"
SITE_MOUNT = Path("/site")  # SITE_DIR files the correlator reads (intel files, warninglists)
CA_FILE = Path("/certs/ca.crt")
SECRETS_MOUNT = Path("/run/secrets")
# SITE_DIR folders the input receivers write (docs/inputs.md), read-only at /<folder> in the correlator
INPUT_LOG_DIRS: dict[str, PurePosixPath] = {"syslog": SYSLOG_LOG_DIR, "netflow": NETFLOW_LOG_DIR}


def input_dir_in_container(folder: PurePosixPath) -> Path:
    return Path("/").joinpath(*folder.parts)  # logs/syslog -> /logs/syslog


def site_file_in_container(relative: PurePosixPath) -> Path:
    return SITE_MOUNT.joinpath(*relative.parts)


def housekeeping(profile: SiteProfile) -> HousekeepingConfig | None:
    """Rotated logs are the correlator's to gzip and prune only when this site's own Zeek writes them (a Zeek
    without zeekctl rotates in place and never compresses nor deletes); an external sensor manages its own."""
    if "zeek" not in profile.enabled_services():
        return None
    return HousekeepingConfig(retention_days=profile.sensor.retention_days)


def correlator_config(profile: SiteProfile, opensearch_url: str | None = None) -> CorrelatorConfig:
    """The correlator's config; `opensearch_url`: where a distributed site's hub reaches the storage
    (minisoc.render.links), else the service on the stack's own network."""
    services = set(profile.enabled_services())
    tls = profile.security.tls.enabled
    site_pki = tls and "opensearch" in services  # when the render issues the site's certificates
    feeds = [FeedConfig(name=feed.name, url=str(feed.url)) for feed in profile.intel.feeds]
    if "feedserver" in services:
        feeds.append(FeedConfig(name=LOCAL_FEED_NAME, url=LOCAL_FEED_URL))
    misp = None
    if profile.intel.misp.enabled:
        external = profile.intel.misp.url
        ca_file = profile.intel.misp.ca_file
        misp = MispApiConfig(
            url=str(external) if external is not None else LOCAL_MISP_URL,
            key_file=SECRETS_MOUNT / MISP_AUTOMATION_KEY.name,
            # the local MISP answers with the site PKI's `misp` certificate (names misp-core) when the site
            # has a PKI (TLS on, OpenSearch in the site); without one, with misp-docker's self-signed one
            verify_tls=profile.intel.misp.verify_tls if external is not None else site_pki,
            ca_file=(site_file_in_container(ca_file) if external is not None and ca_file is not None
                     else CA_FILE if external is None and site_pki else None),
            include_unpublished_edits=profile.intel.misp.include_unpublished_edits,
        )
    intel = IntelConfig(
        feeds=feeds,
        misp=misp,
        zeek_intel_files=[site_file_in_container(path) for path in profile.intel.intel_files],
        warninglists=[site_file_in_container(path) for path in profile.intel.warninglists],
        sync_interval_s=float(profile.intel.sync_interval),
        retro_hunt_days=profile.intel.retro_hunt_days,
    )
    if "opensearch" in services:
        urls = node_urls(local_nodes(opensearch_services(profile)), "https" if tls else "http")
        sink = SinkConfig(
            kind="opensearch",
            opensearch=OpenSearchSinkConfig(
                url=opensearch_url or urls[0],
                other_urls=[] if opensearch_url else urls[1:],
                username="correlator",
                password_file=SECRETS_MOUNT / OPENSEARCH_CORRELATOR.name,
                ca_file=CA_FILE if tls else None,
                verify_tls=tls,
                alerts_index=ALERTS_INDEX,
                logs_index_prefix=LOGS_INDEX_PREFIX,
                index_logs=profile.correlator.index_logs,
            ),
        )
    else:
        sink = SinkConfig(kind="sqlite")
    syslog_dir, netflow_dir = (input_dir_in_container(folder) for folder in (SYSLOG_LOG_DIR, NETFLOW_LOG_DIR))
    inputs = InputsConfig(
        syslog=InputDirConfig(dir=syslog_dir) if "syslog" in services else None,
        netflow=InputDirConfig(dir=netflow_dir) if "netflow" in services else None,
    )
    return CorrelatorConfig(
        site=profile.site.name,
        inputs=inputs,
        logs=LogsConfig(dir=Path("/logs/zeek"), housekeeping=housekeeping(profile),
                        ignore_notices=list(profile.correlator.ignore_notices)),
        intel=intel,
        sink=sink,
        sightings=SightingsConfig(enabled=profile.intel.misp.enabled, source=profile.site.name),
        export=ExportConfig(
            zeek_intel_path=Path("/intel/minisoc.intel"),
            max_items=profile.sensor.zeek_intel.max_items,
            policy=profile.sensor.zeek_intel.policy,
        ),
        http=HttpConfig(bind="0.0.0.0", port=8080),  # noqa: S104 - inside the container; published on 127.0.0.1
    )


def correlator_yaml(profile: SiteProfile, opensearch_url: str | None = None) -> str:
    return config_yaml(correlator_config(profile, opensearch_url))


def config_yaml(config: CorrelatorConfig) -> str:
    header = (
        "# Rendered by `minisoc render` (minisoc.correlator.config.CorrelatorConfig): do not edit,\n"
        "# change minisoc.yaml and render again. Paths are as the correlator container sees them.\n"
    )
    document = config.model_dump(mode="json")
    return header + yaml.safe_dump(document, sort_keys=True, default_flow_style=False)
