"""Generated secrets: which a site needs, how they are made, and how existing ones are kept.

Layout (shared with `minisoc.security.secrets.SecretStore`): every secret is a file `SITE_DIR/secrets/<name>`
(0600, directory 0700, no trailing newline), the canonical copy; `.env` (0600) repeats them as
`NAME_IN_CAPS=value` for compose to interpolate. A render never changes a secret that exists (in the file,
or else in `.env`): it only adds missing ones. The secret source is a parameter: tests inject a fixed one.
"""

from __future__ import annotations

import re
import secrets
import string
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from minisoc.errors import UsageError
from minisoc.kafka.cluster import ADMIN_USER, CORRELATOR_USER, SHIPPER_USER, scram_secret_name
from minisoc.profile.model import SiteProfile

SecretKind = Literal["password", "misp-key", "token", "alnum", "uuid"]
CORRELATOR_UID = 10001  # the user of the minisoc/correlator image
OPENSEARCH_UID = 1000  # the user of the OpenSearch images


@dataclass(frozen=True)
class SecretSpec:
    """One secret: its file name under secrets/, what it must look like, and who must read its file."""

    name: str
    kind: SecretKind
    owner_uid: int | None = None  # a container user that reads the file directly (applied when run as root)

    @property
    def env_name(self) -> str:
        """Its variable in `.env`: `opensearch-admin-password` -> `OPENSEARCH_ADMIN_PASSWORD`."""
        return self.name.upper().replace("-", "_").replace(".", "_")


SecretSource = Callable[[SecretSpec], str]
"""Makes the value of a new secret (the default uses the `secrets` module; tests inject a fixed one)."""

_MISP_KEY_ALPHABET = string.ascii_letters + string.digits
_ENV_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")

OPENSEARCH_ADMIN = SecretSpec("opensearch-admin-password", "password")
OPENSEARCH_ANALYST = SecretSpec("opensearch-analyst-password", "password")
OPENSEARCH_CORRELATOR = SecretSpec("opensearch-correlator-password", "password", owner_uid=CORRELATOR_UID)
OPENSEARCH_DASHBOARDS = SecretSpec("opensearch-kibanaserver-password", "password")
MISP_ADMIN_PASSWORD = SecretSpec("misp-admin-password", "password")
MISP_ADMIN_KEY = SecretSpec("misp-admin-key", "misp-key")
MISP_AUTOMATION_KEY = SecretSpec("misp-automation-key", "misp-key", owner_uid=CORRELATOR_UID)
MISP_ENCRYPTION_KEY = SecretSpec("misp-encryption-key", "token")
# misp-docker puts these in shell commands and sed expressions: letters and digits only
MISP_DB_PASSWORD = SecretSpec("misp-db-password", "alnum")
MISP_DB_ROOT_PASSWORD = SecretSpec("misp-db-root-password", "alnum")
MISP_CACHE_PASSWORD = SecretSpec("misp-cache-password", "alnum")
MISP_GPG_PASSPHRASE = SecretSpec("misp-gpg-passphrase", "alnum")  # misp-docker's default: "passphrase"
# not secret, but made once and kept like one: the site's org keeps its identity in a sync community
MISP_ORG_UUID = SecretSpec("misp-org-uuid", "uuid")
# Made once, with the site's first secrets, never rotated: it names this generation of secrets. The site's
# volumes are labelled with a fingerprint of it (minisoc.render.identity), so `up` can tell volumes made with
# other secrets (a site re-created over old data) from its own, while single secrets may still be rotated.
SECRETS_GENERATION = SecretSpec("secrets-generation", "token")
# One SCRAM password per Kafka user (docs/kafka.md; token_urlsafe: no character the storage tool splits on),
# each owned by the uid that reads it: the correlator's here; minisoc-admin's by the hub's one-shot
# `kafka-topics` (the correlator image's uid; mounted into no other service) and by minisoc on the host
KAFKA_SCRAM_ADMIN = SecretSpec(scram_secret_name(ADMIN_USER), "token", owner_uid=CORRELATOR_UID)
KAFKA_SCRAM_SHIPPER = SecretSpec(scram_secret_name(SHIPPER_USER), "token")
KAFKA_SCRAM_CORRELATOR = SecretSpec(scram_secret_name(CORRELATOR_USER), "token", owner_uid=CORRELATOR_UID)
KAFKA_SECRETS = (KAFKA_SCRAM_ADMIN, KAFKA_SCRAM_SHIPPER, KAFKA_SCRAM_CORRELATOR)
CORRELATOR_FILE_SECRETS = (OPENSEARCH_CORRELATOR, MISP_AUTOMATION_KEY)  # mounted as compose secrets
ALL_SECRETS = (
    OPENSEARCH_ADMIN,
    OPENSEARCH_ANALYST,
    OPENSEARCH_CORRELATOR,
    OPENSEARCH_DASHBOARDS,
    MISP_ADMIN_PASSWORD,
    MISP_ADMIN_KEY,
    MISP_AUTOMATION_KEY,
    MISP_ENCRYPTION_KEY,
    MISP_DB_PASSWORD,
    MISP_DB_ROOT_PASSWORD,
    MISP_CACHE_PASSWORD,
    MISP_GPG_PASSPHRASE,
    MISP_ORG_UUID,
    SECRETS_GENERATION,
    *KAFKA_SECRETS,
)


