"""Post-start MISP provisioning (local MISP only): the correlator's user and key, and the profile's feeds.

The misp-docker image creates the admin user and sets its key from ADMIN_KEY (`cake User change_authkey`,
rendered into .env). minisoc then, with the admin key:

- gives the correlator its own user, role "User" (read, sightings; no publish, no admin), in the admin's
  organisation (the site's: ADMIN_ORG), so it sees the site's own events, the canary's included (distribution
  0, "this organisation only");
- makes sure the correlator's key works. misp-docker enforces `Security.advanced_authkeys`: MISP ignores a
  key a client chooses in `admin/users/add` or `auth_keys/add` and makes its own, shown once in the answer
  (`AuthKey.authkey_raw`). So the secret file `misp-automation-key` is tried first and, when MISP refuses it,
  replaced by the key MISP returns (the correlator re-reads the file at its next sync);
- adds and enables the profile's MISP feeds.

Every answer goes through `checked`: a refusal is an error, never a silent success. No MISP server can run
on the build machines; this is tested against the fake MISP held to a real MISP's recorded answers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from minisoc.correlator.clients.misp import checked, connect_misp, refusal
from minisoc.errors import ServiceError
from minisoc.ops.checks import Check
from minisoc.profile.model import SiteProfile

CORRELATOR_ROLE_ID = 3  # MISP's built-in "User" role: reads events and adds sightings, no publish, no admin
KEY_COMMENT = "minisoc correlator automation key"


def misp_client(url: str, key: str, profile: SiteProfile, ca_file: Path | None = None) -> Any:
    """A client for the profile's MISP: the one factory, with the profile's TLS rule.

    The local MISP answers on 127.0.0.1 with misp-docker's own certificate unless the site PKI's is installed:
    its certificate is checked only when `ca_file` (the site CA) is given."""
    settings = profile.intel.misp
    if settings.url is None:  # the local MISP
        return connect_misp(url, key, verify_tls=ca_file is not None, ca_file=ca_file)
    return connect_misp(url, key, verify_tls=settings.verify_tls, ca_file=ca_file)


def key_works(url: str, key: str, profile: SiteProfile, ca_file: Path | None = None) -> bool:
    """True when MISP accepts the key (PyMISP's constructor and users/view/me answer without a refusal)."""
    try:
        client = misp_client(url, key, profile, ca_file)
    except ServiceError:  # the constructor's own calls were refused (403): the key is not valid
        return False
    return refusal(client.direct_call("users/view/me")) is None


def correlator_email(profile: SiteProfile) -> str:
    return f"correlator@{profile.site.name}.minisoc"


def provision_misp(
    profile: SiteProfile,
    url: str,
    admin_key: str,
    automation_key: str,
    store_key: Callable[[str], None],
    ca_file: Path | None = None,
) -> list[Check]:
    client = misp_client(url, admin_key, profile, ca_file)
    me = checked(client.direct_call("users/view/me"), "the admin key", "check secrets/misp-admin-key")
    checks = [Check("misp api", True, f"MISP {client.misp_instance_version.get('version', '?')} answers")]
    email = correlator_email(profile)
    users = checked(client.users(pythonify=False), "listing users", "the admin key must be a site admin's")
    found = [u["User"] for u in users if isinstance(u, dict) and u.get("User", {}).get("email") == email]
    if found:
        user_id = str(found[0]["id"])
        checks.append(Check("misp correlator user", True, f"{email} present"))
    else:
        created = checked(
            client.add_user(
                {
                    "email": email,
                    "org_id": me["User"]["org_id"],  # the site's organisation, not another by accident
                    "role_id": CORRELATOR_ROLE_ID,
                    "change_pw": False,
                    "disabled": False,
                }
            ),
            f"creating the user {email}",
        )
        user_id = str(created["User"]["id"])
        checks.append(Check("misp correlator user", True, f"{email} created"))
    if key_works(url, automation_key, profile, ca_file):
        checks.append(Check("misp correlator key", True, "secrets/misp-automation-key accepted"))
    else:
        answer = checked(
            client.direct_call(f"auth_keys/add/{user_id}", {"comment": KEY_COMMENT}),
            f"a key for {email}",
        )
        store_key(str(answer["AuthKey"]["authkey_raw"]))
        checks.append(
            Check("misp correlator key", True, "new key from MISP written to secrets/misp-automation-key")
        )
    checks += _feeds(client, profile)
    return checks


def _feeds(client: Any, profile: SiteProfile) -> list[Check]:
    checks = []
    feeds = checked(client.feeds(pythonify=False), "listing feeds")
    known = {str(f.get("Feed", f).get("url")) for f in feeds if isinstance(f, dict)}
    for feed in profile.intel.feeds:
        if str(feed.url) in known:
            checks.append(Check(f"misp feed {feed.name}", True, "present"))
            continue
        checked(
            client.add_feed(
                {
                    "name": feed.name,
                    "url": str(feed.url),
                    "provider": feed.name,
                    "source_format": "misp",
                    "enabled": True,
                    "caching_enabled": True,
                }
            ),
            f"adding the feed {feed.name}",
        )
        checks.append(Check(f"misp feed {feed.name}", True, "added and enabled"))
    return checks
