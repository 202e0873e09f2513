"""Config files a render no longer produces (a service was switched off): plan lists, render removes."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from minisoc.render.files import RenderedFile
from minisoc.render.security_step import SECURITY_CONFIG_DIR

CONFIG_DIR = PurePosixPath("config")


def stale_config_files(root: Path, files: tuple[RenderedFile, ...]) -> list[PurePosixPath]:
    """Files under config/ that a render no longer produces (a service was switched off); render removes them.
    The OpenSearch security folder is managed by the security step and never listed.
    """
    config = root / Path(*CONFIG_DIR.parts)
    if not config.is_dir():
        return []
    wanted = {file.path for file in files}
    security = root / Path(*SECURITY_CONFIG_DIR.parts)
    stale = []
    for path in sorted(config.rglob("*")):
        if path.is_file() and not path.is_relative_to(security):
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if relative not in wanted:
                stale.append(relative)
    return stale
