"""Importing the minisoc package afresh from a given source tree, for A/B runs of two trees in one process."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


def import_from_tree(tree: str, *modules: str) -> list[ModuleType]:
    """`modules` (dotted names under minisoc) imported from `tree`, after forgetting any minisoc module.

    They stay in sys.modules until the next call (msgspec resolves annotations through it), so use a tree's
    modules before importing the other tree's.
    """
    for name in [name for name in sys.modules if name.startswith("minisoc")]:
        del sys.modules[name]
    sys.path.insert(0, tree)
    try:
        return [importlib.import_module(name) for name in modules]
    finally:
        sys.path.pop(0)
