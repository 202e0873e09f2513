"""Rebuild the minisoc wheel from the installed distribution, for a site that has no source checkout.

The correlator image installs the very package that runs `minisoc images build`. A wheel install has every
file of that package (stacks and templates included, as package data), listed in its RECORD: zip them back
with fresh dist-info hashes and the wheel is reproduced, with no network and no build backend. Entries are
written in sorted order with a fixed timestamp, so the same install always gives the same bytes (the image's
context digest, and so the decision to rebuild, depends on them).
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path, PurePosixPath

from minisoc.errors import UsageError

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_INSTALL_ONLY = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}  # the installer writes these


def wheel_entries(files: list[PurePosixPath]) -> list[PurePosixPath]:
    """The RECORD entries that belong in the wheel: no bytecode, no installer files, nothing outside
    site-packages."""
    kept = []
    for path in files:
        if path.parts[0] == ".." or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue  # console scripts live outside site-packages and are regenerated from entry_points.txt
        if path.parts[0].endswith(".dist-info") and path.name in _INSTALL_ONLY:
            continue
        kept.append(path)
    return sorted(kept)


def record_line(path: PurePosixPath, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{path},sha256={digest},{len(data)}"


def repack_installed_wheel(out_dir: Path, distribution: str = "minisoc") -> Path:
    """Write `<name>-<version>-py3-none-any.whl` for the installed `distribution` into `out_dir`."""
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise UsageError(f"{distribution} is not installed as a distribution, so it cannot be repacked",
                         "install it with `python3 -m pip install .`, or pass --wheel PATH") from None
    if dist.files is None:
        raise UsageError(f"the installed {distribution} has no RECORD",
                         "reinstall it with pip, or pass --wheel PATH")
    entries = wheel_entries([PurePosixPath(str(f)) for f in dist.files])
    dist_info = next((p.parts[0] for p in entries if p.parts[0].endswith(".dist-info")), None)
    if dist_info is None:
        raise UsageError(f"the installed {distribution} lists no dist-info files", "pass --wheel PATH")
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{distribution}-{dist.version}-py3-none-any.whl"
    records = []
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            data = Path(str(dist.locate_file(str(entry)))).read_bytes()
            _add(archive, str(entry), data)
            records.append(record_line(entry, data))
        record_path = f"{dist_info}/RECORD"
        records.append(f"{record_path},,")
        _add(archive, record_path, ("\n".join(records) + "\n").encode("utf-8"))
    return wheel


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)
