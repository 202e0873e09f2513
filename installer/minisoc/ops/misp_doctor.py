"""`doctor` for an external MISP (intel.misp.url): reachable with its CA, the correlator's key and its role,
and the clock skew between this host and MISP.

The key's role should read and add sightings, nothing more: a key that may publish, administer or sync is
flagged (a leaked correlator key must not be able to change a community's intel).
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from minisoc.correlator.clients.misp import checked, tls_verify
from minisoc.errors import MinisocError
from minisoc.ops.checks import Check
from minisoc.ops.misp_provision import misp_client
from minisoc.profile.model import SiteProfile
from minisoc.render.secrets import MISP_AUTOMATION_KEY
from minisoc.site import site_layout

MAX_SKEW_S = 120.0  # sightings carry this host's time; MISP's own timestamps drive the sync cursor
EXTRA_RIGHTS = ("perm_publish", "perm_admin", "perm_site_admin", "perm_sync")


def role_checks(role: dict[str, Any]) -> list[Check]:
    """The key's role: sightings needed, publish/admin/sync rights more than the correlator needs."""
    name = str(role.get("name", "?"))
    checks = [
        Check(
            "misp key role",
            bool(role.get("perm_sighting")),
            f"role {name}",
            'give the correlator\'s MISP user a role with sighting permission (e.g. "User")',
        )
    ]
    extra = [right for right in EXTRA_RIGHTS if role.get(right)]
    if extra:
        checks.append(
            Check(
                "misp key rights",
                False,
                f"role {name} also has {', '.join(extra)}",
                'use a role that reads and sights only (MISP\'s "User" or a custom one)',
                warning=True,
            )
        )
    return checks


def skew_check(misp_date: str | None, now: float) -> Check:
    if not misp_date:
        return Check("misp clock", False, "MISP sent no Date header", warning=True)
    skew = now - parsedate_to_datetime(misp_date).timestamp()
    ok = abs(skew) <= MAX_SKEW_S
    return Check(
        "misp clock",
        ok,
        f"this host is {skew:+.0f}s from MISP",
        None if ok else "synchronise both clocks (NTP)",
        warning=not ok,
    )


def external_misp_checks(profile: SiteProfile, site_dir: Path) -> list[Check]:
    settings = profile.intel.misp
    if not settings.enabled or settings.url is None:
        return []
    import requests  # heavy: only for an external MISP

    url = str(settings.url).rstrip("/")
    ca_file = site_dir / str(settings.ca_file) if settings.ca_file is not None else None
    try:
        answer = requests.head(
            f"{url}/users/heartbeat", timeout=15, verify=tls_verify(settings.verify_tls, ca_file)
        )
    except requests.RequestException as error:
        return [
            Check(
                "misp reachable",
                False,
                f"{url}: {type(error).__name__}",
                "check intel.misp.url, the network path and intel.misp.ca_file (the MISP's CA bundle)",
            )
        ]
    checks = [
        Check("misp reachable", True, f"{url} answers (HTTP {answer.status_code})"),
        skew_check(answer.headers.get("Date"), time.time()),
    ]
    try:
        key = site_layout(site_dir).read_secret(MISP_AUTOMATION_KEY.name)
        me = checked(
            misp_client(url, key, profile, ca_file).direct_call("users/view/me"), "the correlator's key"
        )
    except MinisocError as error:
        return [*checks, Check("misp key", False, error.message, error.hint)]
    return checks + role_checks(me.get("Role", {}) if isinstance(me, dict) else {})
