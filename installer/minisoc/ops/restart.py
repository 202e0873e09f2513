"""`minisoc up` restarts the services whose rendered inputs changed (`RenderResult.restarts`).

`compose up` alone recreates a service only when its compose definition changed: a changed file it mounts
(correlator.yaml, a certificate, a secret) leaves it running on the old one. The restarts a render asked
for are recorded in the ops state first and forgotten only once the services were recreated, so an `up`
that failed half-way still restarts them the next time (when the render itself has nothing left to write).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

from minisoc.ops.access import Site
from minisoc.ops.checks import Check
from minisoc.render.restarts import services_to_restart
from minisoc.site import SiteLayout
from minisoc.site.layout import PKI_DIR_NAME

PENDING_KEY = "restart_pending"


def restarts_due(
    pending: object, rendered: Mapping[str, tuple[str, ...]], services: Iterable[str]
) -> dict[str, list[str]]:
    """Service -> reasons: those left by an earlier `up` plus this render's, for services the site runs."""
    enabled = set(services)
    due: dict[str, list[str]] = {}
    if isinstance(pending, dict):
        for name, reasons in pending.items():
            if isinstance(name, str) and isinstance(reasons, list):
                due[name] = [str(reason) for reason in reasons]
    for name, reasons in rendered.items():
        files = [reason for reason in reasons if not _compose_sees(reason)]
        if files:
            due[name] = list(dict.fromkeys([*due.get(name, []), *files]))
    return {name: reasons for name, reasons in sorted(due.items()) if name in enabled}


def _compose_sees(reason: str) -> bool:
    """A changed definition or `.env` value changes the service's config hash: `compose up` recreates it."""
    return reason == "compose.yaml" or reason.startswith(".env ")


def record_restarts(
    files: SiteLayout, services: Iterable[str], rendered: Mapping[str, tuple[str, ...]]
) -> dict[str, list[str]]:
    """Merge this render's restarts into the pending ones in the ops state; return what is due. `render`
    calls it too: the `up` after a `render` re-renders nothing, yet restarts what that render changed."""
    due = restarts_due(files.read_state().get(PENDING_KEY), rendered, services)
    if due or files.read_state().get(PENDING_KEY):
        files.update_state(**{PENDING_KEY: due})
    return due


def record_renewed(files: SiteLayout, issued: Iterable[str]) -> dict[str, list[str]]:
    """After `minisoc certs renew`: the services mounting a re-issued pair are due a restart (the next
    `minisoc up` renders nothing new, yet recreates them). A site not rendered yet has nothing running."""
    if not files.is_rendered():
        return {}
    compose = files.compose_document()
    changed = [PurePosixPath(PKI_DIR_NAME) / f"{name}.{ext}" for name in issued for ext in ("crt", "key")]
    restarts = services_to_restart(compose, compose, changed, {}, {})
    return record_restarts(files, (compose.get("services") or {}).keys(), restarts)


def restart_changed(site: Site, due: Mapping[str, list[str]], *, wait_timeout_s: int) -> Check | None:
    """Recreate the due services (waiting for their health checks), then forget them."""
    if not due:
        return None
    site.project().recreate(sorted(due), wait_timeout_s=wait_timeout_s)
    site.paths.update_state(**{PENDING_KEY: {}})
    detail = "; ".join(f"{name} ({', '.join(reasons)})" for name, reasons in due.items())
    return Check("restarted", True, detail)
