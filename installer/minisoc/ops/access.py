"""How the host reaches a site's services: URLs from the profile's ports, credentials from secrets/."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from minisoc.compose.runner import ComposeProject
from minisoc.correlator.clients.opensearch import OpenSearchRest
from minisoc.errors import UsageError
from minisoc.ops.site import SiteFiles
from minisoc.profile.load import load_profile
from minisoc.profile.model import PortBinding, SiteProfile
from minisoc.render.paths import SitePaths, site_paths
from minisoc.security.secrets import SecretStore

ADMIN_PASSWORD_SECRET = "opensearch-admin-password"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True)
class Site:
    """A loaded site: its profile, its paths, and its compose project."""

    site_dir: Path
    profile: SiteProfile
    paths: SitePaths

    @property
    def files(self) -> SiteFiles:
        return SiteFiles(self.paths.site_dir)

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self.profile.enabled_services())

    def project(self) -> ComposeProject:
        return self.files.project(self.profile.project_name)

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
        return pki / "ca.crt" if (pki / "misp.crt").is_file() else None

    def read_secret(self, name: str) -> str:
        value = SecretStore(self.paths.site_dir).get(name)
        if value is None:
            raise UsageError(f"secrets/{name}: missing", "run `minisoc render` first")
        return value

    def opensearch(self, timeout_s: float = 10.0) -> OpenSearchRest:
        binding = _binding(self.profile.ports.opensearch, "opensearch")
        scheme = "https" if self.tls else "http"
        password = self.read_secret(ADMIN_PASSWORD_SECRET) if self.tls else None
        return OpenSearchRest(
            service_url(binding, scheme),
            username="admin" if self.tls else None,
            password=password,
            ca_file=self.paths.pki_dir / "ca.crt" if self.tls else None,
            timeout_s=timeout_s,
        )

    def correlator_url(self) -> str:
        binding = _binding(self.profile.ports.correlator, "correlator")
        return service_url(binding, "http")

    def published_url(self, port: str, scheme: str) -> str | None:
        """`scheme://host:port` of `ports.<port>` (misp, opensearch, dashboards...); None if unpublished."""
        binding = getattr(self.profile.ports, port, None)
        return service_url(binding, scheme) if isinstance(binding, PortBinding) else None

    def feedserver_url(self) -> str | None:
        binding = self.profile.ports.feedserver
        return None if binding is None else service_url(binding, "http")


def _binding(binding: PortBinding | None, service: str) -> PortBinding:
    if binding is None:
        raise UsageError(
            f"ports.{service}: not published on the host, so minisoc cannot reach it",
            f"set ports.{service}.port in minisoc.yaml and run `minisoc render`",
        )
    return binding


def service_url(binding: PortBinding, scheme: str) -> str:
    """`scheme://host:port` where the host reaches a published port: a wildcard bind (0.0.0.0, ::) at
    127.0.0.1 (the site's certificates name it), an IPv6 address in brackets. The one rule for ops and
    review/ (two copies disagreed on `::`, and neither bracketed an IPv6 address)."""
    address = binding.host_address
    if address in {"0.0.0.0", "", "::"}:  # noqa: S104 - reach a wildcard bind locally
        address = "127.0.0.1"
    return f"{scheme}://{f'[{address}]' if ':' in address else address}:{binding.port}"


def load_site(site_dir: Path) -> Site:
    profile = load_profile(site_dir)
    return Site(site_dir, profile, site_paths(site_dir, profile))
