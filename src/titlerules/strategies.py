"""Hypothesis strategies for applicant documents, drawn from a policy's own fact schema.

Used by ``titlerules diff`` to search for an applicant whose verdict changes between two
policies. Values are concentrated where decisions change: the numbers, years, dates and
strings that the policies' parameters and tables hold, and their neighbours. Keys are
left out as often as given, since an absent fact is *unknown*.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from . import ir
from . import valuetypes as t

_ABSENT = object()


Example = tuple[dict[str, Any], datetime.date | None]


def applicants(policies: Sequence[ir.CheckedPolicy], seeds: Sequence[Example] = ()) -> st.SearchStrategy[Example]:
    """Pairs (document, ``as_of``) for the first policy's schema.

    With ``seeds`` (documents known to matter, e.g. a case file's), each example is a
    seed with up to three top-level facts replaced or removed, and perhaps another
    ``as_of``: the neighbourhood of realistic applicants, where a change of threshold shows.
    Without, documents are drawn whole from the schema.
    """
    from .policydiff import constants

    numbers, dates, strings = constants(policies)
    years = sorted({y for y in numbers if isinstance(y, int) and 1900 <= y <= 2200} | {d.year for d in dates})
    builder = _Builder(numbers, dates, strings, years)
    days = st.one_of(st.none(), builder.dates())
    if not seeds:
        return st.tuples(builder.record(policies[0].schema, top=True), days)
    schema = policies[0].schema
    fields = [f for f in schema.fields if not f.is_key]
    change = st.sampled_from(fields).flatmap(
        lambda f: st.tuples(st.just(f.name), st.one_of(st.just(_ABSENT), builder.value(f.type)))
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


class _Builder:
    def __init__(
        self, numbers: list[int | float], dates: list[datetime.date], strings: list[str], years: list[int]
    ) -> None:
        self.numbers = numbers
        self.dates_ = dates
        self.strings = strings
        self.years = years or [2021]

    def dates(self) -> st.SearchStrategy[datetime.date]:
        near = sorted({d + datetime.timedelta(days=k) for d in self.dates_ for k in (-1, 0, 1)})
        low = datetime.date(min(self.years) - 2, 1, 1)
        high = datetime.date(max(self.years) + 2, 12, 31)
        spread = st.dates(low, high)
        return st.one_of(st.sampled_from(near), spread) if near else spread

    def number(self, kind: t.IntegerType | t.NumberType) -> st.SearchStrategy[Any]:
        low = kind.low if kind.low is not None else -(10**6)
        high = kind.high if kind.high is not None else 10**6
        near = sorted({v + k for v in self.numbers for k in (-1, 0, 1) if low <= v + k <= high})
        whole = st.integers(int(max(low, -(10**6))), int(min(high, 10**6)))
        return st.one_of(st.sampled_from(near), whole) if near else whole

    def value(self, type_: t.Type) -> st.SearchStrategy[Any]:
        if isinstance(type_, t.NullableType):
            return st.one_of(st.none(), self.value(type_.inner))
        if isinstance(type_, t.BoolType):
            return st.booleans()
        if isinstance(type_, (t.IntegerType, t.NumberType)):
            return self.number(type_)
        if isinstance(type_, t.StringType):
            return st.sampled_from([*self.strings, "其他"]) if self.strings else st.text(max_size=5)
        if isinstance(type_, t.DateType):
            return self.dates().map(datetime.date.isoformat)
        if isinstance(type_, t.EnumType):
            return st.sampled_from(type_.allowed)
        if isinstance(type_, t.RecordType):
            return self.record(type_)
        if isinstance(type_, t.ListType):
            return st.lists(self.value(type_.item), max_size=3) if type_.item else st.just([])
        if isinstance(type_, t.MapType):
            keys = st.sampled_from(sorted({str(y + k) for y in self.years for k in (-2, -1, 0, 1)}))
            return st.dictionaries(keys, self.value(type_.value), max_size=3)
        return st.none()

    def record(self, record: t.RecordType, top: bool = False) -> st.SearchStrategy[dict[str, Any]]:
        fields: dict[str, st.SearchStrategy[Any]] = {}
        for field in record.fields:
            if top and field.is_key:
                fields[field.name] = st.just("A-1")
                continue
            fields[field.name] = st.one_of(st.just(_ABSENT), self.value(field.type))
        return st.fixed_dictionaries(fields).map(lambda d: {k: v for k, v in d.items() if v is not _ABSENT})
