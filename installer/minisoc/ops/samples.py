"""The sample data some templates bring: real Zeek logs and a MISP feed that match, so a first site alerts.

The files are package data (`templates/samples/`, origins and licences in its SAMPLE-DATA.md): `minisoc init`
copies the Zeek logs into the profile's `sensor.log_dir`, the MISP feed into its `intel.local_feed_dir`, and
SAMPLE-DATA.md next to both. A file that exists already is left alone (a re-init never clobbers data).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from minisoc.durable import write_atomic
from minisoc.profile.model import SiteProfile
from minisoc.resources import templates_dir
from minisoc.site import site_paths

TEMPLATES_WITH_SAMPLES = frozenset({"first-contact", "training-lab"})
SAMPLES_FOLDER = "samples"
NOTE_NAME = "SAMPLE-DATA.md"
DATA_MODE = 0o644  # read by the correlator and feed server containers (other users than the host's)


@dataclass(frozen=True)
class SamplesCopied:
    log_files: int
    feed_events: int  # MISP event files (<uuid>.json) in the feed folder
    log_dir: Path
    feed_dir: Path | None


def install_samples(site_dir: Path, template: str, profile: SiteProfile) -> SamplesCopied | None:
    """Copy the sample data into the site when `template` brings some; None when it brings none."""
    if template not in TEMPLATES_WITH_SAMPLES:
        return None
    samples = templates_dir() / SAMPLES_FOLDER
    paths = site_paths(site_dir, profile)
    note = (samples / NOTE_NAME).read_bytes()
    log_files = _copy_folder(samples / "zeek", paths.log_dir)
    _write_new(paths.log_dir / NOTE_NAME, note)
    feed_events = 0
    if paths.local_feed_dir is not None:
        copied = _copy_folder(samples / "misp-feed", paths.local_feed_dir)
        feed_events = sum(1 for name in copied if name != "manifest.json")
        _write_new(paths.local_feed_dir / NOTE_NAME, note)
    return SamplesCopied(len(log_files), feed_events, paths.log_dir, paths.local_feed_dir)


def _copy_folder(source: Traversable, target: Path) -> list[str]:
    copied = []
    for entry in sorted(source.iterdir(), key=lambda item: item.name):
        if entry.is_file() and _write_new(target / entry.name, entry.read_bytes()):
            copied.append(entry.name)
    return copied


def _write_new(path: Path, data: bytes) -> bool:
    if path.exists():
        return False
    write_atomic(path, data, mode=DATA_MODE)
    return True
