"""Values at evaluation time: the unknown value, fact references, the language's functions.

``UNKNOWN`` stands for a fact the applicant document does not give. Functions receive
known arguments only: the compiler returns ``UNKNOWN`` for a call with an unknown
argument before the function runs.
"""

from __future__ import annotations

import datetime
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import chinese_calendar  # type: ignore[import-untyped]

from . import ir
from . import valuetypes as t
from .errors import EvaluationError


class _Unknown:
    """The value of an absent fact, and of anything computed from one."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


class Ref:
    """A record, list or map read from the document, with the key path it was read at
    (as text: ``continuing_education.2020``), so that reading one of its fields can report
    which fact was used."""

    __slots__ = ("path", "value")

    def __init__(self, value: Any, path: str | None) -> None:
        self.value = value
        self.path = path

    def __repr__(self) -> str:
        return f"Ref({self.value!r}, {self.path!r})"

    def __eq__(self, other: object) -> bool:
        return bool(unwrap(self) == unwrap(other))

    def __hash__(self) -> int:
        return hash(self.path)


def unwrap(value: Any) -> Any:
    """The plain value behind a :class:`Ref`."""
    return value.value if type(value) is Ref else value


def path_text(path: Sequence[str | int]) -> str:
    """``('continuing_education', 2020, 'professional')`` -> ``continuing_education.2020.professional``."""
    return ".".join(str(p) for p in path)


_JSON_SCALARS = frozenset((str, int, float, bool, type(None)))


def to_json(value: Any) -> Any:
    """A runtime value as JSON: dates as ISO strings, unknown as ``null``."""
    if type(value) in _JSON_SCALARS:  # most facts: nothing to convert
        return value
    if type(value) is Ref:
        value = value.value
    if value is UNKNOWN:
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


# ---- working days -----------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def workdays(start: datetime.date, end: datetime.date) -> int:
    """Working days from ``start`` to ``end``, both included, by China's official calendar:
    weekends and public holidays are off, make-up working days (调休) count."""
    if start > end:
        return 0
    try:
        return len(chinese_calendar.get_workdays(start, end))
    except NotImplementedError as error:
        raise EvaluationError(
            f"no official calendar for {start.isoformat()}..{end.isoformat()}: {error}",
            code="calendar-range",
        ) from None


# ---- dates ----------------------------------------------------------------------------------


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same day ``years`` later; 29 February becomes 28 February in common years."""
    if not datetime.MINYEAR <= day.year + years <= datetime.MAXYEAR:
        raise EvaluationError(f"{day.isoformat()} plus {years} years is not a date", code="date-range")
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def add_days(day: datetime.date, days: int) -> datetime.date:
    """The date ``days`` later (earlier if negative)."""
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        raise EvaluationError(f"{day.isoformat()} plus {days} days is not a date", code="date-range") from None


