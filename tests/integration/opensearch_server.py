"""A real OpenSearch for integration tests, no Docker: the Maven Central integ-test-zip on the host Java.

The zip (`org.opensearch.distribution.integ-test-zip:opensearch:<version>`) is downloaded once into
~/.cache/minisoc/maven/ (checked against Maven Central's .sha512), unpacked per test session, and started on
127.0.0.1 with a free port, a 512 MiB heap, single-node discovery and no security plugin (TLS is tested with
the stack). OpenSearch refuses to run as root: as root it runs as `nobody`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path

VERSION = os.environ.get("MINISOC_TEST_OPENSEARCH_VERSION", "2.19.4")
MAVEN = "https://repo1.maven.org/maven2/org/opensearch/distribution/integ-test-zip/opensearch"
# The integ-test zip has no modules but transport-netty4; the Zeek log template needs analysis-common's
# tokenizers and filters (path_hierarchy, pattern, pattern_replace, ...), as the full distribution has them:
# its jar is installed as a module (its Lucene half, lucene-analysis-common, is in lib/ already).
ANALYSIS_COMMON = "https://repo1.maven.org/maven2/org/opensearch/plugin/analysis-common"
CACHE = Path(os.environ.get("MINISOC_CACHE", Path.home() / ".cache" / "minisoc")) / "maven"
START_TIMEOUT_S = 180.0


class OpenSearchUnavailable(RuntimeError):
    """The test OpenSearch could not be fetched or started; the message says what to check."""


def _download(url: str, target: Path) -> None:
    partial = target.with_suffix(target.suffix + ".part")
    with urllib.request.urlopen(url, timeout=120) as reply, partial.open("wb") as out:
        shutil.copyfileobj(reply, out, 1 << 20)
    partial.replace(target)


def fetch_distribution(version: str = VERSION) -> Path:
    """The cached zip, downloaded and verified against Maven Central's sha512 if missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    zip_path = CACHE / f"opensearch-{version}.zip"
    sha_path = CACHE / f"opensearch-{version}.zip.sha512"
    url = f"{MAVEN}/{version}/opensearch-{version}.zip"
    try:
        if not sha_path.exists():
            _download(url + ".sha512", sha_path)
        if not zip_path.exists():
            _download(url, zip_path)
    except OSError as error:
        raise OpenSearchUnavailable(
            f"cannot download {url}: {error}; hint: Maven Central must be reachable, "
            f"or put the zip in {CACHE}"
        ) from error
    expected = sha_path.read_text().split()[0].strip().lower()
    digest = hashlib.sha512()
    with zip_path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        zip_path.unlink()
        raise OpenSearchUnavailable(
            f"{zip_path}: sha512 mismatch (removed); hint: rerun to download it again"
        )
    return zip_path


def fetch_analysis_common(version: str = VERSION) -> Path:
    """The cached analysis-common module jar, downloaded and verified against Maven Central's sha1."""
    CACHE.mkdir(parents=True, exist_ok=True)
    jar = CACHE / f"analysis-common-{version}.jar"
    url = f"{ANALYSIS_COMMON}/{version}/analysis-common-{version}.jar"
    try:
        if not jar.exists():
            _download(url, jar)
        expected = urllib.request.urlopen(url + ".sha1", timeout=60).read().decode().split()[0].lower()
    except OSError as error:
        raise OpenSearchUnavailable(
            f"cannot download {url}: {error}; hint: Maven Central must be reachable"
        ) from error
    if hashlib.sha1(jar.read_bytes()).hexdigest() != expected:  # Maven Central publishes sha1
        jar.unlink()
        raise OpenSearchUnavailable(f"{jar}: sha1 mismatch (removed); hint: rerun to download it again")
    return jar


