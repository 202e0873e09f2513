"""The layout of a site directory: every file and folder name minisoc gives a site, in one place.

Names are relative to SITE_DIR (POSIX). The ground floor: nothing here imports from minisoc, so every
package may use these names, the correlator library included (it takes `ALERTS_INDEX` as its default).
"""

from __future__ import annotations

from pathlib import PurePosixPath

PROFILE_FILE_NAME = "minisoc.yaml"
COMPOSE_FILE_NAME = "compose.yaml"
ENV_FILE_NAME = ".env"  # 0600: the few secrets compose interpolates (see minisoc.security.secrets)
LOCK_FILE_NAME = "minisoc.lock"
CONFIG_DIR_NAME = "config"  # every file a container mounts
SECRETS_DIR_NAME = "secrets"  # 0700: one file per secret, the canonical copy
PKI_DIR_NAME = "pki"  # the site CA and the service certificates
HOSTS_DIR_NAME = "hosts"  # a distributed site: hosts/<name>/ is the bundle of one host (docs/topology.md)
STATE_DIR_NAME = ".minisoc-state"  # data minisoc writes about the site, never secrets

# verify's last pass, up timings, pending restarts (minisoc.site.paths.SiteLayout.read_state/update_state)
OPS_STATE_FILE = PurePosixPath(STATE_DIR_NAME) / "ops.json"
# the compose override `up` writes when the engine allows fewer open files (minisoc.ops.engine_limits)
ENGINE_LIMITS_FILE = PurePosixPath(STATE_DIR_NAME) / "compose.engine-limits.yaml"

CORRELATOR_CONFIG_FILE = PurePosixPath(CONFIG_DIR_NAME) / "correlator" / "correlator.yaml"
OPENSEARCH_INDEX_TEMPLATES_DIR = PurePosixPath(CONFIG_DIR_NAME) / "opensearch" / "index-templates"
OPENSEARCH_ISM_DIR = PurePosixPath(CONFIG_DIR_NAME) / "opensearch" / "ism"
DASHBOARDS_SAVED_OBJECTS = PurePosixPath(CONFIG_DIR_NAME) / "dashboards" / "saved-objects.ndjson"
CA_CERT_FILE = PurePosixPath(PKI_DIR_NAME) / "ca.crt"

FEED_MANIFEST_NAME = "manifest.json"  # a MISP feed's index of events (intel.local_feed_dir)

ALERTS_INDEX = "minisoc-alerts"  # the OpenSearch index (and index-pattern prefix) the correlator writes

# Inputs next to Zeek (docs/inputs.md): the receivers write JSON lines here, one file per UTC day
SYSLOG_LOG_DIR = PurePosixPath("logs") / "syslog"  # rsyslog: syslog-YYYY-MM-DD.json
NETFLOW_LOG_DIR = PurePosixPath("logs") / "netflow"  # the flow collector: flows-YYYY-MM-DD.json

# A trainer's lab (minisoc lab, docs/training.md): LAB_DIR/lab.yaml and one site directory per copy,
# LAB_DIR/copy-01 ... copy-NN, each a normal SITE_DIR every site command accepts
LAB_MANIFEST_NAME = "lab.yaml"
LAB_COPY_PREFIX = "copy-"
