"""Locally built images: OpenSearch from Maven Central, the correlator from a host wheelhouse,
the feed server.

No container registry is needed: every input comes from Debian packages, Maven Central or PyPI.
"""

from minisoc.images.build import BuildOptions, build_images, default_cache_dir, image_exists
from minisoc.images.catalog import ImageSpec, all_images, images_for_tags

__all__ = [
    "BuildOptions",
    "ImageSpec",
    "all_images",
    "build_images",
    "default_cache_dir",
    "image_exists",
    "images_for_tags",
]
