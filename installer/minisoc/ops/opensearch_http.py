"""A small OpenSearch REST client for provisioning, status and verify (TLS with the site CA, basic auth)."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minisoc.errors import ServiceError
from minisoc.tls import client_context


@dataclass(frozen=True)
class OpenSearchHttp:
    base_url: str  # https://127.0.0.1:9200
    username: str | None = None
    password: str | None = None  # never printed: messages name the user only
    ca_file: Path | None = None
    timeout_s: float = 10.0

    def _context(self) -> ssl.SSLContext | None:
        if not self.base_url.startswith("https://"):
            return None
        return client_context(self.ca_file)  # the node certificate names 127.0.0.1 and localhost too

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, Any]:
        """(status, decoded JSON body or None); raise ServiceError only when nothing answers."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.base_url.rstrip("/") + path, data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if self.username is not None and self.password is not None:
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s, context=self._context()) as response:  # noqa: S310
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _decode(error.read())
        except (OSError, ssl.SSLError) as error:
            refused = getattr(error, "reason", error)
            if isinstance(refused, ssl.SSLCertVerificationError):  # chain or host name (minisoc.tls)
                raise ServiceError(
                    f"OpenSearch at {self.base_url}: certificate refused ({refused.verify_message})",
                    "an address the certificate does not name goes in security.tls.extra_names "
                    "(then `minisoc render` and `minisoc up`); a foreign CA: `minisoc render` again",
                ) from None
            raise ServiceError(
                f"OpenSearch at {self.base_url} does not answer ({error.__class__.__name__})",
                "check `minisoc status` and `minisoc logs opensearch`",
            ) from None

    def ok(self, method: str, path: str, body: object | None = None) -> Any:
        """The decoded body of a 2xx answer; ServiceError otherwise (the message never holds credentials)."""
        status, decoded = self.request(method, path, body)
        if not 200 <= status < 300:
            reason = _reason(decoded)
            raise ServiceError(
                f"OpenSearch {method} {path}: HTTP {status}{': ' + reason if reason else ''}",
                "check the user's permissions and the request body",
            )
        return decoded


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")[:500]


def _reason(decoded: Any) -> str:
    if isinstance(decoded, dict):
        error = decoded.get("error")
        if isinstance(error, dict):
            return str(error.get("reason") or error.get("type") or "")[:300]
        if error:
            return str(error)[:300]
    return ""
