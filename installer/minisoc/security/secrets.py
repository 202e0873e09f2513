"""Generated secrets of a site, the `.env` that hands some to compose, redaction, and the leak scanner.

Where secrets live (nowhere else):

- `SITE_DIR/secrets/<name>`: one file per secret, mode 0600, directory 0700, no trailing newline. Mounted
  into containers as compose `secrets:` (file), or read by `minisoc` itself. The canonical copy. Read
  through `minisoc.site.secret_file` (the one reader: one trailing newline stripped, one-line errors).
- `SITE_DIR/.env`: mode 0600, for the few values compose must interpolate into a container's environment
  (images without a `*_FILE` convention). Written by `minisoc render` (`minisoc.render.secrets.format_env`).

Exports others rely on: `SecretStore` (generate-if-missing with `secrets.token_urlsafe(32)`, never overwrite,
`rotate`), `redact(text, secrets)`, and `find_leaks(paths, secret_values)`, which tests use to prove that no
secret reaches `compose.yaml`, rendered configs, logs or CLI output.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from minisoc.errors import UsageError
from minisoc.security.files import (
    ensure_private_dir,
    hand_over,
    write_private,
)
from minisoc.site.layout import ENV_FILE_NAME, SECRETS_DIR_NAME
from minisoc.site.secret_file import read_secret_if_present, secret_problem

MIN_SCANNABLE_LENGTH = 8  # shorter values would match by chance; generated secrets are 40+ characters
REDACTED = "********"

_SECRET_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def token() -> str:
    """The default generator: 32 random bytes, URL-safe base64 (43 characters, 256 bits)."""
    return secrets.token_urlsafe(32)


def alphanumeric(length: int = 40) -> Callable[[], str]:
    """A generator of letters and digits only (MISP automation keys must be 40 of them)."""
    alphabet = string.ascii_letters + string.digits
    return lambda: "".join(secrets.choice(alphabet) for _ in range(length))


class SecretStore:
    """The secrets of one site directory. Generates what is missing, never overwrites, rotates on request."""

    def __init__(self, site_dir: Path) -> None:
        self.site_dir = site_dir
        self.secrets_dir = site_dir / SECRETS_DIR_NAME
        self.env_path = site_dir / ENV_FILE_NAME

    def path(self, name: str) -> Path:
        """The file of secret `name` (a bare name: no '/', no '..', cannot point outside secrets/)."""
        if not _SECRET_NAME.match(name) or ".." in name:
            raise UsageError(f"secret name {name!r} is not allowed",
                             hint="use lowercase letters, digits, '.', '_' and '-' (no '/' or '..')")
        return self.secrets_dir / name

    def get(self, name: str) -> str | None:
        """The value of secret `name`, or None when it was never generated."""
        return read_secret_if_present(self.path(name))

    def ensure(self, name: str, *, generate: Callable[[], str] = token, owner_uid: int | None = None) -> str:
        """The value of secret `name`, generated (and written 0600) only if it does not exist yet."""
        existing = self.get(name)
        if existing is not None:
            hand_over(self.path(name), owner_uid)
            return existing
        return self._write(name, generate(), owner_uid)

    def rotate(self, name: str, *, generate: Callable[[], str] = token, owner_uid: int | None = None) -> str:
        """Replace secret `name` with a new value (atomically) and return it.

        Whoever uses it must be updated too: `minisoc render` then `minisoc up` (see docs/security.md).
        """
        return self._write(name, generate(), owner_uid)

    def names(self) -> list[str]:
        """The names of every secret on disk, sorted."""
        if not self.secrets_dir.is_dir():
            return []
        files = (p for p in self.secrets_dir.iterdir() if p.is_file())
        return sorted(p.name for p in files if _SECRET_NAME.match(p.name))

    def values(self) -> dict[str, str]:
        """Every secret on disk by name (for the leak scanner and `redact`; never print this)."""
        found = {name: self.get(name) for name in self.names()}
        return {name: value for name, value in found.items() if value is not None}

    def _write(self, name: str, value: str, owner_uid: int | None) -> str:
        path = self.path(name)
        problem = secret_problem(value)
        if problem is not None:
            raise UsageError(f"{path}: not a usable secret ({problem})",
                             hint="generate a value on one line, of at most 4096 characters")
        ensure_private_dir(self.secrets_dir)
        write_private(path, value.encode())
        hand_over(path, owner_uid)
        return value


def redact(text: str, secrets_to_hide: Iterable[str]) -> str:
    """`text` with every secret value (of at least 8 characters) replaced by `********`."""
    values = {s for s in secrets_to_hide if len(s) >= MIN_SCANNABLE_LENGTH}
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return text


@dataclass(frozen=True)
class Leak:
    """A secret found where it must not be: `where` is a file path or a label (e.g. `stdout of render`)."""

    where: str
    line: int
    secret: str  # the secret's name (or `#<index>` when values were given without names), never its value

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: secret {self.secret} appears here"


def find_leaks(paths: Iterable[Path], secret_values: Mapping[str, str] | Iterable[str], *,
               texts: Mapping[str, str] | None = None, exclude: Iterable[Path] = ()) -> list[Leak]:
    """Every place a secret value occurs in `paths` (files, or folders walked recursively without following
    symlinks) and in `texts` (label -> captured output). `exclude` lists the files and folders allowed to
    hold secrets (`.env`, `secrets/`, `pki/`). Values shorter than 8 characters are not searched.
    """
    named = dict(secret_values) if isinstance(secret_values, Mapping) else {
        f"#{index}": value for index, value in enumerate(secret_values)}
    needles = {name: value.encode() for name, value in named.items() if len(value) >= MIN_SCANNABLE_LENGTH}
    skipped = {path.resolve() for path in exclude}
    leaks: list[Leak] = []
    for file in _files(paths, skipped):
        leaks += _scan(str(file), file.read_bytes(), needles)
    for label, text in (texts or {}).items():
        leaks += _scan(label, text.encode(), needles)
    return leaks


def _files(paths: Iterable[Path], skipped: set[Path]) -> Iterable[Path]:
    for path in paths:
        if path.resolve() in skipped or path.is_symlink():
            continue
        if path.is_dir():
            yield from _files(sorted(path.iterdir()), skipped)
        elif path.is_file():
            yield path


def _scan(where: str, data: bytes, needles: Mapping[str, bytes]) -> list[Leak]:
    found = []
    for name, needle in needles.items():
        start = data.find(needle)
        while start != -1:
            found.append(Leak(where, data.count(b"\n", 0, start) + 1, name))
            start = data.find(needle, start + 1)
    return found
