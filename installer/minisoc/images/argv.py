"""Pure argv builders for the docker and pip calls that build images (unit-tested, no side effects)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

TARGET_PYTHON = "3.11"  # Debian bookworm's python3, which the correlator image runs


def docker_build_argv(
    tag: str,
    context: Path,
    build_args: Mapping[str, str],
    *,
    labels: Mapping[str, str],
    network: str | None = None,
    pull: bool = False,
    docker: str = "docker",
) -> list[str]:
    """`docker build` with sorted build args and labels so the same inputs give the same argv."""
    argv = [docker, "build", "--tag", tag, "--file", str(context / "Dockerfile")]
    for name in sorted(build_args):
        argv += ["--build-arg", f"{name}={build_args[name]}"]
    for name in sorted(labels):
        argv += ["--label", f"{name}={labels[name]}"]
    if network:
        argv += ["--network", network]
    if pull:
        argv.append("--pull")
    argv.append(str(context))
    return argv


def docker_image_label_argv(tag: str, label: str, docker: str = "docker") -> list[str]:
    """Print one label of a local image (non-zero exit when the image is absent)."""
    return [docker, "image", "inspect", "--format", f'{{{{ index .Config.Labels "{label}" }}}}', tag]


def docker_image_exists_argv(tag: str, docker: str = "docker") -> list[str]:
    return [docker, "image", "inspect", "--format", "{{.Id}}", tag]


def manylinux_platforms(machine: str) -> list[str]:
    """Wheel platform tags a Debian bookworm (glibc 2.36) container accepts, newest first."""
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    glibc = [f"manylinux_2_{minor}_{arch}" for minor in (36, 34, 31, 28, 27, 24, 17)]
    return [*glibc, f"manylinux2014_{arch}", f"linux_{arch}"]


def wheelhouse_argv(
    python: str,
    lock: Path,
    wheelhouse: Path,
    *,
    machine: str,
    find_links: Sequence[Path] = (),
    offline: bool = False,
) -> list[str]:
    """`pip download` of the binary wheels `lock` pins, hash-checked, for the image's CPython 3.11 whatever
    Python runs on the host. Hash-checking mode also refuses a dependency the lock does not pin."""
    argv = [
        python,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        TARGET_PYTHON,
        "--abi",
        "cp311",
        "--abi",
        "abi3",
        "--abi",
        "none",
    ]
    for platform in manylinux_platforms(machine):
        argv += ["--platform", platform]
    argv += ["--dest", str(wheelhouse)]
    for folder in find_links:
        argv += ["--find-links", str(folder)]
    if offline:
        argv.append("--no-index")
    argv += ["--require-hashes", "--requirement", str(lock)]
    return argv


def project_wheel_argv(python: str, project_root: Path, out_dir: Path) -> list[str]:
    """Build the minisoc wheel itself from a source checkout (no dependencies)."""
    return [
        python,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--wheel-dir",
        str(out_dir),
        str(project_root),
    ]
