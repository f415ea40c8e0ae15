"""Hypothesis strategies for testing a policy, and the programs that use one.

``documents(policy)`` draws valid applicant documents from the policy's own fact schema,
with values concentrated where decisions change: the policy's thresholds and the numbers
either side, its years, its dates and the days around them, its strings, every enum
member, and absent keys (an absent fact is *unknown*). ``invalid_documents(policy)``
draws documents that break the schema in exactly one place. Both work for any policy;
docs/testing.md shows a policy author testing their own.

>>> import titlerules
>>> from titlerules import testing
>>> policy = titlerules.load_policy("lishui-2021-crafts")
>>> strategy = testing.documents(policy, declared_level="junior", fraud=testing.ABSENT)
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from . import ir
from . import valuetypes as t
from ._boundaries import Boundaries, boundaries
from .errors import InputError, InputProblem, TitlerulesError
from .policy import Policy
from .validation import Validator

__all__ = ["ABSENT", "as_of_dates", "documents", "invalid_documents"]


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""An override that leaves a key out of every generated document."""

_YEAR_KEY = re.compile(r"[0-9]{4}")


def documents(policy: Policy, **overrides: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Valid applicant documents for ``policy``, drawn from its fact schema.

    Each keyword names a fact, top-level (``declared_level``) or dotted through records
    and year maps (``fraud.current_application``, ``continuing_education.2020``; pass
    dotted names as ``**{"a.b": value}``). Its value is a value, a strategy, or
    :data:`ABSENT` to leave the key out; every document then holds it (or lacks it).
    A name the schema does not have raises :class:`~titlerules.InputError` (code
    ``unknown-override``).
    """
    checked = _checked(policy)
    strategies = {name: _override(checked.schema, name, value) for name, value in overrides.items()}
    return _Builder(boundaries([checked]), strategies).document(checked)


def invalid_documents(policy: Policy, *, with_path: bool = False) -> st.SearchStrategy[Any]:
    """Documents that break ``policy``'s schema in exactly one place.

    The rest of each document is valid (drawn as by :func:`documents`), so
    ``policy.evaluate`` raises :class:`~titlerules.InputError` whose ``path`` is the
    broken place. With ``with_path``, pairs ``(document, path)``.
    """
    checked = _checked(policy)
    builder = _Builder(boundaries([checked]), {})

    @st.composite
    def broken(draw: st.DrawFn) -> Any:
        document = draw(builder.document(checked))
        slots = list(_slots(document, checked.schema, ""))
        path, container, key, type_ = draw(st.sampled_from(slots))
        bad = draw(_wrong(type_, key))
        if container is None:
            result: Any = bad
        elif isinstance(key, _MapKey):
            container[key.bad] = container.pop(key.key)
            path = _join(path.rsplit(".", 1)[0] if "." in path else "", key.bad)
            result = document
        else:
            container[key] = bad
            result = document
        return (result, path) if with_path else result

    return broken()


def as_of_dates(policy: Policy) -> st.SearchStrategy[datetime.date]:
    """Days to evaluate on: the policy's dates and the days either side, or any day of
    the years around them."""
    return _Builder(boundaries([_checked(policy)]), {}).dates()


# ---- building ---------------------------------------------------------------------------------


def _checked(policy: Any) -> ir.CheckedPolicy:
    if isinstance(policy, Policy):
        return policy.checked
    if isinstance(policy, ir.CheckedPolicy):
        return policy
    raise InputError(
        [InputProblem("", f"expected a titlerules.Policy, got a Python {type(policy).__name__}", "not-policy")]
    )


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def _override(schema: t.RecordType, name: str, value: Any) -> st.SearchStrategy[Any]:
    """Check that ``name`` is a path of the schema; the strategy the override stands for."""
    type_: t.Type = schema
    walked = ""
    for part in name.split("."):
        kind = t.strip_nullable(type_)
        if isinstance(kind, t.RecordType) and kind.field(part) is not None:
            field = kind.field(part)
            assert field is not None
            type_ = field.type
        elif isinstance(kind, t.MapType) and _YEAR_KEY.fullmatch(part):
            type_ = kind.value
        else:
            where = f"{walked} has no key {part!r}" if walked else f"no fact {part!r}"
            raise InputError(
                [InputProblem(name, f"cannot override {name!r}: {where} in the schema", "unknown-override")]
            )
        walked = _join(walked, part)
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


class _Builder:
    """Strategies for each type of a schema, made of a policy's boundary values."""

    def __init__(self, found: Boundaries, overrides: Mapping[str, st.SearchStrategy[Any]]) -> None:
        self.found = found
        self.years = list(found.years) or [2021]
        self.overrides = dict(overrides)

    def document(self, checked: ir.CheckedPolicy) -> st.SearchStrategy[dict[str, Any]]:
        """A whole document; its key is always given."""
        return self.record(checked.schema, "", top=True)

    def dates(self) -> st.SearchStrategy[datetime.date]:
        near = self.found.near_dates()
        # Within a year or two of the policy's own dates (its calendar has data for those).
        years = [d.year for d in near] or self.years
        spread = st.dates(datetime.date(min(years) - 2, 1, 1), datetime.date(max(years) + 1, 12, 31))
        return st.one_of(st.sampled_from(near), spread) if near else spread

    def year_keys(self) -> list[str]:
        return sorted({str(y + k) for y in self.years for k in (-2, -1, 0, 1)})

    def number(self, kind: t.IntegerType | t.NumberType) -> st.SearchStrategy[Any]:
        low = -(10**6) if kind.low is None else kind.low
        high = 10**6 if kind.high is None else kind.high
        near = self.found.near_numbers(low, high)
        if isinstance(kind, t.IntegerType):
            near = sorted({f(v) for v in near for f in (math.floor, math.ceil) if low <= f(v) <= high})
        whole: st.SearchStrategy[Any] = st.integers(int(max(low, -(10**6))), int(min(high, 10**6)))
        # Mostly the thresholds, then the years, now and then any value in range.
        around_years = {y + k for y in self.years for k in (-1, 0, 1)}
        thresholds = [v for v in near if v not in around_years]
        years = [v for v in near if v in around_years]
        choices = [st.sampled_from(thresholds)] * 3 if thresholds else []
        choices += [st.sampled_from(years)] if years else []
        return st.one_of(*choices, whole) if choices else whole

    def value(self, type_: t.Type, path: str, present: bool = False) -> st.SearchStrategy[Any]:
        """Values of ``type_`` at ``path``; ``present``: an override lies below, so not null."""
        if isinstance(type_, t.NullableType):
            inner = self.value(type_.inner, path, present)
            return inner if present else st.one_of(st.none(), inner)
        if isinstance(type_, t.BoolType):
            return st.booleans()
        if isinstance(type_, (t.IntegerType, t.NumberType)):
            return self.number(type_)
        if isinstance(type_, t.StringType):
            return st.sampled_from([*self.found.strings, "其他", ""]) if self.found.strings else st.text(max_size=5)
        if isinstance(type_, t.DateType):
            return self.dates().map(datetime.date.isoformat)
        if isinstance(type_, t.EnumType):
            return st.sampled_from(type_.allowed)
        if isinstance(type_, t.RecordType):
            return self.record(type_, path)
        if isinstance(type_, t.ListType):
            return st.lists(self.value(type_.item, _join(path, "*")), max_size=3) if type_.item else st.just([])
        if isinstance(type_, t.MapType):
            return self.year_map(type_, path)
        return st.none()

    def _field(self, type_: t.Type, path: str) -> st.SearchStrategy[Any]:
        if path in self.overrides:
            return self.overrides[path]
        below = any(name.startswith(path + ".") for name in self.overrides)
        if below:
            return self.value(type_, path, present=True)
        value = self.value(type_, path)
        return st.one_of(st.just(ABSENT), value, value)

    def year_map(self, type_: t.MapType, path: str) -> st.SearchStrategy[dict[str, Any]]:
        forced = sorted({name[len(path) + 1 :].split(".")[0] for name in self.overrides if name.startswith(path + ".")})
        free = [k for k in self.year_keys() if k not in forced]
        given = st.fixed_dictionaries({k: self._field(type_.value, _join(path, k)) for k in forced})
        rest: st.SearchStrategy[dict[str, Any]] = st.just({})
        if free:
            rest = st.dictionaries(st.sampled_from(free), self.value(type_.value, _join(path, "*")), max_size=3)
        return st.tuples(rest, given).map(lambda pair: {**pair[0], **_present(pair[1])})

    def record(self, record: t.RecordType, path: str, top: bool = False) -> st.SearchStrategy[dict[str, Any]]:
        fields: dict[str, st.SearchStrategy[Any]] = {}
        for field in record.fields:
            child = _join(path, field.name)
            if top and field.is_key and child not in self.overrides:
                fields[field.name] = st.sampled_from(["A-1", "申报人-2"])
            else:
                fields[field.name] = self._field(field.type, child)
        strategy = st.fixed_dictionaries(fields).map(_present)
        if record.invariant is not None:
            # A record with a ``where`` condition: keep only those that meet it.
            validator = Validator(record)
            strategy = strategy.filter(lambda value: _valid(validator, value))
        return strategy


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not ABSENT}


