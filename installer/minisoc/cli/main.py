"""The CLI edge: build the Typer app from one module per command, map MinisocError to exit codes.

Nothing below this module prints tracebacks or decides exit codes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from minisoc import __version__
from minisoc.cli import (
    alerts,
    certs,
    correlate,
    doctor,
    down,
    hunt,
    images,
    init,
    logs,
    plan,
    profile,
    render,
    status,
    up,
    verify,
)
from minisoc.errors import MinisocError

COMMAND_MODULES = (
    init, profile, render, plan, doctor, up, down, status, logs, hunt, alerts, images, verify, certs,
    correlate,
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="minisoc",
        help="Stand up, verify and run a mini SOC: Zeek, MISP, OpenSearch and the minisoc correlator.",
        no_args_is_help=True, rich_markup_mode=None,
        pretty_exceptions_enable=False,  # tracebacks would show locals, and locals hold secrets
        add_completion=False,
    )

    @app.callback(invoke_without_command=True)
    def root(
        ctx: typer.Context,
        debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
        version: bool = typer.Option(False, "--version", help="Print the version and exit."),
    ) -> None:
        if version:
            typer.echo(f"minisoc {__version__}")
            raise typer.Exit(0)
        if ctx.invoked_subcommand is None:
            typer.echo(ctx.get_help())
            raise typer.Exit(0)

    for module in COMMAND_MODULES:
        module.register(app)
    return app


def _print_error(error: MinisocError) -> None:
    for line in error.lines():
        print(f"error: {line}" if not line.startswith(("stdout:", "stderr:")) else line, file=sys.stderr)


def usage_error_line(usage: Exception) -> str:
    """A bad-arguments error as every other error reads: `error: what: problem; hint: fix`."""
    format_message = getattr(usage, "format_message", None)
    message = str(format_message() if callable(format_message) else usage).rstrip(".")
    context = getattr(usage, "ctx", None)
    command = getattr(context, "command_path", None) or "minisoc"
    return f"error: {command}: {message[:1].lower()}{message[1:]}; hint: `{command} --help` shows the usage"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with `argv` and return the exit code (tests call this; `run` is the console script)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    app = build_app()
    try:
        result = app(args=args, prog_name="minisoc", standalone_mode=False)
    except MinisocError as error:
        if debug:
            raise
        _print_error(error)
        return error.exit_code
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.TyperException as usage:  # bad arguments (click's UsageError and kin): one line, exit 2
        print(usage_error_line(usage), file=sys.stderr)
        return int(getattr(usage, "exit_code", 2))
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