def install_analysis_common(home: Path, version: str) -> None:
    module = home / "modules" / "analysis-common"
    module.mkdir(parents=True, exist_ok=True)
    shutil.copy(fetch_analysis_common(version), module / f"analysis-common-{version}.jar")
    (module / "plugin-descriptor.properties").write_text(
        "description=Adds analysis components to OpenSearch\n"
        f"version={version}\nname=analysis-common\n"
        "classname=org.opensearch.analysis.common.CommonAnalysisPlugin\n"
        f"java.version=11\nopensearch.version={version}\ncustom.foldername=\nextended.plugins=\n"
        "has.native.controller=false\n"
    )


def java_home() -> Path:
    """JAVA_HOME, or the JDK of `java` on PATH (OpenSearch 2.x runs on Java 11, 17 or 21)."""
    if os.environ.get("JAVA_HOME"):
        return Path(os.environ["JAVA_HOME"])
    java = shutil.which("java")
    if java is None:
        raise OpenSearchUnavailable("no java on PATH; hint: install openjdk-17-jre-headless or set JAVA_HOME")
    return Path(java).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OpenSearchServer:
    """One single-node cluster in `workdir`; `stop()` and `start()` again keep its data (same port)."""

    def __init__(self, workdir: Path, version: str = VERSION) -> None:
        self.workdir = workdir
        self.version = version
        self.port = free_port()
        self.transport_port = free_port()
        self.home = workdir / f"opensearch-{version}"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def install(self) -> None:
        with zipfile.ZipFile(fetch_distribution(self.version)) as archive:
            archive.extractall(self.workdir)
        install_analysis_common(self.home, self.version)
        for script in (self.home / "bin").iterdir():
            script.chmod(0o755)
        for name in ("data", "logs", "tmp"):
            (self.workdir / name).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            self.workdir.chmod(0o755)
            subprocess.run(["chown", "-R", "nobody:nogroup", str(self.workdir)], check=True)

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        env = dict(
            os.environ,
            OPENSEARCH_JAVA_HOME=str(java_home()),
            OPENSEARCH_JAVA_OPTS="-Xms512m -Xmx512m",
            OPENSEARCH_TMPDIR=str(self.workdir / "tmp"),
        )
        env.pop("JAVA_TOOL_OPTIONS", None)
        argv = [
            str(self.home / "bin" / "opensearch"),
            "-Ediscovery.type=single-node",
            "-Enetwork.host=127.0.0.1",
            f"-Ehttp.port={self.port}",
            f"-Etransport.port={self.transport_port}",
            f"-Epath.data={self.workdir / 'data'}",
            f"-Epath.logs={self.workdir / 'logs'}",
            "-Ecluster.routing.allocation.disk.threshold_enabled=false",
            "-Ecluster.name=minisoc-test",
        ]
        root = os.geteuid() == 0
        self.process = subprocess.Popen(
            argv,
            env=env,
            cwd=self.home,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user="nobody" if root else None,
            group="nogroup" if root else None,
            start_new_session=True,
        )
        self.wait_healthy(timeout_s)

    def wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise OpenSearchUnavailable(
                    f"OpenSearch exited with {self.process.returncode}; hint: see "
                    f"{self.workdir / 'logs'}/minisoc-test.log"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/_cluster/health", timeout=5) as reply:
                    status = json.load(reply).get("status")
                if status in ("green", "yellow"):
                    return
                last = f"cluster health {status}"
            except OSError as error:
                last = str(error)
            time.sleep(1)
        self.stop()
        raise OpenSearchUnavailable(
            f"OpenSearch on {self.url} not healthy after {timeout_s:.0f}s ({last}); "
            f"hint: check free memory (needs ~1 GiB) and {self.workdir / 'logs'}"
        )

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self.process = None


def start_server() -> OpenSearchServer:
    """Install and start a fresh server in a new temporary directory (the caller stops it)."""
    workdir = Path(tempfile.mkdtemp(prefix="minisoc-test-opensearch-"))
    server = OpenSearchServer(workdir)
    server.install()
    server.start()
    return server