def generate_secret(spec: SecretSpec) -> str:
    """A fresh random value for `spec` (the production secret source)."""
    if spec.kind == "misp-key":  # MISP auth keys are exactly 40 letters and digits
        return "".join(secrets.choice(_MISP_KEY_ALPHABET) for _ in range(40))
    if spec.kind == "token":
        return secrets.token_hex(16)
    if spec.kind == "alnum":
        return "".join(secrets.choice(_MISP_KEY_ALPHABET) for _ in range(40))
    if spec.kind == "uuid":
        return str(uuid.uuid4())
    while True:  # OpenSearch's password policy: upper, lower, digit and a special character
        candidate = secrets.token_urlsafe(24)
        if is_strong_password(candidate):
            return candidate


def is_strong_password(value: str) -> bool:
    return (
        len(value) >= 16
        and any(c.isupper() for c in value)
        and any(c.islower() for c in value)
        and any(c.isdigit() for c in value)
        and any(c in "-_" for c in value)
    )


def required_secrets(profile: SiteProfile) -> tuple[SecretSpec, ...]:
    """The secrets the enabled services need, in a stable order."""
    services = set(profile.enabled_services())
    needed: list[SecretSpec] = [SECRETS_GENERATION]
    if "opensearch" in services:  # every internal user of the security plugin gets its own password
        needed += [OPENSEARCH_ADMIN, OPENSEARCH_ANALYST, OPENSEARCH_CORRELATOR, OPENSEARCH_DASHBOARDS]
    if profile.runs_local_misp:
        needed += [
            MISP_ADMIN_PASSWORD,
            MISP_ADMIN_KEY,
            MISP_ENCRYPTION_KEY,
            MISP_DB_PASSWORD,
            MISP_DB_ROOT_PASSWORD,
            MISP_CACHE_PASSWORD,
            MISP_GPG_PASSPHRASE,
            MISP_ORG_UUID,
        ]
        if "correlator" in services:
            needed.append(MISP_AUTOMATION_KEY)
    if profile.site.topology == "distributed":  # Kafka between the hosts
        needed += KAFKA_SECRETS
    return tuple(needed)


def external_misp_key_needed(profile: SiteProfile) -> bool:
    """An external MISP: the user provides the correlator's key (it cannot be generated here)."""
    return profile.intel.misp.enabled and profile.intel.misp.url is not None and profile.correlator.enabled


def parse_env(text: str) -> dict[str, str]:
    """The KEY=value pairs of a .env file (comments and blank lines ignored; no quoting, as we write it)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        match = _ENV_LINE.match(line.strip())
        if match:
            raw = match.group(2)
            quoted = len(raw) >= 2 and raw[0] == raw[-1] == "'"
            values[match.group(1)] = raw[1:-1] if quoted else raw
    return values


def merge_secrets(
    existing: Mapping[str, str], needed: tuple[SecretSpec, ...], source: SecretSource
) -> dict[str, str]:
    """Secret values by name: existing ones kept as they are, missing needed ones made by `source`.

    Secrets that exist but are no longer needed are kept (a service switched off and on keeps its password).
    """
    merged = dict(existing)
    for spec in needed:
        if not merged.get(spec.name):
            merged[spec.name] = source(spec)
    return merged


def format_env(values: Mapping[str, str]) -> str:
    """`.env`: every secret as NAME=value, sorted (generated values need no quoting)."""
    header = (
        "# Written by `minisoc render`: secrets for compose. Mode 0600. Never commit or share it.\n"
        "# The canonical copies are SITE_DIR/secrets/<name>; a render never changes an existing one.\n"
    )
    lines = {SecretSpec(name, "token").env_name: value for name, value in values.items()}
    return header + "".join(f"{key}={_env_value(lines[key])}\n" for key in sorted(lines))


def _env_value(value: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./:@+,=-]*", value):
        return value
    if "'" in value or "\n" in value or "\r" in value:
        raise UsageError(
            "a secret contains a quote or a line break, which .env cannot hold",
            "replace that file under SITE_DIR/secrets/ with a value without quotes",
        )
    return f"'{value}'"  # single quotes: compose takes the value literally
