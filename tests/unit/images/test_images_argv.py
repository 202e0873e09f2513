"""Image build argv builders, Maven checksums and the build-context digest (no engine needed)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from minisoc.images import all_images, argv, images_for_tags
from minisoc.images.catalog import OPENSEARCH_ZIP, SECURITY_PLUGIN_ZIP
from minisoc.images.context import context_digest
from minisoc.images.maven import MavenArtifact, file_digest, parse_checksum


def test_docker_build_argv_is_sorted_and_ends_with_the_context(tmp_path: Path) -> None:
    built = argv.docker_build_argv(
        "minisoc/x:1", tmp_path, {"B": "2", "A": "1"}, labels={"l": "v"}, network="host"
    )
    assert built[:6] == ["docker", "build", "--tag", "minisoc/x:1", "--file", str(tmp_path / "Dockerfile")]
    assert built.index("A=1") < built.index("B=2")
    assert built[built.index("--network") + 1] == "host"
    assert built[-1] == str(tmp_path)
    assert "--label" in built and "l=v" in built


def test_docker_build_argv_has_no_network_flag_by_default(tmp_path: Path) -> None:
    assert "--network" not in argv.docker_build_argv("t", tmp_path, {}, labels={})


def test_wheelhouse_argv_targets_the_image_python_not_the_host() -> None:
    built = argv.wheelhouse_argv(
        "/usr/bin/python3",
        Path("/ctx/requirements.lock"),
        Path("/wh"),
        machine="x86_64",
        find_links=(Path("/local"),),
        offline=True,
    )
    assert built[built.index("--python-version") + 1] == "3.11"
    assert "--only-binary=:all:" in built
    assert "manylinux2014_x86_64" in built
    assert built[built.index("--find-links") + 1] == "/local"
    assert "--no-index" in built


def test_wheelhouse_argv_downloads_the_lock_hash_checked() -> None:
    """What the image installs is what the lock pins: no resolution of the minisoc wheel's open ranges."""
    built = argv.wheelhouse_argv("python3", Path("/ctx/requirements.lock"), Path("/wh"), machine="x86_64")
    assert built[-3:] == ["--require-hashes", "--requirement", "/ctx/requirements.lock"]
    assert not any(part.endswith(".whl") for part in built)


def test_manylinux_platforms_map_debian_arch_names() -> None:
    assert argv.manylinux_platforms("amd64")[0].endswith("_x86_64")
    assert argv.manylinux_platforms("arm64")[-1] == "linux_aarch64"


def test_maven_urls_follow_the_repository_layout() -> None:
    assert OPENSEARCH_ZIP.url() == (
        "https://repo1.maven.org/maven2/org/opensearch/distribution/integ-test-zip/"
        f"opensearch/{OPENSEARCH_ZIP.version}/opensearch-{OPENSEARCH_ZIP.version}.zip"
    )
    assert SECURITY_PLUGIN_ZIP.filename.startswith("opensearch-security-")
    assert SECURITY_PLUGIN_ZIP.version.startswith(OPENSEARCH_ZIP.version)  # plugin must match the server
    assert MavenArtifact("a.b", "c", "1", "jar").url("http://mirror/") == "http://mirror/a/b/c/1/c-1.jar"


@pytest.mark.parametrize("text", ["ABCDEF01\n", "abcdef01  opensearch.zip\n"])
def test_parse_checksum_takes_the_first_word(text: str) -> None:
    assert parse_checksum(text) == "abcdef01"


def test_parse_checksum_refuses_an_empty_file() -> None:
    with pytest.raises(ValueError):
        parse_checksum("  ")


def test_file_digest_matches_hashlib(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 3_000_000)
    assert file_digest(path, "sha512") == hashlib.sha512(b"x" * 3_000_000).hexdigest()


def test_context_digest_changes_with_content_args_and_mode(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    first = context_digest(tmp_path, {"A": "1"})
    assert context_digest(tmp_path, {"A": "1"}) == first
    assert context_digest(tmp_path, {"A": "2"}) != first
    (tmp_path / "run.sh").chmod(0o755)
    after_chmod = context_digest(tmp_path, {"A": "1"})
    assert after_chmod != first
    (tmp_path / "Dockerfile").write_text("FROM y\n")
    assert context_digest(tmp_path, {"A": "1"}) != after_chmod


def test_catalog_tags_are_local_and_selectable() -> None:
    tags = {spec.tag for spec in all_images()}
    assert all(tag.startswith("minisoc/") for tag in tags)
    chosen = images_for_tags({"minisoc/feedserver:" + all_images()[0].tag.split(":")[1], "postgres:16"})
    assert [spec.service for spec in chosen] == ["feedserver"]
