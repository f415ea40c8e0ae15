"""Hypothesis strategies for applicant documents, drawn from a policy's own fact schema.

Used by ``titlerules diff`` to search for an applicant whose verdict changes between two
policies: a thin layer over :mod:`titlerules.testing` (the one generator), drawing on the
boundary values of both policies at once and, given seeds, staying near them.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from . import ir
from ._boundaries import boundaries
from .testing import ABSENT as _ABSENT
from .testing import _Builder

Example = tuple[dict[str, Any], datetime.date | None]


def applicants(policies: Sequence[ir.CheckedPolicy], seeds: Sequence[Example] = ()) -> st.SearchStrategy[Example]:
    """Pairs (document, ``as_of``) for the first policy's schema.

    With ``seeds`` (documents known to matter, e.g. a case file's), each example is a
    seed with up to three top-level facts replaced or removed, and perhaps another
    ``as_of``: the neighbourhood of realistic applicants, where a change of threshold shows.
    Without, documents are drawn whole from the schema.
    """
    builder = _Builder(boundaries(policies), {})
    days = st.one_of(st.none(), builder.dates())
    if not seeds:
        return st.tuples(builder.record(policies[0].schema, "", top=True), days)
    schema = policies[0].schema
    fields = [f for f in schema.fields if not f.is_key]
    change = st.sampled_from(fields).flatmap(
        lambda f: st.tuples(st.just(f.name), st.one_of(st.just(_ABSENT), builder.value(f.type, f.name)))
    )

    @st.composite
    def near_seeds(draw: st.DrawFn) -> Example:
        document, as_of = draw(st.sampled_from(list(seeds)))
        document = dict(document)
        for name, value in draw(st.lists(change, max_size=3)):
            if value is _ABSENT:
                document.pop(name, None)
            else:
                document[name] = value
        if draw(st.booleans()):
            as_of = draw(days)
        return document, as_of

    return near_seeds()
