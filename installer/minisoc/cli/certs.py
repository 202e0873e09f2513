"""`minisoc certs show|renew|client [SITE_DIR]`: the site's certificates and their expiry; re-issue them;
a client certificate for a log sender (syslog over TLS).

Thin: the work is in `minisoc.security.certs`; renew goes through a stage (`minisoc.render.renew`), so the
new keys and certificates replace the old ones together or not at all. No key material is ever printed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from minisoc.ops.restart import record_renewed
from minisoc.render.renew import renew_site_pki
from minisoc.security.certs import CertInfo, PkiResult, describe_site_pki, site_pki_dir
from minisoc.security.client_certs import issue_client_cert
from minisoc.site import site_layout

SiteDir = Annotated[Path, typer.Argument(help="The site directory (holds minisoc.yaml and pki/).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
_CA_HELP = "Also replace the site CA (every service must then be restarted to trust the new one)."
_DAYS_HELP = "Validity of the new certificates in days (default: as recorded at the last render)."


def register(app: typer.Typer) -> None:
    """Add the `certs` command group to the root app."""
    group = typer.Typer(name="certs", help="Show or renew the site's TLS certificates (SITE_DIR/pki).",
                        no_args_is_help=True, rich_markup_mode=None)
    group.command(name="show")(show)
    group.command(name="renew")(renew_command)
    group.command(name="client")(client_command)
    app.add_typer(group, name="certs")


def show(site_dir: SiteDir = Path(), as_json: JsonFlag = False) -> None:
    """List the site CA and every service certificate with its subject, names and expiry."""
    _print(describe_site_pki(site_pki_dir(site_dir)), datetime.now(UTC), as_json)


def renew_command(
    site_dir: SiteDir = Path(),
    include_ca: Annotated[bool, typer.Option("--ca", help=_CA_HELP)] = False,
    days: Annotated[int | None, typer.Option("--days", min=1, max=3650, help=_DAYS_HELP)] = None,
    as_json: JsonFlag = False,
) -> None:
    """Re-issue every service certificate (new keys, same names); `minisoc up` then restarts their users."""
    now = datetime.now(UTC)
    result = renew_site_pki(site_dir, now=now, include_ca=include_ca, validity_days=days)
    due = record_renewed(site_layout(site_dir), result.issued)
    _print(result, now, as_json)
    if not as_json and due:
        typer.echo(f"restart needed: {', '.join(due)} (`minisoc up` restarts them)", err=True)


def client_command(
    name: Annotated[str, typer.Argument(help="The sender's name (its host name): the certificate's CN.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for NAME.crt, NAME.key (0600) and ca.crt.")],
    site_dir: Annotated[Path, typer.Option("--site", help="The site directory.")] = Path(),
    days: Annotated[int | None, typer.Option("--days", min=1, max=3650, help=_DAYS_HELP)] = None,
) -> None:
    """Issue a client certificate of the site CA for a syslog sender (TLS client auth, docs/syslog.md)."""
    now = datetime.now(UTC)
    cert, key = issue_client_cert(site_pki_dir(site_dir), name, out, now=now, validity_days=days)
    typer.echo(f"wrote {cert}, {key} (0600) and {out / 'ca.crt'}: copy them to the sender")


def _row(info: CertInfo, now: datetime, issued: bool) -> dict[str, object]:
    return {
        "name": info.name,
        "subject": info.subject_dn,
        "not_after": info.not_after.isoformat(),
        "days_left": info.days_left(now),
        "dns_names": list(info.dns_names),
        "ip_addresses": list(info.ip_addresses),
        "sha256": info.sha256_fingerprint,
        "issued_now": issued,
        "certificate": str(info.cert_path),
    }


def _print(result: PkiResult, now: datetime, as_json: bool) -> None:
    rows = [_row(info, now, info.name in result.issued) for info in (result.ca, *result.certs.values())]
    if as_json:
        typer.echo(json.dumps({"pki_dir": str(result.pki_dir), "certificates": rows}, indent=2))
        return
    for row in rows:
        mark = " (new)" if row["issued_now"] else ""
        typer.echo(f"{row['name']:<18} {row['subject']:<40} expires {str(row['not_after'])[:10]} "
                   f"({row['days_left']} days){mark}")
