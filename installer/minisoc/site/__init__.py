"""The site layer (ground floor): one model of a site directory on the host.

- `layout`: every file and folder name minisoc gives a site (`.env`, `compose.yaml`, `secrets/`,
  `config/correlator/correlator.yaml`, the ops state...) and the alerts index name.
- `SiteLayout(site_dir)`: those paths made absolute, the ops state (`read_state`/`update_state`), the rendered
  compose.yaml read from disk, and `read_secret(name)`; `SitePaths` adds the folders the profile places
  (`site_paths(site_dir, profile)`, computed once per command and handed on).
- `read_secret(path)`: the one reader of a secret file (one trailing newline stripped, one-line errors).
- `connect_host(bind_address)`: the host part of a URL reaching a published port.

It imports only the ground floor (errors, durable), so render, ops, review, security and the correlator
library may all use it.
"""

from minisoc.site.hosts import connect_host
from minisoc.site.paths import (
    SiteLayout,
    SitePaths,
    resolve_site_path,
    service_images,
    site_layout,
    site_paths,
)
from minisoc.site.secret_file import read_secret, read_secret_if_present

__all__ = [
    "SiteLayout",
    "SitePaths",
    "connect_host",
    "read_secret",
    "read_secret_if_present",
    "resolve_site_path",
    "service_images",
    "site_layout",
    "site_paths",
]
