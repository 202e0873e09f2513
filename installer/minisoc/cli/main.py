"""The CLI edge: build the Typer app from one module per command, map MinisocError to exit codes.

Nothing below this module prints tracebacks or decides exit codes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

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
    kafka,
    lab,
    logs,
    plan,
    profile,
    render,
    replay,
    scenario,
    status,
    up,
    verify,
)
from minisoc.errors import ExternalCommandError, MinisocError, ProfileError

COMMAND_MODULES = (
    init, profile, render, plan, doctor, up, down, status, logs, replay, hunt, alerts, images, verify,
    certs, correlate, kafka, lab, scenario,
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


def error_document(error: MinisocError) -> dict[str, Any]:
    """An error as `--json` prints it: one JSON object, the same facts as the text lines."""
    document: dict[str, Any] = {
        "ok": False, "error": error.message, "hint": error.hint, "exit_code": error.exit_code,
    }
    if isinstance(error, ProfileError):
        document["problems"] = [
            {"path": problem.path, "message": problem.message, "hint": problem.hint}
            for problem in error.problems
        ]
    if isinstance(error, ExternalCommandError):
        document["command"] = {
            "argv": error.argv, "returncode": error.returncode,
            "stdout": error.stdout.strip()[-2000:], "stderr": error.stderr.strip()[-2000:],
        }
    return document


# Commands whose stdout is a stream of records (hunt: alert lines) report as their summary does: on stderr.
_JSON_ERRORS_ON_STDERR = frozenset({"hunt"})


def json_error_stream(app: typer.Typer, args: Sequence[str]) -> TextIO | None:
    """Where errors go as a JSON object: None unless `args` name a command that has --json and pass it."""
    if "--json" not in args:
        return None
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    for token in args:
        if token == "--":  # noqa: S105 - the end-of-options marker, not a password
            break
        subcommands = getattr(command, "commands", None)  # a group (typer's click is vendored: duck-typed)
        if isinstance(subcommands, dict) and not token.startswith("-"):
            if token not in subcommands:
                break
            command = subcommands[token]
            path.append(token)
    if not any("--json" in getattr(param, "opts", ()) for param in command.params):
        return None
    return sys.stderr if path[:1] and path[0] in _JSON_ERRORS_ON_STDERR else sys.stdout


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with `argv` and return the exit code (tests call this; `run` is the console script).

    With --json (on a command that has it), an error is one JSON object (on stdout, where the command's JSON
    goes; hunt: on stderr, with its summary), not text lines.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    app = build_app()
    json_errors = json_error_stream(app, args)
    try:
        result = app(args=args, prog_name="minisoc", standalone_mode=False)
    except MinisocError as error:
        if debug:
            raise
        if json_errors is not None:
            print(json.dumps(error_document(error), sort_keys=True), file=json_errors)
        else:
            _print_error(error)
        return error.exit_code
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.TyperException as usage:  # bad arguments (click's UsageError and kin): one line, exit 2
        code = int(getattr(usage, "exit_code", 2))
        if json_errors is not None:
            message, _, hint = usage_error_line(usage).removeprefix("error: ").partition("; hint: ")
            document = {"ok": False, "error": message, "hint": hint or None, "exit_code": code}
            print(json.dumps(document, sort_keys=True), file=json_errors)
        else:
            print(usage_error_line(usage), file=sys.stderr)
        return code
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
