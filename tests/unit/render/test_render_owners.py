"""Who can read the secret-bearing files a render writes: only the uid that needs each (docs/security.md).

Run as root (as `minisoc render` usually is), the test reads the files as other uids for real: once by path,
as a host account would, and once through a descriptor opened by root, as a container reads a bind mount
(the mount skips the host folders above the mounted file or folder).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from minisoc.profile import load_profile
from minisoc.render import render_site
from render_support import fixed_secret, site_from_template

OPENSEARCH_UID = 1000
CORRELATOR_UID = 10001
ROOT = os.geteuid() == 0


@pytest.fixture()
def site() -> Iterator[Path]:
    """A rendered site in a folder every account may traverse (pytest's own tmp folder is 0700)."""
    parent = Path(tempfile.mkdtemp(dir="/tmp", prefix="minisoc-owners-"))
    parent.chmod(0o755)
    try:
        folder, profile = site_from_template(parent, "small-site")
        folder.chmod(0o755)
        render_site(folder, profile, secrets=fixed_secret)
        yield folder
    finally:
        shutil.rmtree(parent)


def _mode_owner(path: Path) -> tuple[int, int]:
    info = path.stat()
    return stat.S_IMODE(info.st_mode), info.st_uid


def test_secret_bearing_files_and_folders_have_their_modes_and_owners(site: Path) -> None:
    me = os.geteuid()
    opensearch, correlator = (OPENSEARCH_UID, CORRELATOR_UID) if ROOT else (me, me)
    expected = {
        ".env": (0o600, me),
        "secrets": (0o700, me),
        "secrets/opensearch-admin-password": (0o600, me),
        "secrets/opensearch-correlator-password": (0o600, correlator),
        "secrets/misp-automation-key": (0o600, correlator),
        "pki": (0o700, me),
        "pki/ca.key": (0o600, me),
        "pki/ca.crt": (0o644, me),
        "pki/opensearch-node.key": (0o600, opensearch),
        "pki/opensearch-admin.key": (0o600, opensearch),
        "pki/dashboards.key": (0o600, opensearch),
        "pki/feedserver.key": (0o600, me),
        "config/opensearch": (0o700, me),
        "config/opensearch/security": (0o700, opensearch),
        "config/opensearch/security/internal_users.yml": (0o600, opensearch),
        "config/opensearch/security/roles.yml": (0o644, me),
    }
    assert {name: _mode_owner(site / name) for name in expected} == expected


def _cat_as(uid: int, path: str, fds: tuple[int, ...] = ()) -> bool:
    """True when `uid` can read `path` (cat, so no interpreter under /root is needed)."""
    done = subprocess.run(
        ["/bin/cat", path], user=uid, group=uid, pass_fds=fds, capture_output=True, check=False
    )
    return done.returncode == 0


def test_only_the_uid_that_needs_a_secret_reads_it(site: Path) -> None:
    if not ROOT:  # without root no file can be given to another uid: each is the renderer's, mode 0600
        assert all(_mode_owner(p)[1] == os.geteuid() for p in site.rglob("*") if p.is_file())
        return
    hashes = site / "config" / "opensearch" / "security" / "internal_users.yml"
    node_key = site / "pki" / "opensearch-node.key"
    correlator_secret = site / "secrets" / "opensearch-correlator-password"
    # a host account that happens to have the container's uid reaches nothing by path
    assert not _cat_as(OPENSEARCH_UID, str(hashes))
    assert not _cat_as(OPENSEARCH_UID, str(node_key))
    assert not _cat_as(CORRELATOR_UID, str(correlator_secret))
    # the containers, which see only the mounted folder or file, read what they need and nothing else
    security_dir = os.open(hashes.parent, os.O_PATH)
    mounts = {name: os.open(site / name, os.O_PATH) for name in (
        "pki/opensearch-node.key", "pki/ca.key", "secrets/opensearch-correlator-password")}
    try:
        fds = (security_dir, *mounts.values())
        assert _cat_as(OPENSEARCH_UID, f"/proc/self/fd/{security_dir}/internal_users.yml", fds)
        assert _cat_as(OPENSEARCH_UID, f"/proc/self/fd/{mounts['pki/opensearch-node.key']}", fds)
        assert not _cat_as(OPENSEARCH_UID, f"/proc/self/fd/{mounts['pki/ca.key']}", fds)
        correlator_mount = mounts["secrets/opensearch-correlator-password"]
        assert _cat_as(CORRELATOR_UID, f"/proc/self/fd/{correlator_mount}", fds)
        assert not _cat_as(CORRELATOR_UID, f"/proc/self/fd/{security_dir}/internal_users.yml", fds)
        assert not _cat_as(4321, f"/proc/self/fd/{mounts['pki/opensearch-node.key']}", fds)
    finally:
        for fd in (security_dir, *mounts.values()):
            os.close(fd)


def test_a_render_tightens_a_site_rendered_with_looser_folders(site: Path) -> None:
    (site / "config" / "opensearch").chmod(0o755)  # as renders before this rule left it
    (site / "pki").chmod(0o755)
    result = render_site(site, load_profile(site), secrets=fixed_secret)
    assert result.written == ()  # only folder modes changed
    assert _mode_owner(site / "config" / "opensearch")[0] == 0o700
    assert _mode_owner(site / "pki")[0] == 0o700

