"""The `minisoc` command line: one module per command, joined in `main` (`run` is the console script)."""

from minisoc.cli.main import build_app, run

__all__ = ["build_app", "run"]
