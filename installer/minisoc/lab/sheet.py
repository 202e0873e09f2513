"""The class's credentials sheet: printable HTML, one page per student (CSS page breaks), with the copy's
URLs, user names, passwords (read from each copy's secrets/) and the CA certificate to trust (PEM and its
SHA-256 fingerprint). Written 0600; nothing here prints, and the CLI shows only the file's path.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from html import escape
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from minisoc.durable import write_atomic
from minisoc.lab.layout import copies, copy_number
from minisoc.ops.access import Site, load_site
from minisoc.security.opensearch import ADMIN_USER, ANALYST_USER, PASSWORD_SECRETS

SHEET_NAME = "credentials.html"
SHEET_MODE = 0o600
MISP_ADMIN_PASSWORD_SECRET = "misp-admin-password"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True)
class Login:
    service: str
    url: str
    user: str
    password: str


@dataclass(frozen=True)
class StudentPage:
    number: int
    folder: str
    project: str
    logins: tuple[Login, ...]
    links: tuple[tuple[str, str], ...]  # (what, URL) without a login
    ca_pem: str | None
    ca_fingerprint: str | None


def _with_host(url: str | None, host: str | None) -> str | None:
    """The URL with its host replaced (students reach the trainer's machine by its name, not 127.0.0.1)."""
    if url is None or host is None:
        return url
    scheme, _, rest = url.partition("://")
    port = rest.rpartition(":")[2]
    return f"{scheme}://{host}:{port}"


def ca_fingerprint(pem: bytes) -> str:
    """SHA-256 of the certificate's DER, as browsers show it (AB:CD:...)."""
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def student_page(site: Site, host: str | None = None) -> StudentPage:
    scheme = "https" if site.tls else "http"
    logins: list[Login] = []
    links: list[tuple[str, str]] = []
    services = site.services
    dashboards = site.published_url("dashboards", scheme) if "dashboards" in services else None
    opensearch = site.published_url("opensearch", scheme) if "opensearch" in services else None
    if site.tls and dashboards is not None:
        url = _with_host(dashboards, host) or dashboards
        logins.append(
            Login("Dashboards", url + "/", ANALYST_USER, site.read_secret(PASSWORD_SECRETS[ANALYST_USER]))
        )
    if site.tls and opensearch is not None:
        url = _with_host(opensearch, host) or opensearch
        for user in (ANALYST_USER, ADMIN_USER):  # the analyst reads alerts and logs; the admin may do all
            logins.append(Login("OpenSearch API", url, user, site.read_secret(PASSWORD_SECRETS[user])))
    elif opensearch is not None:
        links.append(("OpenSearch API", _with_host(opensearch, host) or opensearch))
    misp = site.published_url("misp", "https") if site.profile.runs_local_misp else None
    if misp is not None:
        url = _with_host(misp, host) or misp
        logins.append(
            Login(
                "MISP", url + "/", site.profile.site.admin_email, site.read_secret(MISP_ADMIN_PASSWORD_SECRET)
            )
        )
    correlator = site.published_url("correlator", "http") if "correlator" in services else None
    if correlator is not None:
        links.append(("Correlator health", (_with_host(correlator, host) or correlator) + "/healthz"))
    pem: str | None = None
    fingerprint: str | None = None
    if site.tls and site.paths.ca_file.is_file():
        data = site.paths.ca_file.read_bytes()
        pem, fingerprint = data.decode("ascii"), ca_fingerprint(data)
    return StudentPage(
        copy_number(site.site_dir),
        site.site_dir.name,
        site.profile.project_name,
        tuple(logins),
        tuple(links),
        pem,
        fingerprint,
    )


_STYLE = """
body { font-family: sans-serif; font-size: 11pt; margin: 2em; }
section { page-break-after: always; break-after: page; }
section:last-child { page-break-after: auto; break-after: auto; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #888; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
code, pre { font-family: monospace; font-size: 9pt; }
pre { white-space: pre-wrap; word-break: break-all; }
.small { color: #444; font-size: 9pt; }
"""


def render_page(page: StudentPage) -> str:
    rows = "".join(
        f"<tr><td>{escape(login.service)}</td><td><code>{escape(login.url)}</code></td>"
        f"<td><code>{escape(login.user)}</code></td><td><code>{escape(login.password)}</code></td></tr>"
        for login in page.logins
    )
    links = "".join(
        f'<tr><td>{escape(what)}</td><td colspan="3"><code>{escape(url)}</code></td></tr>'
        for what, url in page.links
    )
    ca = (
        "<h2>The CA certificate to trust</h2>"
        f"<p>SHA-256 fingerprint: <code>{escape(page.ca_fingerprint or '')}"
        f'</code></p><p class="small">Save the block below as <code>minisoc-ca.crt</code> and import it as a '
        f"trusted authority in your browser (or accept the certificate after checking its fingerprint).</p>"
        f"<pre>{escape(page.ca_pem)}</pre>"
        if page.ca_pem
        else "<p>This lab does not use TLS.</p>"
    )
    return (
        f"<section><h1>minisoc lab: student {page.number}</h1>"
        f'<p class="small">copy <code>{escape(page.folder)}</code>, project <code>{escape(page.project)}'
        f"</code>. These credentials are yours alone: do not share this page.</p>"
        f"<table><tr><th>service</th><th>address</th><th>user</th><th>password</th></tr>{rows}{links}</table>"
        f"{ca}</section>"
    )


def render_sheet(pages: list[StudentPage], created: str) -> str:
    body = "".join(render_page(page) for page in pages)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>minisoc lab credentials ({escape(created)})</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def write_sheet(lab_dir: Path, out: Path, *, created: str, host: str | None = None) -> Path:
    """Write the sheet of every copy of `lab_dir` to `out` (mode 0600) and return its path."""
    pages = [student_page(load_site(site_dir), host) for site_dir in copies(lab_dir)]
    write_atomic(out, render_sheet(pages, created).encode("utf-8"), mode=SHEET_MODE)
    return out
