"""`--logs a.log b.log --intel x.json`: options that take several values after one flag.

Click takes one value per option occurrence; this command class rewrites the argv before parsing so that
every bare value following a multi-value option repeats that option (`--logs a.log --logs b.log`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from typer.core import TyperCommand


def spread_multi_values(args: list[str], options: frozenset[str]) -> list[str]:
    """Repeat each option of `options` before every bare value that follows it (`-` is a value: stdin)."""
    out: list[str] = []
    current: str | None = None
    for arg in args:
        if arg == "--":
            current = None
            out.append(arg)
        elif arg.startswith("-") and arg != "-":
            current = arg if arg in options else None
            out.append(arg)
        elif current is not None:
            if out and out[-1] == current:
                out.append(arg)
            else:
                out.extend((current, arg))
        else:
            out.append(arg)
    return out


class MultiValueCommand(TyperCommand):
    """A Typer command whose `multi_value_options` accept several values after one flag."""

    multi_value_options: ClassVar[frozenset[str]] = frozenset()

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread_multi_values(list(args), self.multi_value_options))

    @classmethod
    def accepting(cls, *options: str) -> type[MultiValueCommand]:
        """A subclass for these option names."""
        attributes: dict[str, Any] = {"multi_value_options": frozenset(options)}
        return type(
            "MultiValueCommandFor" + "".join(o.strip("-").title() for o in options), (cls,), attributes
        )
