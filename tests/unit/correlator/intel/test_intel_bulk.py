"""The bulk intel path (canonical_bulk, misp_bulk) gives what the per-value/per-attribute path gives."""

from __future__ import annotations

import random
from typing import Any

from minisoc.correlator.intel import misp_event
from minisoc.correlator.intel.convert import LoadCounts
from minisoc.correlator.matching import IndicatorColumns
from minisoc.correlator.values import CANONICALISERS, canonicalise_many

ODD_VALUES = [
    "a.com",
    "A.com",
    "a..com",
    "a.com.",
    "-a.com",
    "a-.com",
    "_x.y",
    "a.com\nb.com",
    "",
    " a.com",
    "bücher.de",
    "a" * 254,
    "a" * 253,
    "1.2.3.4",
    "1.2.3.4/24",
    "01.2.3.4",
    "::ffff:1.2.3.4",
    "[1.2.3.4]",
    "10.1.2.3/8",
    "1.2.3.4/32",
    " 10.0.0.0/8 ",
    "10.0.0.0/33",
    "http://A.com/x",
    "https://a.com:443/x",
    "http://a.com",
    "http://a..b/x",
    "http://a.com/../x",
    "hxxp://a.com/x",
    "http://a.com/x#f",
    "http://a.com/x y",
    "a.com/x",
    "ABCDEF0123456789abcdef0123456789",
    " abcdef0123456789abcdef0123456789",
    "abcdef0123456789abcdef012345678g",
    "abcdef0123456789abcdef0123456789",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "2001:DB8::1",
    "198.51.100.92",  # a name that is an address: kind ip
    "198.51.100.92.",
    "[2001:db8::1]",
    "1.2.3.400",  # ends in a digit, not an address: stays a name
    "x.pxb70",
    "a" * 63 + ".com",
    "a" * 64 + ".com",  # a label longer than DNS allows
    "http://" + "a" * 64 + ".com/x",
    "http://a.com/x\x01y",  # a control character is not part of a URL
    "http://a.com/x\x7f",
    "http://a.com/\ufffd",  # bytes that were not text
    "a@b.com",
    "a.b@c.example",
    "a@b",
    "@b.com",
    "a@@b.com",
    "a@b.com\x00",
]
KINDS = ["ip", "cidr", "domain", "hostname", "url", "md5", "sha1", "sha256", "email", "user-agent"]


def test_canonicalise_many_equals_the_per_value_function() -> None:
    chooser = random.Random(7)
    for kind in KINDS:
        for _ in range(400):
            values = chooser.choices(ODD_VALUES, k=chooser.randint(1, 8))
            assert canonicalise_many(kind, values) == [CANONICALISERS[kind](v) for v in values], (
                kind,
                values,
            )
        clean = {"domain": "x.org", "hostname": "x.org", "ip": "9.9.9.9", "cidr": "9.9.9.9"}.get(kind, "x")
        for value in ODD_VALUES:  # one odd value among clean ones
            values = [clean, value, clean]
            assert canonicalise_many(kind, values) == [CANONICALISERS[kind](v) for v in values], (
                kind,
                values,
            )


def _event(chooser: random.Random, size: int, odd: bool, odd_values: float) -> dict[str, Any]:
    types = ["ip-dst", "ip-src", "domain", "hostname", "url", "md5", "sha1", "sha256", "email", "filename"]
    clean = {
        "ip-dst": "10.0.0.%d",
        "ip-src": "10.1.%d.0/24",
        "domain": "d%d.example",
        "hostname": "h%d.example",
        "url": "http://u.example/%d",
        "md5": "%032x",
        "sha1": "%040x",
        "sha256": "%064x",
        "email": "a%d@b.example",
        "filename": "f%d.exe",
    }
    attributes = []
    comments = chooser.choice([["", "note"], [""]])  # some events with no comment at all (feeds)
    for number in range(size):
        misp_type = chooser.choice(types)
        value = (
            clean[misp_type] % (number % 250)
            if chooser.random() >= odd_values
            else chooser.choice(ODD_VALUES)
        )
        attributes.append(
            {
                "type": misp_type,
                "value": value,
                "to_ids": True,
                "uuid": f"{number:08d}-0000-4000-8000-000000000000",
                "timestamp": chooser.choice(["1700000000", "1700000001"]),
                "comment": chooser.choice(comments),
            }
        )
    if odd:
        attributes[chooser.randrange(size)].update(
            chooser.choice(
                [
                    {"to_ids": False},
                    {"deleted": True},
                    {"Tag": [{"name": "x"}]},
                    {"timestamp": "12a"},
                    {"timestamp": "99999999999999999999"},  # beyond int64: dropped
                    {"timestamp": "\u00b2"},  # isdigit, but not int()
                    {"type": "domain|ip", "value": "a.com|1.2.3.4"},
                    {"type": "uri", "value": "/gate.php"},  # a path: unsupported
                    {"value": 5},
                ]
            )
        )
    return {
        "uuid": "5e1c0b49-0000-4000-8000-000000000000",
        "info": "e",
        "Tag": [{"name": "tlp:clear"}],
        "Attribute": attributes,
    }


def _rows(event: dict[str, Any], bulk: bool, monkeypatch: Any) -> tuple[Any, ...]:
    if not bulk:
        monkeypatch.setattr(misp_event, "add_plain_event_rows", lambda *args: False)
    columns, counts = IndicatorColumns(), LoadCounts()
    misp_event.add_event_rows(event, "feed", counts, columns)
    monkeypatch.undo()
    return (
        columns.indicators(),
        columns.contexts,
        columns.context_ids,
        counts.per_type,
        list(counts.per_type),
        counts.invalid,
        counts.unsupported,
        counts.not_for_ids,
        counts.deleted,
    )


def test_bulk_event_rows_equal_the_per_attribute_loop(monkeypatch: Any) -> None:
    chooser = random.Random(11)
    bulk_taken = 0
    for round_number in range(60):
        odd_values = (0.0, 0.0, 0.002, 0.1)[round_number % 4]
        event = _event(chooser, chooser.choice([70, 200, 500]), round_number % 3 == 0, odd_values)
        typed = misp_event.typed_event(event)
        attributes = misp_event.event_attributes(typed, LoadCounts())
        provenance = misp_event.event_provenance(typed, "feed", None)
        bulk_taken += misp_event.add_plain_event_rows(
            attributes, provenance, LoadCounts(), IndicatorColumns()
        )
        assert _rows(event, True, monkeypatch) == _rows(event, False, monkeypatch)
    assert bulk_taken >= 20  # the bulk path was exercised, not only its fallback
