"""The security baseline as a library.

- `certs` (with `cert_specs`): the site CA and service certificates, kept across renders, renewed on demand.
- `opensearch`: the OpenSearch security plugin configuration (users, roles, TLS settings, mounts).
- `secrets`: generated secrets in SITE_DIR/secrets and .env, redaction, and the leak scanner.
- `files`: atomic writes with the right mode from the first byte.

`minisoc render` calls these; nothing here prints, and no error message contains a secret.
"""

from minisoc.security.certs import (
    CertInfo,
    PkiResult,
    describe_site_pki,
    ensure_site_pki,
    renew,
    site_pki_dir,
)
from minisoc.security.opensearch import render_security_config, security_settings
from minisoc.security.secrets import SecretStore, find_leaks, redact

__all__ = [
    "CertInfo",
    "PkiResult",
    "SecretStore",
    "describe_site_pki",
    "ensure_site_pki",
    "find_leaks",
    "redact",
    "render_security_config",
    "renew",
    "security_settings",
    "site_pki_dir",
]
