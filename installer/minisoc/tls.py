"""The one TLS rule of minisoc's clients: the server's chain AND its host name are verified.

OpenSearch's one client factory (`correlator/clients/opensearch.py`: the sinks, `minisoc alerts` and the
host-side checks) takes its TLS context from here. The site's server certificates name their service,
`localhost`, 127.0.0.1, ::1 and `security.tls.extra_names` (`security/cert_specs.py`), so every address
minisoc connects to is one the certificate names.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """A client context trusting `ca_file` (the site CA), or certifi's bundle (what opensearch-py and
    requests trust by default) when there is none; certificate and host name required."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else certifi.where())
    context.check_hostname = True  # the default of create_default_context; said here because it is the rule
    context.verify_mode = ssl.CERT_REQUIRED
    return context
