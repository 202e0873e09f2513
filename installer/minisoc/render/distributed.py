"""Render a distributed site (`site.topology: distributed`): one bundle per host under SITE_DIR/hosts/.

SITE_DIR itself keeps what only the admin machine holds: minisoc.yaml, minisoc.lock, the canonical secrets
(secrets/) and the site CA with its key (pki/). Each `hosts/<name>/` is what that host needs and nothing
more: compose.yaml (project `<site project>-<name>`), .env and secrets/ of its services only, config/ of
its services, pki/ with the CA certificate and its services' certificates (never the CA key). Copy the
folder to the host (`rsync -a hosts/<name>/ host:/srv/minisoc/`), or, on one machine, run
`minisoc up --host <name>`.

Same staging and swap as a single-host render (`minisoc.render.staging`): never a half-written site.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from minisoc.durable import write_atomic
from minisoc.profile.model import SiteProfile
from minisoc.render.bundles import HostBundle, bundle_dir, host_bundle
from minisoc.render.files import RenderedFile, RenderResult, write_files
from minisoc.render.links import link_cert_names
from minisoc.render.memory import RenderedSite, render_files, site_io_error
from minisoc.render.secrets import SecretSource, generate_secret
from minisoc.render.security_step import PKI_DIR, SECURITY_CONFIG_DIR, StagedSecurity, stage_security
from minisoc.render.staging import Stage, SwapList, check_targets, finish_interrupted, staged
from minisoc.site import SitePaths, site_paths
from minisoc.site.layout import (
    COMPOSE_FILE_NAME,
    ENV_FILE_NAME,
    FEED_MANIFEST_NAME,
    HOSTS_DIR_NAME,
    LOCK_FILE_NAME,
    PKI_DIR_NAME,
    SECRETS_DIR_NAME,
)


def with_link_names(profile: SiteProfile) -> SiteProfile:
    """The profile whose certificates also name what other hosts connect to (addresses or link aliases)."""
    tls = profile.security.tls
    names = [*tls.extra_names, *(n for n in link_cert_names(profile) if n not in tls.extra_names)]
    return profile.model_copy(
        update={
            "security": profile.security.model_copy(
                update={"tls": tls.model_copy(update={"extra_names": names})}
            )
        }
    )


def site_bundles(rendered: RenderedSite, profile: SiteProfile) -> list[HostBundle]:
    return [
        host_bundle(profile, host, rendered.compose, rendered.files, rendered.secret_values)
        for host in profile.hosts
    ]


def distributed_files(rendered: RenderedSite, bundles: list[HostBundle]) -> tuple[RenderedFile, ...]:
    """What SITE_DIR holds besides the PKI: the lock, the canonical secrets and every host's bundle."""
    own = [
        file
        for file in rendered.files
        if file.path == PurePosixPath(LOCK_FILE_NAME) or file.path.parts[0] == SECRETS_DIR_NAME
    ]
    files = [*own, *(file for bundle in bundles for file in bundle.files)]
    return tuple(sorted(files, key=lambda f: str(f.path)))


def render_distributed(
    site_dir: Path,
    profile: SiteProfile,
    *,
    secrets: SecretSource = generate_secret,
    now: datetime | None = None,
    paths: SitePaths | None = None,
) -> RenderResult:
    """Render every host's bundle (see the module docstring); on any error the site is left as it was."""
    paths = paths or site_paths(site_dir, profile)
    root = paths.site_dir
    try:
        recovered = finish_interrupted(root)
        rendered = render_files(site_dir, profile, secrets=secrets, paths=paths)
        with staged(root) as stage:
            result = stage_distributed(stage, rendered, profile, now)
            stage.swap(result.swap)
    except OSError as error:
        raise site_io_error(root, "render", error) from None
    return RenderResult(
        root,
        tuple(file.path for file in result.files),
        result.swap.files,
        (),
        result.swap.removed,
        result.security_files,
        recovered=recovered,
        compose={bundle.host.name: bundle.compose for bundle in result.bundles},
    )


@dataclass(frozen=True)
class StagedBundles:
    """A distributed render built in a stage: what the swap would do (`render` swaps, `plan` reports)."""

    swap: SwapList
    files: tuple[RenderedFile, ...]
    security: StagedSecurity | None
    security_files: tuple[PurePosixPath, ...]
    bundles: tuple[HostBundle, ...]


