"""Every config file a container mounts, as RenderedFiles relative to SITE_DIR (see docs/render.md)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import jinja2

from minisoc.profile.model import SiteProfile
from minisoc.profile.opensearch_cluster import replicas
from minisoc.render.correlator_config import correlator_yaml
from minisoc.render.files import RenderedFile
from minisoc.render.netflow_config import NFACCTD_CONFIG_FILE, nfacctd_conf
from minisoc.render.opensearch_assets import (
    RETENTION_POLICY,
    alerts_index_template,
    dashboards_saved_objects,
    dump_json,
    input_logs_index_templates,
    retention_policy,
    zeek_logs_index_template,
)
from minisoc.render.syslog_receiver import CONFIG_FILE as SYSLOG_CONFIG_FILE
from minisoc.render.templating import render_template
from minisoc.render.zeek_sensor import CLUSTER_ZEEK_FILE, REPLAY_HOLD_FILE
from minisoc.site.layout import (
    ALERTS_INDEX,
    CORRELATOR_CONFIG_FILE,
    DASHBOARDS_SAVED_OBJECTS,
    OPENSEARCH_ISM_DIR,
)
from minisoc.site.layout import OPENSEARCH_INDEX_TEMPLATES_DIR as TEMPLATES_DIR


def _text(path: str | PurePosixPath, text: str) -> RenderedFile:
    return RenderedFile(PurePosixPath(path), text.encode("utf-8"))


def config_files(
    environment: jinja2.Environment, context: dict[str, Any], profile: SiteProfile
) -> list[RenderedFile]:
    services = set(profile.enabled_services())
    files: list[RenderedFile] = []
    if profile.sensor.mode != "off":  # the live sensor's scripts, and `minisoc replay`'s in every mode
        local_zeek = render_template(environment, "zeek/local.zeek.j2", context)
        files.append(_text("config/zeek/local.zeek", local_zeek))
        files.append(_text(REPLAY_HOLD_FILE, render_template(environment, "zeek/replay-hold.zeek", context)))
        if context["zeek"]["cluster"] is not None:  # sensor.workers > 1: Zeek's supervisor runs a cluster
            cluster_zeek = render_template(environment, "zeek/cluster.zeek.j2", context)
            files.append(_text(CLUSTER_ZEEK_FILE, cluster_zeek))
    if "opensearch" in services:
        files += [
            _text(node["config"].removeprefix("./"),
                  render_template(environment, "opensearch/opensearch.yml.j2", {**context, "node": node}))
            for node in context["opensearch_nodes"]
        ]
        shards = profile.opensearch.shards
        copies = replicas(profile.opensearch) if profile.opensearch.nodes > 1 else None  # one node: "0-1"
        files += [
            _text(
                "config/opensearch/jvm.options.d/heap.options",
                render_template(environment, "opensearch/heap.options.j2", context),
            ),
            _text(TEMPLATES_DIR / f"{ALERTS_INDEX}.json", dump_json(alerts_index_template(shards, copies))),
            _text(TEMPLATES_DIR / "zeek-logs.json", dump_json(zeek_logs_index_template(shards, copies))),
            *(_text(TEMPLATES_DIR / f"{name}.json", dump_json(body))
              for name, body in input_logs_index_templates(shards, copies).items()),
            _text(
                OPENSEARCH_ISM_DIR / f"{RETENTION_POLICY}.json",
                dump_json(retention_policy(profile.opensearch.retention_days)),
            ),
        ]
    if "dashboards" in services:
        files += [
            _text(
                "config/dashboards/opensearch_dashboards.yml",
                render_template(environment, "opensearch/opensearch_dashboards.yml.j2", context),
            ),
            _text(DASHBOARDS_SAVED_OBJECTS, dashboards_saved_objects()),
        ]
    if "misp-core" in services:
        files.append(_text("config/misp/misp.env", render_template(environment, "misp/misp.env.j2", context)))
    if "correlator" in services:
        files.append(_text(CORRELATOR_CONFIG_FILE, correlator_yaml(profile)))
    if "syslog" in services:
        rsyslog_conf = render_template(environment, "syslog/rsyslog.conf.j2", context)
        files.append(_text(SYSLOG_CONFIG_FILE, rsyslog_conf))
    if "netflow" in services:
        files.append(_text(NFACCTD_CONFIG_FILE, nfacctd_conf(environment, context)))
    return files
