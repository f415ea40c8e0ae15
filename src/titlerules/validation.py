"""Applicant documents against the policy's fact schema: check, then normalise.

The validator turns the JSON document into the values the evaluator reads: dates become
``datetime.date``, year keys become integers, defaults fill absent keys of present
records. Every problem is reported with its key path; keys the schema does not declare
are reported as warnings and never read.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from . import valuetypes as t
from .compiler import State, compile_expr
from .errors import EvaluationLimitError, InputError, InputProblem
from .limits import MAX_DOCUMENT_DEPTH, MAX_DOCUMENT_VALUES
from .runtime import UNKNOWN

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR = re.compile(r"[0-9]{4}")


def describe_json(value: Any) -> str:
    """A JSON value as it reads in an error message, shortened."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = f"a Python {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def _join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


class _ReferError(Exception):
    """Raised by the compiled check for anything it leaves to the full check: a problem,
    an unknown key, a value of a type JSON parsing does not produce."""


# The compiled check of one value: the value normalised, with the count of JSON values
# seen so far in ``count[0]``; raises _ReferError.
_Check = Callable[[Any, list[int]], Any]

_JSON_SCALARS = frozenset((str, int, float, bool, type(None)))


class Validator:
    """Checks and normalises documents for one fact schema.

    Two checks agree on every document. A check compiled from the schema when the
    validator is built runs first: one closure per type, no key paths, no messages, and
    it gives up (:class:`_ReferError`) at the first thing that is not a plain valid JSON value.
    The full check (:meth:`_record` and :meth:`_value`, after :func:`check_shape`) then
    runs on that document alone and is the one that reports problems and warnings, so
    errors are found and worded in one place.
    """

    def __init__(self, schema: t.RecordType) -> None:
        self.schema = schema
        self._invariants: dict[int, Callable[[State], Any]] = {}
        self._compile_invariants(schema)
        # check_shape refuses containers nested MAX_DOCUMENT_DEPTH deep; the compiled
        # check only enters containers the schema declares, so it may skip check_shape
        # only when the schema is shallower than that.
        shallow = _container_depth(schema) <= MAX_DOCUMENT_DEPTH
        self._compiled: _Check | None = self._compile(schema) if shallow else None

    def _compile_invariants(self, type_: t.Type) -> None:
        kind = t.strip_nullable(type_)
        if isinstance(kind, t.RecordType):
            if kind.invariant is not None and id(kind) not in self._invariants:
                self._invariants[id(kind)] = compile_expr(kind.invariant)
            for field in kind.fields:
                self._compile_invariants(field.type)
        elif isinstance(kind, t.ListType) and kind.item is not None:
            self._compile_invariants(kind.item)
        elif isinstance(kind, t.MapType):
            self._compile_invariants(kind.value)

    def validate(self, document: Any) -> tuple[dict[str, Any], list[str]]:
        """The normalised document and warnings; raises :class:`InputError`."""
        if self._compiled is not None and type(document) is dict:
            count = [1]
            try:
                normalised = self._compiled(document, count)
                if count[0] <= MAX_DOCUMENT_VALUES:
                    return normalised, []
            except _ReferError:
                pass
        return self._validate_fully(document)

    def _validate_fully(self, document: Any) -> tuple[dict[str, Any], list[str]]:
        """:meth:`validate` by the full check alone (what the compiled check refers to)."""
        problems: list[InputProblem] = []
        warnings: list[str] = []
        if not isinstance(document, Mapping):
            raise InputError([InputProblem("", f"expected a JSON object, got {describe_json(document)}", "not-object")])
        check_shape(document)
        normalised = self._record(document, self.schema, "", problems, warnings)
        if problems:
            raise InputError(problems)
        return normalised, warnings

    def _compile(self, type_: t.Type) -> _Check:
        """The compiled check of values of ``type_`` (see the class docstring): it accepts
        what the full check accepts without a problem or a warning, normalised the same
        way, and refers everything else."""
        if isinstance(type_, t.NullableType):
            inner = self._compile(type_.inner)

            def nullable(value: Any, count: list[int]) -> Any:
                return None if value is None else inner(value, count)

            return nullable
        if isinstance(type_, t.BoolType):
            return _compile_exact(bool)
        if isinstance(type_, (t.IntegerType, t.NumberType)):
            return _compile_number(type_)
        if isinstance(type_, t.StringType):
            return _compile_exact(str)
        if isinstance(type_, t.DateType):

            def date(value: Any, count: list[int]) -> Any:
                if type(value) is not str or not _DATE.fullmatch(value):
                    raise _ReferError
                try:
                    return datetime.date.fromisoformat(value)
                except ValueError:
                    raise _ReferError from None

            return date
        if isinstance(type_, t.EnumType):
            allowed = frozenset(type_.allowed)

            def enum(value: Any, count: list[int]) -> Any:
                if type(value) is not str or value not in allowed:
                    raise _ReferError
                return value

            return enum
        if isinstance(type_, t.RecordType):
            return self._compile_record(type_)
        if isinstance(type_, t.ListType):
            item = self._compile(type_.item or t.ANY)

            def items(value: Any, count: list[int]) -> Any:
                if type(value) is not list:
                    raise _ReferError
                count[0] += len(value)
                if count[0] > MAX_DOCUMENT_VALUES:
                    raise _ReferError
                return tuple([item(v, count) for v in value])

            return items
        if isinstance(type_, t.MapType):
            year_value = self._compile(type_.value)

            def by_year(value: Any, count: list[int]) -> Any:
                if type(value) is not dict:
                    raise _ReferError
                count[0] += len(value)
                if count[0] > MAX_DOCUMENT_VALUES:
                    raise _ReferError
                out: dict[int, Any] = {}
                for key, item in value.items():
                    if type(key) is not str or not _YEAR.fullmatch(key):
                        raise _ReferError
                    out[int(key)] = year_value(item, count)
                return out

            return by_year

        def anything(value: Any, count: list[int]) -> Any:
            # Only scalars: a container here goes through check_shape in the full check.
            if type(value) not in _JSON_SCALARS:
                raise _ReferError
            return value

        return anything

    def _compile_record(self, type_: t.RecordType) -> _Check:
        declared = frozenset(f.name for f in type_.fields)
        fields = tuple((f.name, self._compile(f.type), f.has_default, f.default, f.is_key) for f in type_.fields)
        invariant = self._invariants.get(id(type_))
        names = tuple(f.name for f in type_.fields)

        def record(value: Any, count: list[int]) -> Any:
            # Unknown keys are warnings, and keys that are not exactly str go to check_shape.
            if type(value) is not dict or not declared.issuperset(value) or not _STR.issuperset(map(type, value)):
                raise _ReferError
            count[0] += len(value)
            out: dict[str, Any] = {}
            for name, check, has_default, default, is_key in fields:
                if name in value:
                    out[name] = check(value[name], count)
                elif has_default:
                    out[name] = default
                elif is_key:
                    raise _ReferError
            if invariant is not None:
                state = State({}, None)
                state.locals = {name: out.get(name, UNKNOWN) for name in names}
                try:
                    holds = invariant(state)
                except Exception:  # the full check raises it, after the problems it finds first
                    raise _ReferError from None
                if holds is False:
                    raise _ReferError
            return out

        return record

    def _value(self, value: Any, type_: t.Type, path: str, problems: list[InputProblem], warnings: list[str]) -> Any:
        if isinstance(type_, t.NullableType):
            if value is None:
                return None
            return self._value(value, type_.inner, path, problems, warnings)

        def bad(expected: str, code: str = "type") -> Any:
            problems.append(InputProblem(path, f"expected {expected}, got {describe_json(value)}", code))
            return UNKNOWN

        if isinstance(type_, t.BoolType):
            return value if isinstance(value, bool) else bad("true or false")
        if isinstance(type_, (t.IntegerType, t.NumberType)):
            return self._number(value, type_, path, problems)
        if isinstance(type_, t.StringType):
            return value if isinstance(value, str) else bad("a string")
        if isinstance(type_, t.DateType):
            if not isinstance(value, str) or not _DATE.fullmatch(value):
                return bad("a date as YYYY-MM-DD")
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                problems.append(InputProblem(path, f"{value} is not a calendar date", "bad-date"))
                return UNKNOWN
        if isinstance(type_, t.EnumType):
            if isinstance(value, str) and value in type_.allowed:
                return value
            return bad("one of " + ", ".join(type_.allowed), "enum")
        if isinstance(type_, t.RecordType):
            if not isinstance(value, Mapping):
                return bad("an object")
            return self._record(value, type_, path, problems, warnings)
        if isinstance(type_, t.ListType):
            if not isinstance(value, list):
                return bad("a list")
            item = type_.item or t.ANY
            return tuple(self._value(v, item, _join(path, i), problems, warnings) for i, v in enumerate(value))
        if isinstance(type_, t.MapType):
            if not isinstance(value, Mapping):
                return bad("an object keyed by year")
            out: dict[int, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str) or not _YEAR.fullmatch(key):
                    problems.append(
                        InputProblem(_join(path, str(key)), "expected a four-digit year as the key", "year-key")
                    )
                    continue
                out[int(key)] = self._value(item, type_.value, _join(path, key), problems, warnings)
            return out
        return value

    def _number(self, value: Any, type_: t.IntegerType | t.NumberType, path: str, problems: list[InputProblem]) -> Any:
        integral = isinstance(type_, t.IntegerType)
        what = "an integer" if integral else "a number"
        bounds = []
        if type_.low is not None:
            bounds.append(f">= {_number_text(type_.low)}")
        if type_.high is not None:
            bounds.append(f"<= {_number_text(type_.high)}")
        expected = what + (" " + " and ".join(bounds) if bounds else "")
        ok_type = isinstance(value, int) if integral else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok_type:
            problems.append(InputProblem(path, f"expected {expected}, got {describe_json(value)}", "type"))
            return UNKNOWN
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(InputProblem(path, f"expected a finite number, got {describe_json(value)}", "not-finite"))
            return UNKNOWN
        if (type_.low is not None and value < type_.low) or (type_.high is not None and value > type_.high):
            problems.append(InputProblem(path, f"expected {expected}, got {describe_json(value)}", "range"))
            return UNKNOWN
        return value

    def _record(
        self,
        value: Mapping[Any, Any],
        type_: t.RecordType,
        path: str,
        problems: list[InputProblem],
        warnings: list[str],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        declared = {f.name for f in type_.fields}
        for key in value:
            if key not in declared:
                warnings.append(f"{_join(path, str(key))}: unknown key, ignored")
        for field in type_.fields:
            child = _join(path, field.name)
            if field.name in value:
                out[field.name] = self._value(value[field.name], field.type, child, problems, warnings)
            elif field.has_default:
                out[field.name] = field.default
            elif field.is_key:
                problems.append(InputProblem(child, "required key is missing", "required"))
        invariant = self._invariants.get(id(type_))
        if invariant is not None and not any(v is UNKNOWN for v in out.values()):
            state = State({}, None)
            state.locals = {f.name: out.get(f.name, UNKNOWN) for f in type_.fields}
            if invariant(state) is False:
                shown = ", ".join(f"{f.name} {describe_json(value[f.name])}" for f in type_.fields if f.name in value)
                problems.append(InputProblem(path, f"expected {type_.invariant_text}, got {shown}", "invariant"))
        return {k: v for k, v in out.items() if v is not UNKNOWN}


_SCALARS = (str, int, float, bool, type(None))
_STR = frozenset((str,))


def _compile_exact(kind: type) -> _Check:
    """The compiled check of a JSON value that must be exactly of ``kind`` (a ``bool``, a
    ``str``), kept as it is."""

    def exact(value: Any, count: list[int]) -> Any:
        if type(value) is not kind:
            raise _ReferError
        return value

    return exact


def _compile_number(type_: t.IntegerType | t.NumberType) -> _Check:
    kinds = (int,) if isinstance(type_, t.IntegerType) else (int, float)
    low = -math.inf if type_.low is None else type_.low
    high = math.inf if type_.high is None else type_.high

    def number(value: Any, count: list[int]) -> Any:
        # NaN fails both comparisons; the infinities fail one unless a bound is absent,
        # hence the finiteness test for floats.
        if type(value) not in kinds or not low <= value <= high:
            raise _ReferError
        if type(value) is float and not math.isfinite(value):
            raise _ReferError
        return value

    return number


def _container_depth(type_: t.Type) -> int:
    """How many containers deep a document of ``type_`` can nest (a scalar: 0)."""
    if isinstance(type_, t.NullableType):
        return _container_depth(type_.inner)
    if isinstance(type_, t.RecordType):
        return 1 + max((_container_depth(f.type) for f in type_.fields), default=0)
    if isinstance(type_, t.ListType):
        return 1 + (_container_depth(type_.item) if type_.item is not None else 0)
    if isinstance(type_, t.MapType):
        return 1 + _container_depth(type_.value)
    return 0


def check_shape(document: Any) -> None:
    """Refuse, before anything reads it recursively, a document that JSON cannot express
    (keys that are not strings, values that are not JSON values) or that passes the
    limits on nesting and size (:mod:`titlerules.limits`). Walks without recursion."""
    count = 0
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        count += 1
        if count > MAX_DOCUMENT_VALUES:
            raise EvaluationLimitError(
                f"the document holds more than {MAX_DOCUMENT_VALUES} JSON values",
                "MAX_DOCUMENT_VALUES",
                MAX_DOCUMENT_VALUES,
            )
        if isinstance(value, _SCALARS):
            continue
        if isinstance(value, (Mapping, list)):
            if depth >= MAX_DOCUMENT_DEPTH:
                limit = MAX_DOCUMENT_DEPTH
                message = f"nested more than {limit} deep; the limit is MAX_DOCUMENT_DEPTH = {limit}"
                raise InputError([InputProblem(path, message, "too-deep")])
            if isinstance(value, list):
                if count + len(value) > MAX_DOCUMENT_VALUES:
                    raise EvaluationLimitError(
                        f"the document holds more than {MAX_DOCUMENT_VALUES} JSON values",
                        "MAX_DOCUMENT_VALUES",
                        MAX_DOCUMENT_VALUES,
                    )
                stack.extend((item, _join(path, i), depth + 1) for i, item in enumerate(value))
                continue
            for key, item in value.items():
                if not isinstance(key, str):
                    message = f"expected a string key (JSON keys are strings), got {describe_json(key)}"
                    if isinstance(key, int) and not isinstance(key, bool):
                        message += f': write "{key}"'
                    raise InputError([InputProblem(_join(path, str(key)), message, "type")])
                stack.append((item, _join(path, key), depth + 1))
            continue
        raise InputError([InputProblem(path, f"expected a JSON value, got a Python {type(value).__name__}", "type")])


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
