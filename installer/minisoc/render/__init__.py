"""Render a site: compose.yaml, .env and secrets, every mounted config file, and minisoc.lock.

Exports others rely on:

- `render_site(site_dir, profile, *, secrets=generate_secret) -> RenderResult`: render everything (files,
  secrets kept, log/feed folders, PKI, OpenSearch security files) into a stage, then swap the changed files
  in (`render.staging`): all or nothing. `RenderResult.restarts` names the services to restart.
- `render_files(site_dir, profile, *, secrets=...) -> RenderedSite`: the rendered files, in memory only.
- `RenderResult.compose`: the compose document it wrote, which `up` works on (nothing reads it back).
- The site's paths (`site_paths`, `SitePaths`) are the site layer's: `minisoc.site`.
- `SecretSource`/`SecretSpec`/`generate_secret`: the secret source is a parameter (tests inject a fixed one).
"""

from minisoc.render.files import RenderedFile, RenderResult
from minisoc.render.memory import RenderedSite, render_files
from minisoc.render.secrets import SecretSource, SecretSpec, generate_secret
from minisoc.render.site import render_site

__all__ = [
    "RenderResult",
    "RenderedFile",
    "RenderedSite",
    "SecretSource",
    "SecretSpec",
    "generate_secret",
    "render_files",
    "render_site",
]
