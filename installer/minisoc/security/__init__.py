"""The security baseline as a library.

- `certs` (with `cert_specs`): the site CA and service certificates, kept across renders, renewed on demand.
- `opensearch`: the OpenSearch security plugin configuration (users, roles, TLS settings, mounts).
- `secrets`: generated secrets in SITE_DIR/secrets and .env, redaction, and the leak scanner.
- `files`: atomic writes with the right mode from the first byte.

`minisoc render` calls these; nothing here prints, and no error message contains a secret.
"""
