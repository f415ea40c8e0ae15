"""The checked IR interpreted directly, for analysis: what an expression is worth on a
document, under bindings, with nothing compiled.

Explanations evaluate conditions on documents as proposed changes would leave them, many
small evaluations of single expressions. They read the IR (the layer meant for tools) and
so do not depend on how the compiler turns it into fast code. The semantics are the
language's (docs/language.md): an absent fact is ``UNKNOWN``, ``and``/``or`` are Kleene's,
an absent or null record reads as one with every key absent. Whatever an explanation
proposes is still checked through :meth:`Policy.evaluate`, the one authority on outcomes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from . import ir
from .compiler import format_value
from .runtime import FUNCTIONS, UNKNOWN, arithmetic, to_json

# A name's value: a ``let`` is an expression evaluated where it is read; a loop variable a value.
Lookup = Callable[[str], Any]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class Interpreter:
    """Evaluates IR expressions against one document and ``as_of``; ``derived`` holds the
    policy's top-level ``let``s."""

    def __init__(self, doc: Mapping[str, Any], as_of: datetime.date | None, derived: Mapping[str, ir.Expr]) -> None:
        self.doc = doc
        self.as_of = as_of
        self.derived = derived

    def value(self, expr: ir.Expr, local: Lookup) -> Any:
        """The value of ``expr``; ``local(name)`` gives a bound name's value."""
        method: Callable[[Any, Lookup], Any] = getattr(self, "_" + type(expr).__name__)
        return method(expr, local)

    # ---- names and reads ---------------------------------------------------------------------

    def _Const(self, e: ir.Const, local: Lookup) -> Any:
        return e.value

    def _Param(self, e: ir.Param, local: Lookup) -> Any:
        return e.value

    def _Fact(self, e: ir.Fact, local: Lookup) -> Any:
        return self.doc.get(e.name, e.default if e.has_default else UNKNOWN)

    def _GetField(self, e: ir.GetField, local: Lookup) -> Any:
        base = self.value(e.obj, local)
        fallback = e.default if e.has_default else UNKNOWN
        return base.get(e.name, fallback) if isinstance(base, dict) else fallback

    def _GetItem(self, e: ir.GetItem, local: Lookup) -> Any:
        base, key = self.value(e.obj, local), self.value(e.key, local)
        if key is UNKNOWN or base is UNKNOWN or base is None:
            return UNKNOWN
        if isinstance(base, dict):
            return base.get(key, UNKNOWN)
        return base[key] if isinstance(key, int) and 0 <= key < len(base) else UNKNOWN

    def _TableGet(self, e: ir.TableGet, local: Lookup) -> Any:
        key = self.value(e.key, local)
        if key is UNKNOWN:
            return UNKNOWN
        return dict(e.entries).get(key, e.otherwise if e.has_otherwise else UNKNOWN)

    def _Local(self, e: ir.Local, local: Lookup) -> Any:
        return local(e.name)

    def _Derived(self, e: ir.Derived, local: Lookup) -> Any:
        return self.value(self.derived[e.name], _unbound)

    def _AsOf(self, e: ir.AsOf, local: Lookup) -> Any:
        return UNKNOWN if self.as_of is None else self.as_of

    def _CallFn(self, e: ir.CallFn, local: Lookup) -> Any:
        function = FUNCTIONS[e.function]
        values = [self.value(a, local) for a in e.args]
        if any(v is UNKNOWN or v is None for v in values):
            return UNKNOWN
        if function.name in ("count", "keys"):
            return function.impl(values[0])
        if function.name == "sum":
            return function.impl(list(values[0]))
        if function.needs_as_of:
            return function.impl(self.as_of, *values)
        return function.impl(*values)

    # ---- operators ---------------------------------------------------------------------------------

    def _Not(self, e: ir.Not, local: Lookup) -> Any:
        value = self.value(e.operand, local)
        return value if value is UNKNOWN else not value

    def _Negate(self, e: ir.Negate, local: Lookup) -> Any:
        value = self.value(e.operand, local)
        return UNKNOWN if value is UNKNOWN or value is None else -value

    def _Logic(self, e: ir.Logic, local: Lookup) -> Any:
        decisive = e.op == "or"
        unknown = False
        for operand in e.operands:
            value = self.value(operand, local)
            if value is UNKNOWN:
                unknown = True
            elif value is decisive:
                return decisive
        return UNKNOWN if unknown else not decisive

    def _Compare(self, e: ir.Compare, local: Lookup) -> Any:
        a, b = self.value(e.left, local), self.value(e.right, local)
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        if e.op not in ("==", "!="):
            if a is None or b is None:
                return UNKNOWN
            if e.enum is not None:
                a, b = e.enum.rank(a), e.enum.rank(b)
        return _COMPARE[e.op](a, b)

    def _Arith(self, e: ir.Arith, local: Lookup) -> Any:
        a, b = self.value(e.left, local), self.value(e.right, local)
        if a is UNKNOWN or b is UNKNOWN or a is None or b is None:
            return UNKNOWN
        return arithmetic(e.op, a, b)

    def _Member(self, e: ir.Member, local: Lookup) -> Any:
        x, xs = self.value(e.element, local), self.value(e.collection, local)
        if x is UNKNOWN or xs is UNKNOWN or xs is None:
            return UNKNOWN
        found: Any = False
        for item in xs:
            if item is UNKNOWN:
                found = UNKNOWN
            elif item == x:
                found = True
                break
        if found is UNKNOWN:
            return UNKNOWN
        return not found if e.negated else found

    def _Between(self, e: ir.Between, local: Lookup) -> Any:
        x, low, high = (self.value(v, local) for v in (e.operand, e.low, e.high))
        if any(v is UNKNOWN or v is None for v in (x, low, high)):
            return UNKNOWN
        return bool(low <= x <= high)

    def _TestValue(self, e: ir.TestValue, local: Lookup) -> Any:
        value = self.value(e.operand, local)
        if e.test in ("present", "absent"):
            return (value is not UNKNOWN) is (e.test == "present")
        if value is UNKNOWN:
            return UNKNOWN
        return (value is None) is (e.test == "none")

    # ---- building values -----------------------------------------------------------------------------

    def _MakeList(self, e: ir.MakeList, local: Lookup) -> Any:
        return tuple(self.value(item, local) for item in e.items)

    def _MakeRecord(self, e: ir.MakeRecord, local: Lookup) -> Any:
        return {name: self.value(value, local) for name, value in e.items}

    def _Quantify(self, e: ir.Quantify, local: Lookup) -> Any:
        items = self.value(e.iterable, local)
        if items is UNKNOWN or items is None:
            return UNKNOWN
        # each: a false item decides (false); any / no: a true item decides.
        decisive = e.quantifier != "each"
        negated = e.quantifier == "no"
        unknown = False
        for item in items:
            value = self.value(e.body, _bind(local, e.var, item))
            if value is UNKNOWN:
                unknown = True
            elif value is decisive:
                return decisive is not negated
        return UNKNOWN if unknown else (not decisive) is not negated

    def _Comprehension(self, e: ir.Comprehension, local: Lookup) -> Any:
        items = self.value(e.iterable, local)
        if items is UNKNOWN or items is None:
            return UNKNOWN
        chosen = []
        unknown = False
        for item in items:
            inner = _bind(local, e.var, item)
            keep = True if e.condition is None else self.value(e.condition, inner)
            if keep is UNKNOWN:
                unknown = True
            elif keep:
                chosen.append(self.value(e.element, inner))
        return UNKNOWN if unknown else tuple(chosen)

    def _IfElse(self, e: ir.IfElse, local: Lookup) -> Any:
        condition = self.value(e.condition, local)
        if condition is True:
            return self.value(e.then, local)
        if condition is False:
            return self.value(e.otherwise, local)
        a, b = self.value(e.then, local), self.value(e.otherwise, local)
        return a if to_json(a) == to_json(b) else UNKNOWN

    def _Interpolate(self, e: ir.Interpolate, local: Lookup) -> Any:
        out = []
        for part in e.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = self.value(part, local)
            if value is UNKNOWN:
                return UNKNOWN
            out.append(format_value(value, part.type, "zh"))
        return "".join(out)


def _unbound(name: str) -> Any:
    raise KeyError(name)


def _bind(local: Lookup, name: str, value: Any) -> Lookup:
    def lookup(wanted: str) -> Any:
        return value if wanted == name else local(wanted)

    return lookup
