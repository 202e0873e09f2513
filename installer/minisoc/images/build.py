"""Build the local images: stage each context, skip images built from the same inputs, time each build."""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from minisoc import __version__
from minisoc.compose.process import run_command
from minisoc.errors import ServiceError, UsageError
from minisoc.images.argv import (
    docker_build_argv,
    docker_image_exists_argv,
    docker_image_label_argv,
    project_wheel_argv,
    wheelhouse_argv,
)
from minisoc.images.catalog import BASE_IMAGE, CONTEXT_LABEL, ImageSpec
from minisoc.images.context import context_digest, link_or_copy, stage_context
from minisoc.images.lock import LOCK_FILE_NAME, locked_wheels, parse_lock
from minisoc.images.maven import fetch_verified
from minisoc.images.repack import repack_installed_wheel
from minisoc.resources import requirements_lock, stacks_dir

BUILD_TIMEOUT_S = 3600
# The legacy builder is what Debian's docker.io ships without buildx: forcing it keeps builds alike.
BUILD_ENV = {"DOCKER_BUILDKIT": "0"}


def default_cache_dir() -> Path:
    override = os.environ.get("MINISOC_CACHE")
    return Path(override) if override else Path.home() / ".cache" / "minisoc"


@dataclass(frozen=True)
class BuildOptions:
    cache_dir: Path = field(default_factory=default_cache_dir)
    network: str | None = None  # "host" when the bridge network cannot reach the Debian mirror
    force: bool = False  # rebuild even when an image was built from the same inputs
    only_missing: bool = False  # `up`: build only images that do not exist at all
    minisoc_wheel: Path | None = None  # the wheel to install in the correlator image
    find_links: tuple[Path, ...] = ()  # local wheel folders (air-gapped sites)
    offline: bool = False  # never ask PyPI: resolve from find_links only
    base_image: str = BASE_IMAGE


@dataclass(frozen=True)
class BuildResult:
    service: str
    tag: str
    status: str  # "built", "up-to-date" or "present"
    seconds: float
    digest: str


Progress = Callable[[str], None]


def image_exists(tag: str) -> bool:
    return run_command(docker_image_exists_argv(tag), check=False, timeout_s=60).returncode == 0


def image_label(tag: str, label: str) -> str | None:
    done = run_command(docker_image_label_argv(tag, label), check=False, timeout_s=60)
    value = done.stdout.strip()
    return value if done.returncode == 0 and value and value != "<no value>" else None


def checkout_root() -> Path | None:
    """The source checkout this package runs from, if any (a wheel install has none)."""
    root = Path(__file__).resolve().parents[3]
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "minisoc"' in pyproject.read_text(encoding="utf-8"):
        return root
    return None


def locate_minisoc_wheel(options: BuildOptions, out_dir: Path) -> Path:
    """The minisoc wheel for the correlator image: given (--wheel, MINISOC_WHEEL), built from the source
    checkout this package runs from, or repacked from the installed distribution."""
    given = options.minisoc_wheel or (
        Path(os.environ["MINISOC_WHEEL"]) if os.environ.get("MINISOC_WHEEL") else None
    )
    if given is not None:
        if not given.is_file():
            raise UsageError(f"--wheel: {given} does not exist", "build it with `python -m build --wheel`")
        return given
    root = checkout_root()
    if root is None:  # a wheel install: the installed files are the wheel's files
        return repack_installed_wheel(out_dir)
    run_command(project_wheel_argv(sys.executable, root, out_dir), timeout_s=600)
    wheels = sorted(out_dir.glob(f"minisoc-{__version__}-*.whl"))
    if not wheels:
        raise ServiceError(f"pip wheel produced no minisoc wheel in {out_dir}")
    return wheels[-1]


def fill_wheelhouse(context: Path, options: BuildOptions) -> None:
    """Put requirements.lock, the wheels it pins (hash-checked) and the minisoc wheel in the context: the
    image installs the lock with --require-hashes and the minisoc wheel with --no-deps, choosing nothing."""
    lock_file = context / LOCK_FILE_NAME
    lock_file.write_bytes(requirements_lock().read_bytes())
    wheelhouse = context / "wheelhouse"
    wheelhouse.mkdir(parents=True, exist_ok=True)
    scratch = options.cache_dir / "build" / "minisoc-wheel"
    scratch.mkdir(parents=True, exist_ok=True)
    for stale in scratch.glob("minisoc-*.whl"):
        stale.unlink()
    wheel = locate_minisoc_wheel(options, scratch)
    # The locked wheels land in the shared cache first: a rerun finds them without downloading again.
    cache = options.cache_dir / "wheelhouse"
    cache.mkdir(parents=True, exist_ok=True)
    run_command(
        wheelhouse_argv(
            sys.executable,
            lock_file,
            cache,
            machine=platform.machine(),
            find_links=(cache, *options.find_links),
            offline=options.offline,
        ),
        timeout_s=900,
        hint="the correlator's locked dependency wheels could not be fetched or did not match their hashes; "
        "for an air-gapped site pass --find-links DIR --offline",
    )
    # The cache keeps every version it ever held: the context gets only the locked ones.
    for cached in locked_wheels(cache.glob("*.whl"), parse_lock(lock_file.read_text(encoding="utf-8"))):
        link_or_copy(cached, wheelhouse / cached.name)
    link_or_copy(wheel, wheelhouse / wheel.name)


def prepare_context(spec: ImageSpec, options: BuildOptions) -> Path:
    context = stage_context(spec, stacks_dir(), options.cache_dir / "build" / "contexts")
    for artifact in spec.artifacts:
        cached = fetch_verified(artifact, options.cache_dir / "maven")
        link_or_copy(cached, context / "artifacts" / artifact.filename)
    if spec.needs_wheelhouse:
        fill_wheelhouse(context, options)
    return context


def build_one(spec: ImageSpec, options: BuildOptions, progress: Progress) -> BuildResult:
    started = time.monotonic()
    if options.only_missing and image_exists(spec.tag):
        return BuildResult(spec.service, spec.tag, "present", 0.0, image_label(spec.tag, CONTEXT_LABEL) or "")
    progress(f"{spec.tag}: preparing the build context")
    context = prepare_context(spec, options)
    build_args = {**spec.build_args, "BASE_IMAGE": options.base_image}
    digest = context_digest(context, build_args)
    if not options.force and image_label(spec.tag, CONTEXT_LABEL) == digest:
        return BuildResult(spec.service, spec.tag, "up-to-date", time.monotonic() - started, digest)
    progress(f"{spec.tag}: docker build")
    argv = docker_build_argv(
        spec.tag, context, build_args, labels={CONTEXT_LABEL: digest}, network=options.network
    )
    run_command(
        argv,
        timeout_s=BUILD_TIMEOUT_S,
        env=BUILD_ENV,
        hint="read the build output above; if apt cannot reach deb.debian.org, retry with --network host",
    )
    return BuildResult(spec.service, spec.tag, "built", time.monotonic() - started, digest)


def build_images(
    specs: Sequence[ImageSpec], options: BuildOptions, progress: Progress | None = None
) -> list[BuildResult]:
    """Build `specs` in order; raise on the first failure (the images already built stay built)."""
    report = progress or (lambda _message: None)
    if specs and not image_exists(options.base_image):
        raise ServiceError(
            f"the base image {options.base_image} is absent",
            "run .ci/bootstrap (debootstrap + docker import), or load a Debian bookworm image "
            "under that name",
        )
    return [build_one(spec, options, report) for spec in specs]
