"""Locate the package data (stacks/, templates/, requirements.lock) in an installed wheel or a checkout."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path


def data_root(name: str) -> Traversable:
    """The `stacks` or `templates` folder inside the wheel (or at the repository root in a checkout)."""
    packaged = resources.files("minisoc") / name
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"minisoc package data folder {name!r} is missing: reinstall minisoc")


def stacks_dir() -> Traversable:
    return data_root("stacks")


def templates_dir() -> Traversable:
    return data_root("templates")


def requirements_lock() -> Traversable:
    """minisoc's dependency lock (pinned with hashes): packaged in the wheel, at the root of a checkout."""
    packaged = resources.files("minisoc") / "requirements.lock"
    if packaged.is_file():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "requirements.lock"
    if checkout.is_file():
        return checkout
    raise FileNotFoundError("minisoc's requirements.lock is missing from the package: reinstall minisoc")
