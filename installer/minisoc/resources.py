"""Locate the package data (stacks/ and templates/) in an installed wheel or in a source checkout."""

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
