"""The security baseline as a library.

- `certs`: the site PKI (CA and service certificates), kept across renders, renewed on demand.
- `opensearch`: the OpenSearch security plugin configuration (users, roles, TLS settings).
- `secrets`: generated secrets in SITE_DIR/secrets and .env, redaction, and the leak scanner.
- `paths`, `limits`: guards against hostile paths and oversize or compressed input.

`minisoc render` calls these; nothing here prints, and no error message contains a secret.
"""
