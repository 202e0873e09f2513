"""Running the CLI in-process from a test."""

from __future__ import annotations

import json

import pytest

from minisoc.cli.main import main


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> object:
    """`minisoc argv` in this process: it must exit 0; its stdout parsed as JSON (earlier output dropped)."""
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)