def _valid(validator: Validator, value: dict[str, Any]) -> bool:
    try:
        validator.validate(value)
    except TitlerulesError:
        return False
    return True


# ---- breaking ---------------------------------------------------------------------------------


class _MapKey:
    """A year-map key to replace with one that is not a year."""

    def __init__(self, key: str, bad: str) -> None:
        self.key = key
        self.bad = bad


def _slots(document: dict[str, Any], schema: t.RecordType, path: str) -> Any:
    """Places in ``document`` that one wrong value breaks: (path, container, key, type)."""
    if not path:
        yield "", None, None, schema
    for field in schema.fields:
        child = _join(path, field.name)
        yield child, document, field.name, field.type
        if field.name in document:
            yield from _inner(document[field.name], field.type, child)


def _inner(value: Any, type_: t.Type, path: str) -> Any:
    kind = t.strip_nullable(type_)
    if isinstance(kind, t.RecordType) and isinstance(value, dict):
        yield from _slots(value, kind, path)
    elif isinstance(kind, t.ListType) and kind.item is not None and isinstance(value, list):
        for i, item in enumerate(value):
            yield _join(path, i), value, i, kind.item
            yield from _inner(item, kind.item, _join(path, i))
    elif isinstance(kind, t.MapType) and isinstance(value, dict):
        for key, item in list(value.items()):
            yield _join(path, key), value, key, kind.value
            yield _join(path, key), value, _MapKey(key, key[:2] + "x" + key[3:]), kind
            yield from _inner(item, kind.value, _join(path, key))


