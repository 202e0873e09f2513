"""The site profile (`SITE_DIR/minisoc.yaml`): its schema, its loader and its cross-field checks.

Public surface: `minisoc.profile.load.load_profile(site_dir) -> SiteProfile` and
`minisoc.profile.model.SiteProfile`.
"""
