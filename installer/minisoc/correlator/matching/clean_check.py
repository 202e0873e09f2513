"""The screen's quick answer: code generated per log type that answers "no matches" without a call when every
value a record shows is absent or known clean (see Matcher.screen_for)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from minisoc.correlator.matching import observables as obs
from minisoc.correlator.matching.observed import ObservedFields, attribute_name
from minisoc.correlator.matching.observers import CleanValues, Found, SpecEntry

ObservedMatch = Callable[[ObservedFields], Found]
R = TypeVar("R")  # what the check reads: a Struct of the fields matching reads, or a record's dict


def compile_observed_match(entries: tuple[SpecEntry, ...], observers: tuple[str, ...],
                           full: Callable[[R], Found], url_hosts: CleanValues, *,
                           from_dict: bool = False) -> Callable[[R], Found]:
    """`full`, behind a check of every entry's value, in code generated for these entries: when each value is
    absent, or text (or a list of text) its entry's memo knows to be clean, or a relative HTTP uri on a host
    `url_hosts` knows no URL indicator is on, the answer is [] without a call.

    The source holds only attribute names made from the observables spec and `memo_N` names; it is built
    once per log type and Matcher. A Python loop over the entries costs ~5x more per record. `from_dict`:
    the same check over a record's dict (`fields.get(name)` for each attribute; `full` then takes the dict).
    """

    def read(field: str) -> str:
        return f"observed.get({field!r})" if from_dict else f"observed.{attribute_name(field)}"

    namespace: dict[str, Any] = {"full": full, "str": str, "list": list, "url_hosts": url_hosts}
    body: list[str] = []
    for number, (entry, observer) in enumerate(zip(entries, observers, strict=True)):
        body.append(f"value = {read(entry.field)}")
        if observer == obs.HTTP_URL:  # as Observers._http_url reads it: the Host header, else the address
            host, address = (read(name) for name in obs.CONTEXT[obs.HTTP_URL])
            body += ["if value is not None:",
                     "    if value.__class__ is not str or value[:1] != '/': return full(observed)",
                     f"    host = {host} or {address}",
                     "    if host.__class__ is not str or host not in url_hosts: return full(observed)"]
            continue
        if entry.memo is None:
            body.append("if value is not None: return full(observed)")
            continue
        namespace[f"memo_{number}"] = entry.memo
        body += ["if value is not None:",
                 "    if value.__class__ is str:",
                 f"        if value not in memo_{number}: return full(observed)",
                 f"    elif value.__class__ is not list or not memo_{number}.issuperset(value):",
                 "        return full(observed)"]
    source = "\n".join(
        ["def match(observed):", "    try:", *(f"        {line}" for line in body),
         "    except TypeError:  # an unhashable list element: the full match skips it",
         "        return full(observed)", "    return []"])
    exec(source, namespace)  # noqa: S102 - generated from the spec above, no outside input
    match: Callable[[R], Found] = namespace["match"]
    return match