def _wrong(type_: t.Type, key: Any) -> st.SearchStrategy[Any]:
    """A JSON value that ``type_`` refuses."""
    if isinstance(key, _MapKey):
        return st.just(None)  # the key itself is what breaks
    kind = t.strip_nullable(type_)
    nullable = isinstance(type_, t.NullableType)
    choices: list[Any] = [] if nullable else [None]
    if isinstance(kind, t.BoolType):
        choices += ["true", 1]
    elif isinstance(kind, (t.IntegerType, t.NumberType)):
        choices += ["90", True, float("nan"), float("inf")]
        if isinstance(kind, t.IntegerType):
            choices.append(2.5)
        if kind.low is not None:
            choices.append(int(kind.low) - 1)
        if kind.high is not None:
            choices.append(int(kind.high) + 1)
    elif isinstance(kind, t.StringType):
        choices += [5, ["x"], False]
    elif isinstance(kind, t.DateType):
        choices += ["2021-02-30", "2021/09/01", 20210901, "2021-9-1"]
    elif isinstance(kind, t.EnumType):
        choices += ["not-a-member", kind.allowed[0].upper() + "?", 1]
    elif isinstance(kind, t.RecordType):
        choices += [[], "x", 3]
    elif isinstance(kind, (t.ListType, t.MapType)):
        choices += [{"0": 1} if isinstance(kind, t.ListType) else ["2021"], "x", 3]
    else:
        choices += [float("nan")]
    return st.sampled_from(choices)