def years_between(start: datetime.date, end: datetime.date) -> int:
    """Complete years from ``start`` to ``end`` (negative when ``end`` is earlier)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


# ---- the language's functions ------------------------------------------------------------


Signature = Callable[[tuple[t.Type, ...]], tuple[t.Type, str | None]]


@attrs.frozen
class Function:
    """A function of the language: how it types its arguments and what it computes."""

    name: str
    signature: Signature
    impl: Callable[..., Any]
    constant: bool
    doc: str
    needs_as_of: bool = False


def _fixed(*params: type, result: t.Type) -> Signature:
    def signature(args: tuple[t.Type, ...]) -> tuple[t.Type, str | None]:
        if len(args) != len(params):
            return result, f"takes {len(params)} argument(s), got {len(args)}"
        for i, (arg, param) in enumerate(zip(args, params, strict=True), start=1):
            arg = t.strip_nullable(arg)
            if isinstance(arg, t.AnyType):
                continue
            if param is t.NumberType and not t.is_numeric(arg):
                return result, f"argument {i} must be a number, not {arg.describe()}"
            if param is not t.NumberType and not isinstance(arg, param):
                return result, f"argument {i} must be {param().describe()}, not {arg.describe()}"
        return result, None

    return signature


def _count_signature(args: tuple[t.Type, ...]) -> tuple[t.Type, str | None]:
    if len(args) != 1 or not isinstance(t.strip_nullable(args[0]), (t.ListType, t.MapType, t.AnyType)):
        return t.INTEGER, "takes one list"
    return t.INTEGER, None


def _sum_signature(args: tuple[t.Type, ...]) -> tuple[t.Type, str | None]:
    if len(args) != 1:
        return t.NUMBER, "takes one list of numbers"
    kind = t.strip_nullable(args[0])
    if isinstance(kind, t.AnyType):
        return t.NUMBER, None
    if not isinstance(kind, t.ListType) or (kind.item is not None and not t.is_numeric(kind.item)):
        return t.NUMBER, "takes one list of numbers"
    return (t.INTEGER if isinstance(kind.item, t.IntegerType) else t.NUMBER), None


def _extremum_signature(args: tuple[t.Type, ...]) -> tuple[t.Type, str | None]:
    if len(args) < 2:
        return t.ANY, "takes two or more numbers or dates"
    kinds = [t.strip_nullable(a) for a in args]
    if all(t.is_numeric(k) for k in kinds):
        integral = all(isinstance(k, t.IntegerType) for k in kinds)
        return (t.INTEGER if integral else t.NUMBER), None
    if all(isinstance(k, (t.DateType, t.AnyType)) for k in kinds):
        return t.DATE, None
    return t.ANY, "takes numbers or dates, all of one kind"


def _keys_signature(args: tuple[t.Type, ...]) -> tuple[t.Type, str | None]:
    if len(args) != 1 or not isinstance(t.strip_nullable(args[0]), (t.MapType, t.AnyType)):
        return t.ListType(t.INTEGER), "takes one map keyed by year"
    return t.ListType(t.INTEGER), None


def _count(value: Any) -> int:
    return len(value)


def _sum(values: Sequence[Any]) -> Any:
    if any(v is UNKNOWN for v in values):
        return UNKNOWN
    return sum(values)


def _past(as_of: datetime.date | None, day: datetime.date) -> bool:
    return as_of is not None and as_of > day


def _keys(mapping: dict[int, Any]) -> tuple[int, ...]:
    return tuple(sorted(mapping))


def _min(*values: Any) -> Any:
    return min(values)


def _max(*values: Any) -> Any:
    return max(values)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "workdays",
            _fixed(t.DateType, t.DateType, result=t.INTEGER),
            workdays,
            False,
            "Working days from the first date to the second, both included, by China's "
            "official calendar (make-up working days count, public holidays do not).",
        ),
        Function("count", _count_signature, _count, True, "The number of elements of a list or years of a map."),
        Function("sum", _sum_signature, _sum, True, "The sum of a list of numbers."),
        Function("min", _extremum_signature, _min, True, "The smallest of two or more numbers or dates."),
        Function("max", _extremum_signature, _max, True, "The largest of two or more numbers or dates."),
        Function("year", _fixed(t.DateType, result=t.INTEGER), lambda d: d.year, True, "The year of a date."),
        Function(
            "past",
            _fixed(t.DateType, result=t.BOOL),
            _past,
            False,
            "Whether as_of is after the date; false when no as_of is given.",
            needs_as_of=True,
        ),
        Function(
            "add_days",
            _fixed(t.DateType, t.IntegerType, result=t.DATE),
            add_days,
            True,
            "The date that many days later (earlier if negative).",
        ),
        Function(
            "add_years",
            _fixed(t.DateType, t.IntegerType, result=t.DATE),
            add_years,
            True,
            "The same day that many years later; 29 February becomes 28 February.",
        ),
        Function(
            "days_between",
            _fixed(t.DateType, t.DateType, result=t.INTEGER),
            lambda a, b: (b - a).days,
            True,
            "Days from the first date to the second.",
        ),
        Function(
            "years_between",
            _fixed(t.DateType, t.DateType, result=t.INTEGER),
            years_between,
            True,
            "Complete years from the first date to the second.",
        ),
        Function("keys", _keys_signature, _keys, True, "The years of a map, in order."),
    )
}


# ---- constant folding ----------------------------------------------------------------------


def fold(expr: ir.Expr) -> Any:
    """The value of a constant expression (parameters, table rows, defaults, bounds).

    Raises ``ValueError`` naming what is not constant.
    """
    if isinstance(expr, (ir.Const, ir.Param)):
        return expr.value
    if isinstance(expr, ir.MakeList):
        return tuple(fold(item) for item in expr.items)
    if isinstance(expr, ir.MakeRecord):
        return {name: fold(value) for name, value in expr.items}
    if isinstance(expr, ir.Negate):
        value = fold(expr.operand)
        return None if value is None else -value
    if isinstance(expr, ir.Arith):
        left, right = fold(expr.left), fold(expr.right)
        if left is None or right is None:
            return None
        return arithmetic(expr.op, left, right)
    if isinstance(expr, ir.CallFn):
        function = FUNCTIONS[expr.function]
        if function.constant:
            args = [fold(a) for a in expr.args]
            if any(a is None for a in args):
                return None
            return function.impl(*args)
    raise ValueError("a parameter, default or table row must be a constant")


def arithmetic(op: str, left: Any, right: Any) -> Any:
    """``left op right`` for known numbers; division by zero is an evaluation error."""
    try:
        if op == "+":
            result = left + right
        elif op == "-":
            result = left - right
        elif op == "*":
            result = left * right
        else:
            if right == 0:
                raise EvaluationError("division by zero", code="division-by-zero")
            result = left / right
    except OverflowError:  # an integer too large for a float
        raise EvaluationError("arithmetic overflow", code="overflow") from None
    if isinstance(result, float) and not math.isfinite(result):
        raise EvaluationError("arithmetic overflow", code="overflow")
    return result
