"""The site profile (`SITE_DIR/minisoc.yaml`): its schema, its loader and its cross-field checks.

Public surface: `minisoc.profile.load.load_profile(site_dir) -> SiteProfile` and
`minisoc.profile.model.SiteProfile`.
"""

from minisoc.profile.load import load_profile, parse_profile
from minisoc.profile.model import SERVICE_NAMES, PortBinding, ServiceName, SiteProfile
from minisoc.site.layout import PROFILE_FILE_NAME

__all__ = [
    "PROFILE_FILE_NAME",
    "SERVICE_NAMES",
    "PortBinding",
    "ServiceName",
    "SiteProfile",
    "load_profile",
    "parse_profile",
]
