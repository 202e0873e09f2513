"""Render a site: compose.yaml, .env and secrets, every mounted config file, and minisoc.lock.

Exports others rely on:

- `render_site(site_dir, profile, *, secrets=generate_secret) -> RenderResult`: render everything (files,
  secrets kept, log/feed folders, PKI, OpenSearch security files) into a stage, then swap the changed files
  in (`render.staging`): all or nothing. `RenderResult.restarts` names the services to restart.
- `render_files(site_dir, profile, *, secrets=...) -> RenderedSite`: the rendered files, in memory only.
- `site_paths(site_dir, profile) -> SitePaths`: compose_file, env_file, lock_file, log_dir, local_feed_dir,
  secrets_dir, pki_dir, config_dir, correlator_config, ... (absolute paths) and project_name.
- `SecretSource`/`SecretSpec`/`generate_secret`: the secret source is a parameter (tests inject a fixed one).
"""

from minisoc.render.files import RenderedFile, RenderResult
from minisoc.render.paths import SitePaths, site_paths
from minisoc.render.secrets import SecretSource, SecretSpec, generate_secret
from minisoc.render.site import RenderedSite, render_files, render_site

__all__ = [
    "RenderResult",
    "RenderedFile",
    "RenderedSite",
    "SecretSource",
    "SecretSpec",
    "SitePaths",
    "generate_secret",
    "render_files",
    "render_site",
    "site_paths",
]
