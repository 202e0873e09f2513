"""The security baseline as a library: site PKI (`certs`), OpenSearch security plugin config (`opensearch`),
generated secrets and leak scanning (`secrets`), and guards against hostile paths and input (`paths`, `limits`).

`minisoc render` calls these; nothing here prints, and no function returns a secret inside an error message.
"""
