"""Values the syslog receiver's templates need (stacks/syslog: rsyslog.conf and its compose service).

The receiver writes `logs/syslog/syslog-YYYY-MM-DD.json` (docs/inputs.md); its container ports are fixed and
unprivileged (the container has no capability), the host ports are the profile's `ports.syslog_*`. The TLS
listener (RFC 5425) runs when the site has a PKI (security.tls.enabled): its certificate is the site's
`syslog` one (security/cert_specs.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from minisoc.profile.model import SiteProfile
from minisoc.security.cert_specs import SYSLOG_UID
from minisoc.site.layout import SYSLOG_LOG_DIR

CONFIG_FILE = "config/syslog/rsyslog.conf"  # SITE_DIR-relative, mounted read-only
CONFIG_TARGET = "/config/rsyslog.conf"
CERTS_TARGET = "/certs"
CONTAINER_PORTS = {"syslog_udp": 5514, "syslog_tcp": 5601, "syslog_tls": 6514}
# tls_client_auth -> the GnuTLS stream driver's auth mode. rsyslog has no "verify when offered" mode: with
# `optional` the listener asks for no certificate (anon) and a client without one is let in (docs/syslog.md).
AUTH_MODES = {"none": "anon", "optional": "anon", "required": "x509/certvalid"}
QUEUE_MAX_DISK_MB = 1024  # the disk-assisted queue's spill on the spool volume, before anything is dropped


def syslog_context(profile: SiteProfile, tls: bool) -> dict[str, Any]:
    """What stacks/syslog/*.j2 read: limits, the TLS listener, the retention the container prunes by."""
    settings = profile.inputs.syslog
    return {
        "max_message_bytes": settings.max_message_bytes,
        "retention_days": settings.retention_days,
        "tls": tls,
        "auth_mode": AUTH_MODES[settings.tls_client_auth],
        "client_auth": settings.tls_client_auth,
        "container_ports": CONTAINER_PORTS,
        "queue_max_disk_mb": QUEUE_MAX_DISK_MB,
        "config_file": CONFIG_FILE,
        "config_target": CONFIG_TARGET,
        "certs_target": CERTS_TARGET,
    }


def receiver_folders(site_dir: Path, profile: SiteProfile) -> tuple[Path, ...]:
    """The folder the receiver writes, when the site runs it (created by the render)."""
    return (site_dir / SYSLOG_LOG_DIR,) if profile.inputs.syslog.enabled else ()


def share_syslog_dir(folder: Path) -> None:
    """logs/syslog: rsyslog (uid 10003) writes it, the correlator (uid 10001) reads it (files are 0644). As
    root the folder is given to uid 10003; otherwise the mode is set and docs/syslog.md says the `chown`."""
    folder.chmod(0o755)
    if os.geteuid() == 0 and folder.stat().st_uid != SYSLOG_UID:
        os.chown(folder, SYSLOG_UID, SYSLOG_UID)