def stage_distributed(
    stage: Stage, rendered: RenderedSite, profile: SiteProfile, now: datetime | None = None
) -> StagedBundles:
    """Every file of every bundle, the site PKI and each host's certificates, into `stage`."""
    bundles = site_bundles(rendered, profile)
    files = distributed_files(rendered, bundles)
    write_files(stage.root, files)
    _empty_feeds(stage, profile, bundles)
    security = stage_security(stage, with_link_names(profile), rendered.secret_values, now)
    security_files: list[PurePosixPath] = []
    if security is not None:
        security_files += [PKI_DIR / p.name for p in sorted(stage.path(PKI_DIR).iterdir()) if p.is_file()]
        for bundle in bundles:
            security_files += _copy_security(stage, bundle)
    swap = SwapList(tuple(stage.changed_files()), tuple(_stale_bundle_files(stage)))
    check_targets(stage.site_dir, swap)
    return StagedBundles(swap, files, security, tuple(security_files), tuple(bundles))


def _empty_feeds(stage: Stage, profile: SiteProfile, bundles: list[HostBundle]) -> None:
    """An empty MISP feed in the bundle that serves it, not a missing one (as a single-host render)."""
    feed = profile.intel.local_feed_dir
    for bundle in bundles:
        if feed is None or "feedserver" not in bundle.compose["services"]:
            continue
        live = stage.live(bundle_dir(bundle.host) / feed / FEED_MANIFEST_NAME)
        if not live.is_file():
            write_atomic(stage.path(bundle_dir(bundle.host) / feed / FEED_MANIFEST_NAME), b"{}\n", mode=0o644)


def _copy_security(stage: Stage, bundle: HostBundle) -> list[PurePosixPath]:
    """The host's certificates (and, on the host running OpenSearch's first node, the security plugin's
    files) copied from the stage's site PKI into its bundle: same bytes, mode and owner."""
    root = bundle_dir(bundle.host)
    pairs = [(PKI_DIR / name, root / PKI_DIR / name) for name in bundle.certs]
    if any(name.startswith("opensearch-node") for name in bundle.certs):
        folder = stage.path(SECURITY_CONFIG_DIR)
        pairs += [
            (SECURITY_CONFIG_DIR / entry.name, root / SECURITY_CONFIG_DIR / entry.name)
            for entry in sorted(folder.iterdir())
            if entry.is_file()
        ]
    copied = []
    for source, target in pairs:
        origin = stage.path(source)
        if not origin.is_file():
            continue
        info = origin.stat()
        destination = stage.path(target)
        destination.parent.mkdir(parents=True, exist_ok=True)
        _copy_folder_mode(stage.path(source.parent), destination.parent)
        write_atomic(destination, origin.read_bytes(), mode=stat.S_IMODE(info.st_mode))
        if os.geteuid() == 0:
            os.chown(destination, info.st_uid, info.st_gid)
        copied.append(target)
    return copied


def _copy_folder_mode(source: Path, target: Path) -> None:
    info = source.stat()
    target.chmod(stat.S_IMODE(info.st_mode))
    if os.geteuid() == 0:
        os.chown(target, info.st_uid, info.st_gid)


def _stale_bundle_files(stage: Stage) -> list[PurePosixPath]:
    """Files minisoc manages in a bundle (compose.yaml, .env, secrets/, config/, pki/) that this render no
    longer makes (a host removed, a service moved). Logs and feeds in a bundle are never touched."""
    hosts = stage.site_dir / HOSTS_DIR_NAME
    if not hosts.is_dir():
        return []
    stale = []
    for path in sorted(hosts.rglob("*")):
        relative = PurePosixPath(path.relative_to(stage.site_dir).as_posix())
        inside = relative.parts[2] if len(relative.parts) > 2 else ""
        managed = inside in {COMPOSE_FILE_NAME, ENV_FILE_NAME, SECRETS_DIR_NAME, "config", PKI_DIR_NAME}
        if path.is_file() and managed and not stage.path(relative).is_file():
            stale.append(relative)
    return stale
