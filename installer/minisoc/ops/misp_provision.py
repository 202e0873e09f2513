"""Post-start MISP provisioning (local MISP only): the correlator's automation key and the profile's feeds.

The misp-docker image creates the admin user and key from ADMIN_KEY/ADMIN_PASSWORD (rendered into .env).
minisoc checks that the API answers with the admin key, gives the correlator its own user with the
generated automation key, and enables the profile's MISP feeds. No MISP server can run on the build
machines, so this path is exercised only on real sites (see docs/operations.md).
"""

from __future__ import annotations

from typing import Any

from minisoc.errors import ServiceError
from minisoc.ops.checks import Check
from minisoc.profile.model import SiteProfile

CORRELATOR_ROLE_ID = 3  # MISP's built-in "User" role: reads events and adds sightings, no admin rights


def misp_client(url: str, key: str, verify_tls: bool) -> Any:
    from pymisp import PyMISP  # heavy import: only when a local MISP is provisioned

    try:
        return PyMISP(url, key, ssl=verify_tls, timeout=30)
    except Exception as error:  # PyMISP raises its own and requests' exceptions
        raise ServiceError(
            f"MISP at {url} does not answer with the admin key ({error.__class__.__name__})",
            "check `minisoc logs misp-core`; first start takes several minutes",
        ) from None


def provision_misp(profile: SiteProfile, url: str, admin_key: str, automation_key: str) -> list[Check]:
    client = misp_client(url, admin_key, profile.intel.misp.verify_tls)
    checks = [Check("misp api", True, f"MISP {client.misp_instance_version.get('version', '?')} answers")]
    email = f"correlator@{profile.site.name}.minisoc"
    users = client.users(pythonify=True)
    if not any(getattr(user, "email", "") == email for user in users):
        client.add_user(
            {
                "email": email,
                "role_id": CORRELATOR_ROLE_ID,
                "authkey": automation_key,
                "change_pw": False,
                "disabled": False,
            }
        )
        checks.append(Check("misp correlator user", True, f"{email} created with the automation key"))
    else:
        checks.append(Check("misp correlator user", True, f"{email} present"))
    known = {str(feed.url) for feed in client.feeds(pythonify=True)}
    for feed in profile.intel.feeds:
        if str(feed.url) not in known:
            client.add_feed(
                {
                    "name": feed.name,
                    "url": str(feed.url),
                    "provider": feed.name,
                    "source_format": "misp",
                    "enabled": True,
                    "caching_enabled": True,
                }
            )
            checks.append(Check(f"misp feed {feed.name}", True, "added and enabled"))
        else:
            checks.append(Check(f"misp feed {feed.name}", True, "present"))
    return checks
