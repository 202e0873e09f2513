"""The site layer (`minisoc.site`): one model of a site's paths and layout, the one secret-file reader,
and the one rule for reaching a published port from the host, used by every command that needs them."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest
import yaml

from minisoc.cli.main import main
from minisoc.correlator.clients.misp import read_key
from minisoc.correlator.clients.opensearch import open_client
from minisoc.correlator.config import OpenSearchSinkConfig
from minisoc.errors import UsageError
from minisoc.ops.access import load_site
from minisoc.profile.load import load_profile
from minisoc.render import render_files, render_site
from minisoc.render.secrets import generate_secret
from minisoc.review.site import host_view
from minisoc.security.secrets import SecretStore
from minisoc.site import connect_host, read_secret, site_paths
from minisoc.site import layout as site_layout


def make_site(root: Path, *assignments: str) -> Path:
    site = root / "site"
    argv = ["init", str(site), "--template", "ci", "--non-interactive"]
    for assignment in assignments:
        argv += ["--set", assignment]
    assert main(argv) == 0
    return site


@pytest.mark.parametrize(
    ("bind", "host"),
    [
        ("0.0.0.0", "127.0.0.1"),
        ("", "127.0.0.1"),
        ("::", "127.0.0.1"),
        ("0:0:0:0:0:0:0:0", "127.0.0.1"),
        ("127.0.0.1", "127.0.0.1"),
        ("192.0.2.7", "192.0.2.7"),
        ("::1", "[::1]"),
        ("2001:db8::5", "[2001:db8::5]"),
    ],
)
def test_a_wildcard_bind_is_reached_on_its_loopback_and_ipv6_is_bracketed(bind: str, host: str) -> None:
    assert connect_host(bind) == host


def test_ops_and_alert_review_reach_a_port_bound_to_every_ipv6_address_alike(tmp_path: Path) -> None:
    """The two copies disagreed: ops made `https://:::9200`, alert review `https://127.0.0.1:9200`."""
    site = make_site(tmp_path, "ports.opensearch.bind='::'", "ports.opensearch.expose=true")
    loaded = load_site(site)
    binding = loaded.profile.ports.opensearch
    assert binding is not None and binding.host_address == "::"
    view = host_view(loaded.profile, loaded.paths, "list")
    assert view is not None and view.config.sink.opensearch is not None
    assert loaded.published_url("opensearch", "https") == "https://127.0.0.1:9200"
    assert view.config.sink.opensearch.url == "https://127.0.0.1:9200"


@pytest.mark.parametrize(
    ("content", "value"),
    [(b"s3cret\n", "s3cret"), (b"s3cret\r\n", "s3cret"), (b"s3cret", "s3cret"), (b" s3cret \n", " s3cret ")],
)
def test_a_secret_file_loses_exactly_one_trailing_newline(tmp_path: Path, content: bytes, value: str) -> None:
    path = tmp_path / "secret"
    path.write_bytes(content)
    assert read_secret(path) == value


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"", "empty"), (b"\n", "empty"), (b"s3cret\n\n", "several lines"), (b"a\nb", "several lines"),
     (b"a\x00b", "a NUL byte"), (b"\xff\xfe", "not UTF-8 text")],
)
def test_an_unusable_secret_file_is_one_line_naming_the_file(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "secret"
    path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        read_secret(path, where="secrets/x")
    assert caught.value.message == f"secrets/x: not a usable secret ({problem})"
    assert caught.value.hint is not None and "minisoc render" in caught.value.hint


def test_a_missing_or_unreadable_secret_file_is_one_line_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as missing:
        read_secret(tmp_path / "nope", where="secrets/nope")
    assert missing.value.message == "secrets/nope: missing"
    assert missing.value.hint is not None and missing.value.hint.startswith("run `minisoc render SITE_DIR`")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError) as under_a_file:
        read_secret(tmp_path / "file" / "key")
    assert "\n" not in under_a_file.value.message and "is a file where" in under_a_file.value.message
    with pytest.raises(UsageError, match="is a folder where minisoc keeps a secret file"):
        read_secret(tmp_path)


def test_every_reader_of_a_secret_file_reads_it_alike(tmp_path: Path) -> None:
    """Before: the host's alert review, the correlator's MISP key and OpenSearch password readers stripped
    every space, the secret store only line ends: a password ending in a space reached each differently."""
    site = make_site(tmp_path)
    path = site / "secrets" / "opensearch-admin-password"
    path.parent.mkdir(mode=0o700)
    path.write_bytes(b"pass word \n")
    path.chmod(0o600)
    read = {
        "site": load_site(site).read_secret("opensearch-admin-password"),
        "store": SecretStore(site).get("opensearch-admin-password"),
        "misp key": read_key(path),
        "opensearch password": _password_of_client(path),
    }
    assert read == dict.fromkeys(read, "pass word ")
    path.write_bytes(b"")
    for reader in (lambda: read_key(path), lambda: _password_of_client(path)):
        with pytest.raises(UsageError, match="not a usable secret"):
            reader()


def _password_of_client(path: Path) -> str:
    client = open_client(OpenSearchSinkConfig(url="http://127.0.0.1:9", username="u", password_file=path))
    auth = client.transport.kwargs["http_auth"]
    return str(auth[1])


def test_the_site_paths_name_the_files_render_writes(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    profile = load_profile(site)
    paths = site_paths(site, profile)
    rendered = render_files(site, profile, secrets=generate_secret, paths=paths)
    written = {paths.site_dir / Path(*file.path.parts) for file in rendered.files}
    for path in (paths.compose_file, paths.env_file, paths.lock_file, paths.correlator_config,
                 paths.opensearch_index_templates_dir / f"{site_layout.ALERTS_INDEX}.json",
                 paths.secret_file("opensearch-admin-password")):
        assert path in written
    assert paths.profile_file == paths.site_dir / site_layout.PROFILE_FILE_NAME
    assert paths.profile_file.is_file()
    assert paths.state_file.relative_to(paths.site_dir) == Path(*site_layout.OPS_STATE_FILE.parts)
    assert PurePosixPath(site_layout.CORRELATOR_CONFIG_FILE) in {file.path for file in rendered.files}


def test_render_hands_its_compose_document_forward_and_computes_paths_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`up` works on what render held in memory: the same document compose.yaml now holds on disk."""
    site = make_site(tmp_path)
    profile = load_profile(site)
    paths = site_paths(site, profile)

    def computed_again(*_: object) -> None:
        raise AssertionError("site_paths computed again although the caller handed its paths on")

    monkeypatch.setattr("minisoc.render.site.site_paths", computed_again)
    result = render_site(site, profile, paths=paths)
    assert result.compose and result.compose == yaml.safe_load(paths.compose_file.read_text(encoding="utf-8"))
