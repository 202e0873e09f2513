"""`minisoc alerts list/ack SITE_DIR` on the host: the connection settings derived from a site that
`minisoc init --template ci` + `minisoc render` wrote (published port, CA, user, secret files), errors that
name the host URL and never a secret, and the in-container command for stores only the correlator reaches."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from factories import init_site
from minisoc.cli.main import main
from minisoc.compose import Completed
from minisoc.errors import ExternalCommandError, ServiceError, UsageError
from minisoc.profile import load_profile
from minisoc.review import StoreReview, open_review
from minisoc.review.container import ContainerReview, relayed_error
from minisoc.review.site import HostView, Purpose, host_view
from minisoc.site import site_paths

BIG_BUDGET = ("resources.ram_budget_mb=8192",)  # room for the local MISP services


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rendered_site(root: Path, *assignments: str) -> Path:
    return init_site(root, *assignments, render=True)


def secret_values(site: Path) -> list[str]:
    values = [path.read_text().strip() for path in (site / "secrets").iterdir()]
    assert values and all(len(value) >= 16 for value in values)
    return values


def view_of(site: Path, purpose: Purpose = "list") -> HostView | None:
    profile = load_profile(site)
    return host_view(profile, site_paths(site, profile), purpose)


def test_the_ci_site_is_reached_at_its_published_port_with_tls_ca_and_the_analyst_to_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = rendered_site(tmp_path, "ports.opensearch.port=19299")
    capsys.readouterr()
    purposes: list[tuple[Purpose, str]] = [("list", "analyst"), ("ack", "correlator")]
    for purpose, user in purposes:
        view = view_of(site, purpose)
        assert view is not None
        sink = view.config.sink.opensearch
        assert sink is not None and sink.password_file is not None and sink.ca_file is not None
        assert sink.url == "https://127.0.0.1:19299"
        assert sink.username == user
        assert sink.password_file == site.resolve() / "secrets" / f"opensearch-{user}-password"
        assert sink.password_file.is_file()
        assert sink.ca_file == site.resolve() / "pki" / "ca.crt"
        assert sink.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
        assert sink.verify_tls is True
        assert sink.alerts_index == "minisoc-alerts"
        assert view.config.intel.misp is None
        assert "intel.misp.enabled" in view.no_misp_reason
    review = open_review(site, None, None, "list")
    try:
        assert isinstance(review, StoreReview)
        assert review.description == "OpenSearch at https://127.0.0.1:19299 as analyst"
    finally:
        review.close()


def test_tls_off_means_http_and_no_user(tmp_path: Path) -> None:
    site = rendered_site(tmp_path, "security.tls.enabled=false", "ports.opensearch.port=19298")
    view = view_of(site, "ack")
    assert view is not None
    sink = view.config.sink.opensearch
    assert sink is not None
    assert (sink.url, sink.password_file, sink.ca_file, sink.verify_tls) == (
        "http://127.0.0.1:19298",
        None,
        None,
        False,
    )


def test_a_site_that_is_down_fails_with_the_host_url_and_no_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    site = rendered_site(tmp_path, f"ports.opensearch.port={port}")
    secrets = secret_values(site)
    capsys.readouterr()
    for argv in (["alerts", "list", str(site)], ["alerts", "ack", "0123456789abcdef", str(site)]):
        assert main(argv) == 3
        captured = capsys.readouterr()
        assert f"https://127.0.0.1:{port}" in captured.err
        assert "; hint: check that the site is up" in captured.err
        assert "Traceback" not in captured.err
        for value in secrets:
            assert value not in captured.err and value not in captured.out


def test_a_missing_password_file_is_named_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = rendered_site(tmp_path, f"ports.opensearch.port={closed_port()}")
    (site / "secrets" / "opensearch-analyst-password").unlink()
    capsys.readouterr()
    assert main(["alerts", "list", str(site)]) == 2
    err = capsys.readouterr().err
    assert "secrets/opensearch-analyst-password: missing" in err and "hint: run `minisoc render" in err


def test_an_unrendered_site_asks_for_render(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = init_site(tmp_path)
    capsys.readouterr()
    assert main(["alerts", "list", str(site)]) == 2
    assert "the site is not rendered; hint: run `minisoc render" in capsys.readouterr().err


def test_misp_for_false_positive_sightings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    local = init_site(tmp_path / "a", "intel.misp.enabled=true", "ports.misp.port=18443", *BIG_BUDGET)
    view = view_of(local, "ack")
    assert view is not None
    misp = view.config.intel.misp
    assert misp is not None
    assert (misp.url, misp.verify_tls) == ("https://127.0.0.1:18443/", False)
    assert misp.key_file == local.resolve() / "secrets" / "misp-automation-key"
    assert view.config.sightings.enabled and view.config.sightings.source == "ci"
    (local / "pki").mkdir(exist_ok=True)
    (local / "pki" / "misp.crt").write_text("issued by the site PKI")  # rendered with TLS: misp-core has it
    misp = view_of(local, "ack").config.intel.misp  # type: ignore[union-attr]
    assert misp is not None and (misp.verify_tls, misp.ca_file) == (True, local.resolve() / "pki" / "ca.crt")

    external = init_site(tmp_path / "b", "intel.misp.enabled=true", "intel.misp.url=https://misp.example.org/")
    view = view_of(external, "ack")
    assert view is not None
    misp = view.config.intel.misp
    assert misp is not None
    assert (misp.url, misp.verify_tls) == ("https://misp.example.org/", True)

    unpublished = init_site(tmp_path / "c", "intel.misp.enabled=true", "ports.misp=null", *BIG_BUDGET)
    view = view_of(unpublished, "ack")
    assert view is not None and view.config.intel.misp is None
    assert "ports.misp" in view.no_misp_reason


def test_sqlite_and_unpublished_opensearch_are_read_inside_the_correlator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite_site = rendered_site(tmp_path / "a", "opensearch.enabled=false", "correlator.index_logs=false")
    assert view_of(sqlite_site) is None
    hidden = rendered_site(tmp_path / "b", "ports.opensearch=null")
    assert view_of(hidden) is None
    review = open_review(sqlite_site, None, None, "list")
    assert isinstance(review, ContainerReview)
    argv = review.argv(["alerts", "list", "--limit", "5"])
    compose = ["docker", "compose", "--project-name", load_profile(sqlite_site).project_name]
    assert argv[: len(compose)] == compose
    tail = ["correlator", "alerts", "list", "--limit", "5", "--config", "/config/correlator.yaml", "--json"]
    if review.running:
        assert argv[-len(tail) - 3 :] == ["exec", "-T", "correlator", "minisoc", *tail[1:]]
    else:
        assert argv[-len(tail) - 4 :] == ["run", "--rm", "--no-deps", "-T", *tail]


def test_errors_from_inside_the_container_keep_their_exit_code_and_hint() -> None:
    usage = relayed_error(
        Completed(
            ["docker"], 2, "", "error: alert abc: not found; hint: list ids with `minisoc alerts list`\n"
        )
    )
    assert isinstance(usage, UsageError) and not isinstance(usage, ServiceError)
    assert usage.lines() == ["alert abc: not found; hint: list ids with `minisoc alerts list`"]
    as_json = relayed_error(Completed(["docker"], 2, '{"error": "alert abc: not found", "exit_code": 2, '
                                      '"hint": "list ids", "ok": false}\n', ""))  # it ran with --json
    assert isinstance(as_json, UsageError) and as_json.lines() == ["alert abc: not found; hint: list ids"]
    service = relayed_error(Completed(["docker"], 3, "", "error: OpenSearch does not answer\n"))
    assert isinstance(service, ServiceError) and service.exit_code == 3
    engine = relayed_error(Completed(["docker", "compose"], 1, "", 'service "correlator" is not running\n'))
    assert isinstance(engine, ExternalCommandError) and "minisoc up" in (engine.hint or "")


def test_no_site_no_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "list", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no site here" in err and "--store" in err


def test_the_container_listing_knows_its_total_only_below_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The container prints a JSON array: fewer alerts than asked is all of them; as many may be more."""
    review = open_review(rendered_site(tmp_path, "opensearch.enabled=false", "correlator.index_logs=false"),
                         None, None, "list")
    assert isinstance(review, ContainerReview)
    docs = [{"event": {"id": str(n)}} for n in range(3)]

    def fake_run(argv: list[str], **_: object) -> Completed:
        return Completed(argv, 0, json.dumps(docs), "")

    monkeypatch.setattr("minisoc.review.container.run_command", fake_run)
    assert (review.list_alerts(None, 5).docs, review.list_alerts(None, 5).total) == (docs, 3)
    assert review.list_alerts(None, 3).total is None
    with pytest.raises(UsageError, match="--limit -1: not a number of alerts"):
        review.list_alerts(None, -1)
