"""One rule for where the host reaches a published port, shared by the host-side checks (ops/access.py) and
`minisoc alerts` (review/site.py): two copies disagreed on a `::` bind (one built `https://:::9200`), and
neither put an IPv6 address in brackets."""

from __future__ import annotations

from pathlib import Path

import pytest

from minisoc.cli.main import main
from minisoc.ops.access import load_site, service_url
from minisoc.profile.model import PortBinding
from minisoc.review.site import host_view


@pytest.mark.parametrize(("binding", "url"), [
    (PortBinding(port=9200), "https://127.0.0.1:9200"),
    (PortBinding(port=9200, expose=True), "https://127.0.0.1:9200"),  # 0.0.0.0
    (PortBinding(port=9200, bind="::", expose=True), "https://127.0.0.1:9200"),
    (PortBinding(port=9200, bind="::1"), "https://[::1]:9200"),
    (PortBinding(port=9200, bind="192.0.2.7", expose=True), "https://192.0.2.7:9200"),
])
def test_a_binding_is_reached_at_one_url(binding: PortBinding, url: str) -> None:
    assert service_url(binding, "https") == url


def test_the_host_checks_and_alert_review_reach_the_same_opensearch(tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    assert main(["init", str(site_dir), "--template", "ci", "--non-interactive",
                 "--set", 'ports.opensearch.bind="::"', "--set", "ports.opensearch.expose=true"]) == 0
    assert main(["render", str(site_dir)]) == 0
    site = load_site(site_dir)
    view = host_view(site.profile, site.paths, "list")
    assert view is not None and view.config.sink.opensearch is not None
    assert site.opensearch().base_url == view.config.sink.opensearch.url == "https://127.0.0.1:9200"
