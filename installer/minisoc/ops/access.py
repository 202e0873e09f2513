"""How the host reaches a site's services: URLs from the profile's ports, credentials from secrets/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minisoc.compose.runner import ComposeProject
from minisoc.correlator.clients.opensearch import OpenSearchRest
from minisoc.errors import UsageError
from minisoc.ops.site_facts import site_project
from minisoc.profile.load import load_profile
from minisoc.profile.model import PortBinding, SiteProfile
from minisoc.profile.opensearch_cluster import compose_services
from minisoc.site import SitePaths, connect_host, site_paths

ADMIN_PASSWORD_SECRET = "opensearch-admin-password"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True)
class Site:
    """A loaded site: its profile, its paths (and ops state: `paths.read_state`), and its compose project."""

    site_dir: Path
    profile: SiteProfile
    paths: SitePaths

    @property
    def services(self) -> tuple[str, ...]:
        """The compose services: every OpenSearch node is one (opensearch, opensearch-2, ...)."""
        return compose_services(self.profile)

    def project(self) -> ComposeProject:
        return site_project(self.paths, self.profile.project_name)

    @property
    def tls(self) -> bool:
        return self.profile.security.tls.enabled

    def misp_ca_file(self) -> Path | None:
        """The CA a host-side MISP client checks the server with: `intel.misp.ca_file` for an external MISP;
        for the local one the site CA, once the render issued MISP's certificate (`pki/misp.crt`, mounted
        into misp-core's nginx); else None (misp-docker's self-signed certificate: not checked)."""
        settings = self.profile.intel.misp
        if settings.url is not None:
            return self.paths.site_dir / settings.ca_file if settings.ca_file else None
        pki = self.paths.pki_dir
        return self.paths.ca_file if (pki / "misp.crt").is_file() else None

    def read_secret(self, name: str) -> str:
        """The value of SITE_DIR/secrets/<name>; UsageError (with a hint) when missing or unusable."""
        return self.paths.read_secret(name)

    def opensearch(self, timeout_s: float = 10.0) -> OpenSearchRest:
        binding = _binding(self.profile.ports.opensearch, "opensearch")
        scheme = "https" if self.tls else "http"
        password = self.read_secret(ADMIN_PASSWORD_SECRET) if self.tls else None
        # node N of a cluster is published at ports.opensearch.port + N - 1 (render/context.py)
        others = tuple(
            service_url(binding.model_copy(update={"port": binding.port + offset}), scheme)
            for offset in range(1, self.profile.opensearch.nodes)
        )
        return OpenSearchRest(
            service_url(binding, scheme),
            username="admin" if self.tls else None,
            password=password,
            ca_file=self.paths.ca_file if self.tls else None,
            timeout_s=timeout_s,
            other_urls=others,
        )

    def correlator_url(self) -> str:
        binding = _binding(self.profile.ports.correlator, "correlator")
        return service_url(binding, "http")

    def published_url(self, port: str, scheme: str) -> str | None:
        """`scheme://host:port` of `ports.<port>` (misp, opensearch, dashboards...); None if unpublished."""
        binding = getattr(self.profile.ports, port, None)
        return service_url(binding, scheme) if isinstance(binding, PortBinding) else None


def _binding(binding: PortBinding | None, service: str) -> PortBinding:
    if binding is None:
        raise UsageError(
            f"ports.{service}: not published on the host, so minisoc cannot reach it",
            f"set ports.{service}.port in minisoc.yaml and run `minisoc render`",
        )
    return binding


def service_url(binding: PortBinding, scheme: str) -> str:
    """`scheme://host:port` where the host reaches a published port (site/hosts.connect_host: a wildcard
    bind at 127.0.0.1, an IPv6 address in brackets). The one rule for ops and review/."""
    return f"{scheme}://{connect_host(binding.host_address)}:{binding.port}"


def load_site(site_dir: Path) -> Site:
    profile = load_profile(site_dir)
    return Site(site_dir, profile, site_paths(site_dir, profile))
