"""Helpers shared by the render tests: a deterministic secret source and a site made from a template."""

from __future__ import annotations

import hashlib
from pathlib import Path

from minisoc.profile import SiteProfile
from minisoc.profile.create import create_profile
from minisoc.render import SecretSpec


def fixed_secret(spec: SecretSpec) -> str:
    """A deterministic stand-in for generated secrets (golden files need stable bytes); still per-secret."""
    digest = hashlib.sha256(spec.name.encode()).hexdigest()
    if spec.kind == "misp-key":
        return ("Gold" + digest)[:40]
    if spec.kind == "token":
        return digest[:32]
    if spec.kind == "alnum":
        return ("Gold" + digest)[:40]
    if spec.kind == "uuid":
        return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"
    return f"Gold-{digest[:20]}Xy9_"


def refuse_new_secret(spec: SecretSpec) -> str:
    raise AssertionError(f"a render generated {spec.name} although it exists already")


GOLDEN_SITE_ID = "g01d3n"  # `init` draws a random site.id; golden files need a fixed one


def site_from_template(tmp_path: Path, template: str, *assignments: str) -> tuple[Path, SiteProfile]:
    site = tmp_path / template
    _, profile = create_profile(site, template, list(assignments), site_id=GOLDEN_SITE_ID)
    return site, profile
