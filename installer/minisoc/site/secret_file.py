"""The one reader of a secret file: SITE_DIR/secrets/<name>, a key file the profile names, or a password
file mounted into the correlator container.

A secret file holds one line: its value, optionally followed by exactly one newline (`\\n` or `\\r\\n`), which
is not part of the value; nothing else is stripped (a space may be part of a password). Every failure is one
line naming the file, never its content, with a hint.
"""

from __future__ import annotations

from pathlib import Path, PurePath

from minisoc.errors import UsageError

MAX_SECRET_LENGTH = 4096
RENDER_HINT = (
    "run `minisoc render SITE_DIR` (as the user who rendered the site, or root) to generate it; "
    "delete an unusable one first"
)
_FOLDER_HINT = "move that folder away (minisoc never deletes a folder), then try again"


def read_secret(path: Path, *, where: str | PurePath | None = None, hint: str = RENDER_HINT) -> str:
    """The value in the secret file `path`; UsageError when it is missing, unreadable or unusable. `where`
    names the file in the message (default: the path itself)."""
    value = read_secret_if_present(path, where=where, hint=hint)
    if value is None:
        raise UsageError(f"{where or path}: missing", hint)
    return value


def read_secret_if_present(
    path: Path, *, where: str | PurePath | None = None, hint: str = RENDER_HINT
) -> str | None:
    """As `read_secret`, but None when the file does not exist (render generates the missing ones)."""
    shown = where or path
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise UsageError(f"{shown}: is a folder where minisoc keeps a secret file", _FOLDER_HINT) from None
    except NotADirectoryError:
        raise UsageError(
            f"{path.parent}: is a file where minisoc render needs a folder",
            "move that file away (render never deletes what it did not write), then render again",
        ) from None
    except OSError as error:
        raise UsageError(f"{shown}: cannot read ({error.strerror or type(error).__name__})", hint) from None
    try:
        value = strip_newline(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"{shown}: not a usable secret (not UTF-8 text)", hint) from None
    problem = secret_problem(value)
    if problem is not None:
        raise UsageError(f"{shown}: not a usable secret ({problem})", hint)
    return value


def strip_newline(text: str) -> str:
    """`text` without its one trailing line end (`\\n` or `\\r\\n`), if it has one."""
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def secret_problem(value: str) -> str | None:
    """Why `value` cannot be a secret (one line, 1 to 4096 characters, no NUL), or None when it can."""
    if not value:
        return "empty"
    if "\n" in value or "\r" in value:
        return "several lines"
    if "\x00" in value:
        return "a NUL byte"
    if len(value) > MAX_SECRET_LENGTH:
        return f"longer than {MAX_SECRET_LENGTH} characters"
    return None
