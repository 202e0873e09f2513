"""A site's identity on the Docker host: the labels its data volumes carry.

Every volume of a site with a `site.id` is labelled with that id and with a fingerprint of the site's
`secrets-generation` (made with the site's first secrets, never rotated): OpenSearch's security index keeps
the internal users' password hashes of its first start, MISP's database its passwords, so data initialised
with one generation of secrets is useless to another. `minisoc up` compares the labels of the volumes it
finds with these before it starts anything (`minisoc.ops.identity`). The labels never change for the life
of a site (compose would offer to recreate, and so empty, a volume whose labels changed).
"""

from __future__ import annotations

import hashlib

from minisoc.profile.model import SiteProfile
from minisoc.render.secrets import SECRETS_GENERATION

SITE_ID_LABEL = "org.minisoc.site-id"
SECRETS_LABEL = "org.minisoc.secrets"  # a fingerprint, not a secret: 64 bits of a SHA-256 of a random token
_FINGERPRINT_DOMAIN = b"minisoc secrets generation v1\n"


def secrets_fingerprint(generation: str) -> str:
    """16 hex digits standing for the site's secrets generation (never the value itself)."""
    return hashlib.sha256(_FINGERPRINT_DOMAIN + generation.encode()).hexdigest()[:16]


def volume_labels(profile: SiteProfile, secret_values: dict[str, str]) -> dict[str, str]:
    """The labels of every volume of the site; none for a profile without `site.id` (older volumes)."""
    if profile.site.id is None:
        return {}
    labels = {SITE_ID_LABEL: profile.site.id}
    generation = secret_values.get(SECRETS_GENERATION.name)
    if generation:
        labels[SECRETS_LABEL] = secrets_fingerprint(generation)
    return labels
