"""The last lines of `up` and `verify`: where a person looks next (alerts, Dashboards, the credentials)."""

from __future__ import annotations

from pathlib import Path

from minisoc.ops.access import ADMIN_PASSWORD_SECRET, Site


def where_to_look(shown: Path, site: Site) -> list[str]:
    """`shown` is the site folder as the user typed it, so each line can be pasted as it is."""
    folder = str(shown)
    lines = [
        "where to look:",
        f"  alerts       minisoc alerts list {folder}   (state of every service: minisoc status {folder})",
    ]
    scheme = "https" if site.tls else "http"
    dashboards = site.published_url("dashboards", scheme) if "dashboards" in site.services else None
    if dashboards is not None:
        lines.append(f"  dashboards   {dashboards}/   (user admin)")
    opensearch = site.published_url("opensearch", scheme) if "opensearch" in site.services else None
    if opensearch is not None:
        ca = f", CA certificate {shown / 'pki' / 'ca.crt'}" if site.tls else ""
        lines.append(f"  opensearch   {opensearch}   (user admin{ca})")
    misp = site.published_url("misp", "https") if site.profile.runs_local_misp else None
    if misp is not None:
        lines.append(f"  misp         {misp}/   (user {site.profile.site.admin_email})")
    if site.tls and "opensearch" in site.services:
        lines.append(
            f"  credentials  {shown / 'secrets' / ADMIN_PASSWORD_SECRET} (the admin password; every other "
            f"one is in {shown / 'secrets'}/, readable by you only)"
        )
    return lines
