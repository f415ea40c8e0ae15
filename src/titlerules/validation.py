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


class Validator:
    """Checks and normalises documents for one fact schema."""

    def __init__(self, schema: t.RecordType) -> None:
        self.schema = schema
        self._invariants: dict[int, Callable[[State], Any]] = {}
        self._compile_invariants(schema)

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
        problems: list[InputProblem] = []
        warnings: list[str] = []
        if not isinstance(document, Mapping):
            raise InputError([InputProblem("", f"expected a JSON object, got {describe_json(document)}", "not-object")])
        check_shape(document)
        normalised = self._record(document, self.schema, "", problems, warnings)
        if problems:
            raise InputError(problems)
        return normalised, warnings

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
