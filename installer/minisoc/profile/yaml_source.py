"""Read profile YAML safely: syntax errors with line/column; duplicate keys, aliases, huge files refused."""

from __future__ import annotations

from typing import Any

import yaml

from minisoc.errors import Problem

MAX_PROFILE_BYTES = 1_000_000


class _ProfileLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and anchors/aliases (a profile never needs them)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, list | dict):
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain value", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


def parse_yaml(text: str, source: str) -> tuple[object, list[Problem]]:
    """The YAML document in `text` (None when empty), or the problems that stop it being read."""
    if len(text.encode("utf-8", errors="replace")) > MAX_PROFILE_BYTES:
        too_big = Problem(source, f"larger than {MAX_PROFILE_BYTES} bytes", "a profile is a short YAML file")
        return None, [too_big]
    try:
        return yaml.load(text, Loader=_ProfileLoader), []  # noqa: S506 - _ProfileLoader is a SafeLoader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark is not None else source
        what = error.problem or error.context or "not valid YAML"
        return None, [Problem(where, f"YAML syntax error: {what}", "fix the YAML at that line and column")]
    except yaml.YAMLError as error:
        return None, [Problem(source, f"YAML error: {error}", "fix the YAML syntax")]
