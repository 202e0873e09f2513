"""Zeek TSV (LogAscii) values: escapes, set/vector splitting and per-type converters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Converter = Callable[[str], Any]

_CONTAINER_PREFIXES = ("set[", "vector[", "table[")
_FLOAT_TYPES = frozenset({"time", "interval", "double"})
_INT_TYPES = frozenset({"count", "int", "port", "counter"})


def unescape(value: str, set_element: bool = False) -> str:
    """Decode Zeek's escapes: `\\\\` -> `\\`, `\\xNN` -> that byte (and `\\,` -> `,` inside a set element).

    Other backslashes are kept (Bro 2.x wrote `O=Amazon.com\\, Inc.` unescaped). The decoded bytes are read
    as UTF-8; bytes that are not valid UTF-8 come back as `\\xNN` text, as Zeek's JSON writer shows them.
    """
    out = bytearray()
    start = 0
    while True:
        hit = value.find("\\", start)
        if hit < 0:
            out += value[start:].encode("utf-8", "surrogateescape")
            return out.decode("utf-8", "backslashreplace")
        out += value[start:hit].encode("utf-8", "surrogateescape")
        following = value[hit + 1 : hit + 2]
        hex_digits = value[hit + 2 : hit + 4]
        if following == "\\":
            out += b"\\"
            start = hit + 2
        elif following == "x" and len(hex_digits) == 2 and _is_hex(hex_digits):
            out.append(int(hex_digits, 16))
            start = hit + 4
        elif following == "," and set_element:
            out += b","
            start = hit + 2
        else:
            out += b"\\"
            start = hit + 1


def _is_hex(text: str) -> bool:
    return all(char in "0123456789abcdefABCDEF" for char in text)


def split_container(value: str, separator: str) -> list[str]:
    """Split a set/vector on `separator`, honouring backslash escapes, and unescape each element."""
    if "\\" not in value:
        return value.split(separator)
    parts: list[str] = []
    start = index = 0
    width = len(separator)
    while index < len(value):
        if value[index] == "\\":
            index += 2
        elif value.startswith(separator, index):
            parts.append(value[start:index])
            index += width
            start = index
        else:
            index += 1
    parts.append(value[start:])
    return [unescape(part, set_element=True) if "\\" in part else part for part in parts]


def parse_bool(value: str) -> bool:
    if value == "T":
        return True
    if value == "F":
        return False
    raise ValueError(f"not a bool (T/F): {value!r}")


def is_container(zeek_type: str) -> bool:
    return zeek_type.startswith(_CONTAINER_PREFIXES) and zeek_type.endswith("]")


def scalar_converter(zeek_type: str) -> Converter | None:
    """The converter of a scalar type, or None for types kept as text (string, enum, addr, subnet, ...)."""
    if zeek_type in _FLOAT_TYPES:
        return float
    if zeek_type in _INT_TYPES:
        return int
    if zeek_type == "bool":
        return parse_bool
    return None


def container_converter(zeek_type: str, separator: str, unset: str = "-") -> Converter:
    """Converter for `set[T]`, `vector[T]` or Bro 2.x `table[T]`: a list of converted elements. An unset
    element of a vector of numbers, times or addresses (`36.0,-`: Zeek writes the unset mark) is None, as
    JSON's null; text elements stay as written."""
    element = scalar_converter(zeek_type[zeek_type.index("[") + 1 : -1])

    def convert(value: str) -> list[Any]:
        items = split_container(value, separator)
        if element is None:
            return items
        return [None if item == unset else element(item) for item in items]

    return convert
