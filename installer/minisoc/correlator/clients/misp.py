"""The one way minisoc talks to MISP: a PyMISP client with one TLS rule, and one check of every answer.

Used by the correlator (sync, sightings, `alerts ack`) and by ops (provisioning, the canary, status): the
correlator may not import ops, so this lives here and imports nothing above `minisoc.errors`.

TLS: `verify_tls` on (the default) verifies the certificate chain and the host name, against `ca_file` (a
PEM CA bundle, e.g. a community MISP's private CA) or the system store. Off, the connection is still
encrypted but unauthenticated: said once in the log, and urllib3's InsecureRequestWarning (one per request,
which flooded the correlator's log) is silenced.

Answers: PyMISP turns a 4xx into `{"errors": (status, body)}` (a non-empty dict, so `if reply:` passes) and
MISP refuses some requests with HTTP 200 and only a `message` (a sighting for a value it does not have).
`checked` turns both into MispRefused, so no caller can mistake a refusal for a success.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from minisoc.errors import ServiceError
from minisoc.site import read_secret

log = logging.getLogger(__name__)

# MISP's answers that are refusals although the HTTP status is 200: the start of their `message`
REFUSAL_MESSAGES = ("Could not add the Sighting",)


class MispRefused(ServiceError):
    """MISP answered, and said no (an error status, or a 200 whose message is a refusal)."""

    def __init__(self, what: str, detail: str, hint: str) -> None:
        super().__init__(f"MISP refused {what}: {detail[:300]}", hint)
        self.detail = detail


def tls_verify(verify_tls: bool, ca_file: Path | None) -> bool | str:
    """What requests' `verify` gets: the CA bundle's path, True (system store), or False (no verification)."""
    if not verify_tls:
        return False
    return str(ca_file) if ca_file is not None else True


def connect_misp(
    url: str,
    key: str,
    *,
    verify_tls: bool = True,
    ca_file: Path | None = None,
    timeout_s: float = 30.0,
    tool: str = "minisoc",
) -> Any:
    """A PyMISP client, or ServiceError naming the MISP URL (never the key)."""
    from pymisp import PyMISP  # heavy import: only when a MISP server is configured

    verify = tls_verify(verify_tls, ca_file)
    if verify is False and url.startswith("https:"):
        from urllib3.exceptions import InsecureRequestWarning

        log.warning("MISP at %s: TLS certificate not verified (verify_tls: false)", url)
        warnings.filterwarnings("ignore", category=InsecureRequestWarning)
    try:
        return PyMISP(url, key, ssl=verify, timeout=timeout_s, tool=tool)
    except Exception as error:  # PyMISP raises its own and requests' exceptions
        raise ServiceError(
            f"MISP at {url} did not answer ({type(error).__name__})",
            "check the MISP URL, its certificate (intel.misp.ca_file), the key and that MISP is up",
        ) from None


def refusal(reply: Any) -> str | None:
    """Why MISP refused, if this answer is a refusal; None for an answer that carries a result."""
    if isinstance(reply, dict):
        if "errors" in reply:
            return str(reply["errors"])
        message = reply.get("message")
        if isinstance(message, str) and message.startswith(REFUSAL_MESSAGES) and len(reply) <= 3:
            return message
    return None


def checked(reply: Any, what: str, hint: str = "check the key's role and the MISP log") -> Any:
    """The answer, or MispRefused when MISP said no: every PyMISP call's answer goes through here."""
    detail = refusal(reply)
    if detail is not None:
        raise MispRefused(what, detail, hint)
    return reply


def read_key(path: Path) -> str:
    """The MISP key in a secret file (see `minisoc.site.secret_file`), or UsageError naming the file (never
    its content)."""
    hint = "check the secret file mount, its mode and its content"
    return read_secret(path, where=f"intel.misp.key_file: {path}", hint=hint)
