"""Jinja2 over the packaged stacks/ folder, with StrictUndefined: a missing variable is a bug, never blank."""

from __future__ import annotations

from collections.abc import Mapping

import jinja2

from minisoc.resources import stacks_dir


def _load_template(name: str) -> str:
    path = stacks_dir()
    for part in name.split("/"):
        path = path / part
    if not path.is_file():
        raise jinja2.TemplateNotFound(name)
    return path.read_text(encoding="utf-8")


def stack_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_template),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - renders YAML, Zeek script and config files, never HTML
        keep_trailing_newline=True,
    )


def render_template(environment: jinja2.Environment, name: str, context: Mapping[str, object]) -> str:
    return environment.get_template(name).render(**context)
