"""Fetch a Maven Central artifact into a cache and verify it against Maven's published checksum."""

from __future__ import annotations

import hashlib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from minisoc.errors import ServiceError

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
_CHUNK = 1 << 20
_TIMEOUT_S = 60


@dataclass(frozen=True)
class MavenArtifact:
    group: str
    artifact: str
    version: str
    extension: str
    sha512: str | None = None  # pinned digest (a committed lock); None: Maven Central's published .sha512

    @property
    def filename(self) -> str:
        return f"{self.artifact}-{self.version}.{self.extension}"

    def url(self, repository: str = MAVEN_CENTRAL) -> str:
        group_path = self.group.replace(".", "/")
        return f"{repository.rstrip('/')}/{group_path}/{self.artifact}/{self.version}/{self.filename}"


def parse_checksum(text: str) -> str:
    """Maven checksum files hold the hex digest, sometimes followed by the file name."""
    words = text.strip().split()
    if not words:
        raise ValueError("empty checksum file")
    return words[0].lower()


def file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_url(url: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise ServiceError(f"refusing to fetch {url!r}", "Maven repositories are http(s) URLs")
    with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response:  # noqa: S310 (scheme checked above)
        body: bytes = response.read()
        return body


def _download(url: str, destination: Path) -> None:
    partial = destination.with_suffix(destination.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as response, partial.open("wb") as out:  # noqa: S310
            while chunk := response.read(_CHUNK):
                out.write(chunk)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ServiceError(
            f"could not download {url}: {error}",
            "check the network or put the file in the cache folder by hand",
        ) from error
    partial.replace(destination)


def expected_sha512(artifact: MavenArtifact, cache_dir: Path, repository: str = MAVEN_CENTRAL) -> str:
    """The pinned sha512 of the artifact, else Maven's .sha512, cached beside it (reruns need no network)."""
    if artifact.sha512 is not None:
        return artifact.sha512.lower()
    sidecar = cache_dir / (artifact.filename + ".sha512")
    if not sidecar.is_file():
        try:
            sidecar.write_bytes(_read_url(artifact.url(repository) + ".sha512"))
        except OSError as error:
            raise ServiceError(
                f"could not fetch the checksum of {artifact.filename}: {error}",
                "check that Maven Central is reachable",
            ) from error
    return parse_checksum(sidecar.read_text(encoding="ascii"))


def fetch_verified(artifact: MavenArtifact, cache_dir: Path, repository: str = MAVEN_CENTRAL) -> Path:
    """The artifact's path in `cache_dir`, downloaded if absent, always verified by sha512."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / artifact.filename
    expected = expected_sha512(artifact, cache_dir, repository)
    if not target.is_file():
        _download(artifact.url(repository), target)
    actual = file_digest(target, "sha512")
    if actual != expected:
        target.unlink(missing_ok=True)
        raise ServiceError(
            f"{artifact.filename}: sha512 mismatch (got {actual[:16]}..., want {expected[:16]}...)",
            "the download was corrupt and has been removed; run the command again",
        )
    return target


def parse_jar_lock(text: str) -> tuple[MavenArtifact, ...]:
    """The jars of a lock file: `group:artifact:version sha512` per line, `#` comments and blanks ignored."""
    artifacts = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.split("#", 1)[0].strip()
        if not stripped:
            continue
        words = stripped.split()
        coordinates = words[0].split(":")
        if len(words) != 2 or len(coordinates) != 3 or len(words[1]) != 128 or not all(coordinates):
            raise ValueError(f"line {number}: want 'group:artifact:version sha512', got {stripped!r}")
        group, artifact, version = coordinates
        artifacts.append(MavenArtifact(group, artifact, version, "jar", sha512=words[1].lower()))
    return tuple(artifacts)
