"""Rows of typed values added to IndicatorColumns in bulk: the common end of the Zeek intel and value list
fast paths (intel.zeek_bulk, intel.value_list).

`add_typed_rows` takes values, a MISP type per row and a provenance group per row, canonicalises each type's
values at once with `canonicalise_many`, and appends the rows with the contexts (made in order of first use)
and the per-type counts (in order of first use) that `indicators_for` and `IndicatorColumns.append` give row
by row. It adds nothing and returns False when a value is not valid for its type or a type is not one of a
single value we match: the caller then takes its reference path, which counts those where they stand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import repeat
from operator import contains

import numpy as np
import numpy.typing as npt

from minisoc.correlator.intel.convert import SINGLE_PART, LoadCounts, Provenance
from minisoc.correlator.intel.misp_bulk import addresses_of_names
from minisoc.correlator.matching.columns import Context, IndicatorColumns
from minisoc.correlator.model import KIND_CIDR, KIND_IP
from minisoc.correlator.values.canonical import NAME_KINDS
from minisoc.correlator.values.canonical_bulk import canonicalise_many

KINDS = tuple(sorted({*(kind for kind, _ in SINGLE_PART.values()), KIND_IP}))
_KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}


def _canonical_rows(misp_type: str, group: list[str], rows: npt.NDArray[np.intp],
                    texts: npt.NDArray[np.object_], kind_codes: npt.NDArray[np.intp]) -> bool:
    """Write the canonical values of `rows` (all of `misp_type`) into `texts` and their kinds into
    `kind_codes`, as `indicators_for` gives them; False when one is not valid (the reference counts it)."""
    single = SINGLE_PART.get(misp_type)
    if single is None:
        return False
    kind = single[0]
    canonical = canonicalise_many(kind, group)
    if None in canonical:
        return False
    kinds = np.full(len(rows), _KIND_CODE[kind], dtype=np.intp)
    if kind == KIND_CIDR:
        is_address = ~np.fromiter(map(contains, canonical, repeat("/")),  # type: ignore[arg-type]
                                  dtype=np.bool_, count=len(rows))
        kinds[is_address] = _KIND_CODE[KIND_IP]
    elif kind in NAME_KINDS:
        is_ip = addresses_of_names(canonical)  # type: ignore[arg-type]  # no None in it (checked)
        if is_ip is not None:
            kinds[is_ip] = _KIND_CODE[KIND_IP]
    texts[rows] = canonical
    kind_codes[rows] = kinds
    return True


def _first_uses(codes: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp],
                                                      npt.NDArray[np.intp]]:
    """`np.unique(codes, return_index=True, return_inverse=True)` without a sort, for codes below a few
    thousand (a block's combinations of provenance, type and kind): a write of the positions in reverse
    leaves each code's first position."""
    size = int(codes.max()) + 1
    if size > 1 << 20:
        return np.unique(codes, return_index=True, return_inverse=True)
    first = np.full(size, len(codes), dtype=np.intp)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1, dtype=np.intp)
    distinct = np.flatnonzero(first < len(codes))
    number_of = np.empty(size, dtype=np.intp)
    number_of[distinct] = np.arange(len(distinct), dtype=np.intp)
    return distinct, first[distinct], number_of[codes]


def add_typed_rows(values: list[str], type_codes: npt.NDArray[np.intp], types: Sequence[str],
                   group_codes: npt.NDArray[np.intp], provenance_of: Callable[[int], Provenance],
                   counts: LoadCounts, columns: IndicatorColumns) -> bool:
    """Append a row per value: of MISP type `types[type_codes[row]]` and provenance
    `provenance_of(group_codes[row])`; False (nothing added) when one does not load as an indicator."""
    texts = np.array(values, dtype=object)
    kind_codes = np.empty(len(values), dtype=np.intp)
    for type_code in np.unique(type_codes).tolist():
        rows = np.flatnonzero(type_codes == type_code)
        if not _canonical_rows(types[type_code], list(map(values.__getitem__, rows.tolist())), rows, texts,
                               kind_codes):
            return False
    combined = (group_codes * len(types) + type_codes) * len(KINDS) + kind_codes
    distinct, firsts, inverse = _first_uses(combined)
    context_of = np.empty(len(distinct), dtype=np.intp)
    per_type = counts.per_type
    type_counts = np.bincount(type_codes, minlength=len(types))
    for number in np.argsort(firsts, kind="stable").tolist():  # contexts and counts in order of first use
        key_code, kind_code = divmod(int(distinct[number]), len(KINDS))
        group_code, type_code = divmod(key_code, len(types))
        misp_type = types[type_code]
        provenance = provenance_of(group_code)
        context_of[number] = columns.context_id(Context(
            KINDS[kind_code], misp_type, provenance.source, provenance.event_uuid, provenance.event_info,
            provenance.reference, provenance.tags, provenance.threat_level))
        if type_counts[type_code]:
            per_type[misp_type] = per_type.get(misp_type, 0) + int(type_counts[type_code])
            type_counts[type_code] = 0
    columns.extend_rows(texts.tolist(), context_of[inverse.ravel()].tolist())
    return True
