"""The suite collects as one: pytest's default (rootdir-relative, "prepend") import mode refuses two test
modules with one basename, and that refusal stops the whole CI run at collection (it did, once)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_basename() -> None:
    names = Counter(path.name for path in TESTS.rglob("test_*.py"))
    assert sorted(name for name, count in names.items() if count > 1) == []
