"""`minisoc certs renew` through a stage: the new keys and certificates (and, with `--ca`, the new CA) are
swapped into SITE_DIR/pki together, or not at all (see `minisoc.render.staging`)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

from minisoc.render.memory import site_io_error
from minisoc.render.security_step import PKI_DIR, PKI_ORGANIZATION
from minisoc.render.staging import SwapList, check_targets, finish_interrupted, staged
from minisoc.security.cert_specs import MANIFEST_NAME, PkiManifest
from minisoc.security.certs import CertInfo, PkiResult, check_site_ca, renew


def renew_site_pki(
    site_dir: Path, *, now: datetime, include_ca: bool = False, validity_days: int | None = None
) -> PkiResult:
    """Re-issue every service certificate (and the CA with `include_ca`) of the site in `site_dir`."""
    root = site_dir.resolve()
    live = root / Path(*PKI_DIR.parts)
    PkiManifest.read(live / MANIFEST_NAME)  # no PKI yet: the error names SITE_DIR/pki, not the stage
    if not include_ca:
        check_site_ca(live, now=now, organization=PKI_ORGANIZATION)
    try:
        finish_interrupted(root)
        with staged(root) as stage:
            stage.seed(PKI_DIR)
            result = renew(stage.path(PKI_DIR), now=now, include_ca=include_ca, validity_days=validity_days)
            swap = SwapList(tuple(stage.changed_files()))
            check_targets(root, swap)
            stage.swap(swap)
            staged_dir = stage.path(PKI_DIR)
    except OSError as error:
        raise site_io_error(root, "certs renew", error) from None
    return _moved(result, staged_dir, live)


def _moved(result: PkiResult, staged_dir: Path, live: Path) -> PkiResult:
    """The result with the paths of SITE_DIR/pki instead of the stage's."""

    def move(path: Path) -> Path:
        return live / path.relative_to(staged_dir)

    def moved(info: CertInfo) -> CertInfo:
        return dataclasses.replace(info, cert_path=move(info.cert_path), key_path=move(info.key_path))

    certs = {name: moved(info) for name, info in result.certs.items()}
    return dataclasses.replace(result, pki_dir=live, ca=moved(result.ca), certs=certs)
