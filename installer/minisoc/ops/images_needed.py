"""Which local images a site needs: those of its rendered compose.yaml that minisoc knows how to build."""

from __future__ import annotations

from pathlib import Path

from minisoc.images.catalog import ImageSpec, all_images, images_for_tags
from minisoc.site import service_images, site_layout


def images_for_site(site_dir: Path | None) -> tuple[ImageSpec, ...]:
    """Every buildable image without a site; with a rendered site, only the ones its compose file uses."""
    if site_dir is None:
        return all_images()
    files = site_layout(site_dir)
    if not files.is_rendered():
        return all_images()
    return images_for_tags(set(service_images(files.compose_document()).values()))
