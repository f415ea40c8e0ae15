"""Checked policy to evaluable form: every expression becomes a Python closure.

Parameters are folded into the closures as constants, and enum order becomes a lookup
table, so evaluation does no name resolution and no type dispatch. Closures take one
argument, the :class:`State` of the evaluation in progress, which also records the facts
each rule reads and the facts it found missing: the explanation is built as a side effect
of evaluating, not by a second pass.

The rules are compiled twice. The explained form records, for each finding, the facts
read (with their key paths, carried as text) and renders its messages. The verdict form
(``CompiledPolicy.verdict``, behind ``Policy.verdict``) compiles the same IR with
``record=False``: reads record nothing, records and lists are plain values, no message is
compiled, and a block yields only its outcome. Both follow the same rules for combining
outcomes, and tests/test_compiled.py holds them to the same verdict.

Evaluation holds no global state: a compiled policy can be shared by threads.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from . import ir
from . import valuetypes as t
from .decision import Finding, FrozenMap, Message, Outcome, Verdict, verdict_of
from .errors import EvaluationError
from .runtime import FUNCTIONS, UNKNOWN, Ref, arithmetic, fold, to_json, unwrap

Fn = Callable[["State"], Any]

_MISSING = object()


class State:
    """One evaluation in progress: the document, ``as_of``, bound names and what the
    current finding has read so far."""

    __slots__ = ("as_of", "derived", "doc", "facts", "locals", "missing", "trace")

    def __init__(self, doc: dict[str, Any], as_of: datetime.date | None) -> None:
        self.doc = doc
        self.as_of = as_of
        # When a list: what decided, for coverage (CompiledPolicy.run).
        self.trace: list[tuple[str, Any, str]] | None = None
        self.facts: dict[str, Any] = {}
        self.missing: list[str] = []
        self.locals: dict[str, Any] = {}
        self.derived: dict[str, tuple[Any, list[str], dict[str, Any]]] = {}


class _Lazy:
    """A ``let`` of a block: computed on first use, then replayed (value, facts read,
    facts missing) on every later use so each user's explanation is complete."""

    __slots__ = ("fn", "result")

    def __init__(self, fn: Fn) -> None:
        self.fn = fn
        self.result: tuple[Any, list[str], dict[str, Any]] | None = None

    def get(self, s: State) -> Any:
        if self.result is None:
            self.result = _capture(self.fn, s)
        value, missing, facts = self.result
        s.missing.extend(missing)
        s.facts.update(facts)
        return value


class _Memo:
    """A ``let`` of a block in a verdict-only evaluation: computed on first use, then
    reused (there is nothing read or missing to replay)."""

    __slots__ = ("fn", "value")

    def __init__(self, fn: Fn) -> None:
        self.fn = fn
        self.value: Any = _MISSING

    def get(self, s: State) -> Any:
        if self.value is _MISSING:
            self.value = self.fn(s)
        return self.value


def _capture(fn: Fn, s: State) -> tuple[Any, list[str], dict[str, Any]]:
    saved_missing, saved_facts = s.missing, s.facts
    s.missing, s.facts = [], {}
    try:
        value = fn(s)
        return value, s.missing, s.facts
    finally:
        s.missing, s.facts = saved_missing, saved_facts


def _is_container(type_: t.Type) -> bool:
    return isinstance(t.strip_nullable(type_), (t.RecordType, t.ListType, t.MapType))


def _read(s: State, path: str, value: Any) -> None:
    if value is UNKNOWN:
        s.missing.append(path)
    else:
        s.facts[path] = value


# ---- expressions ----------------------------------------------------------------------------


class _Compiler:
    """Compiles expressions; knows the closures of the policy's derived facts.

    With ``record`` false it compiles for the verdict alone: reads record no facts, records
    and lists come back as plain values (no :class:`Ref` with their key path), and messages
    are not compiled.
    """

    def __init__(self, derived: dict[str, Fn] | None = None, record: bool = True) -> None:
        self.derived: dict[str, Fn] = derived if derived is not None else {}
        self.record = record

    def __call__(self, expr: ir.Expr) -> Fn:
        if isinstance(expr, _FOLDABLE):
            folded = _folded(expr)
            if folded is not _MISSING:
                return lambda s: folded
        return _COMPILERS[type(expr)](self, expr)


# Expressions computed once, when the policy is compiled, if every operand is a constant
# or parameter (``application_year + ban_years``). Records are left alone: a folded value
# is shared by every evaluation, so it must be immutable (lists fold to tuples).
_FOLDABLE = (ir.Arith, ir.Negate, ir.CallFn, ir.MakeList)


def _folded(expr: ir.Expr) -> Any:
    """The value of a constant expression, or ``_MISSING`` when it is not constant or
    must be left to evaluation: an error (division by zero) is raised when evaluated, and
    a null operand makes the result unknown at evaluation, not null."""
    try:
        value = fold(expr)
    except (ValueError, TypeError, EvaluationError):
        return _MISSING
    if value is None or (isinstance(value, tuple) and any(v is None or isinstance(v, dict) for v in value)):
        return _MISSING
    return value


def compile_expr(expr: ir.Expr) -> Fn:
    """A closure computing ``expr`` in a :class:`State` (an expression without derived facts,
    such as a record invariant)."""
    return _Compiler()(expr)


def _const(c: _Compiler, e: ir.Const | ir.Param) -> Fn:
    value = e.value
    return lambda s: value


def _fact(c: _Compiler, e: ir.Fact) -> Fn:
    name = path = e.name
    fallback = e.default if e.has_default else UNKNOWN
    if not c.record:
        return lambda s: s.doc.get(name, fallback)
    if _is_container(e.type):

        def container(s: State) -> Any:
            return Ref(s.doc.get(name, fallback), path)

        return container

    def leaf(s: State) -> Any:
        value = s.doc.get(name, fallback)
        _read(s, path, value)
        return value

    return leaf


def _get_field(c: _Compiler, e: ir.GetField) -> Fn:
    obj, name = c(e.obj), e.name
    fallback = e.default if e.has_default else UNKNOWN
    container = _is_container(e.type)
    suffix = "." + name

    if not c.record:
        if isinstance(e.obj, ir.Fact):
            root = e.obj.name
            absent = e.obj.default if e.obj.has_default else UNKNOWN

            def plain_field(s: State) -> Any:
                base = s.doc.get(root, absent)
                return base.get(name, fallback) if type(base) is dict else fallback

            return plain_field

        def plain(s: State) -> Any:
            base = obj(s)
            # An absent or null record reads as one with every key absent.
            return base.get(name, fallback) if type(base) is dict else fallback

        return plain

    if isinstance(e.obj, ir.Fact):
        # A field of a top-level record (workplace.city): its key path is known here.
        root, path = e.obj.name, f"{e.obj.name}.{name}"
        absent = e.obj.default if e.obj.has_default else UNKNOWN

        def field(s: State) -> Any:
            base = s.doc.get(root, absent)
            value = base.get(name, fallback) if type(base) is dict else fallback
            if container:
                return Ref(value, path)
            if value is UNKNOWN:
                s.missing.append(path)
            else:
                s.facts[path] = value
            return value

        return field

    def get(s: State) -> Any:
        base = obj(s)
        path = None
        if type(base) is Ref:
            path = base.path
            base = base.value
        # An absent or null record reads as one with every key absent.
        value = base.get(name, fallback) if type(base) is dict else fallback
        if path is not None:
            path += suffix
        if container:
            return Ref(value, path)
        if path is not None:
            _read(s, path, value)
        return value

    return get


def _get_item(c: _Compiler, e: ir.GetItem) -> Fn:
    obj, key = c(e.obj), c(e.key)
    container = _is_container(e.type) and c.record

    def get(s: State) -> Any:
        base, k = obj(s), key(s)
        path = None
        if type(base) is Ref:
            path, base = base.path, base.value
        if k is UNKNOWN or base is UNKNOWN or base is None:
            value: Any = UNKNOWN
            path = None if k is UNKNOWN or base is None else path
        elif isinstance(base, dict):
            value = base.get(k, UNKNOWN)
        else:
            value = base[k] if 0 <= k < len(base) else UNKNOWN
        if path is not None:
            path = f"{path}.{k}"
        if container:
            return Ref(value, path)
        if path is not None:
            _read(s, path, value)
        return value

    return get


def _table_get(c: _Compiler, e: ir.TableGet) -> Fn:
    key = c(e.key)
    rows = dict(e.entries)
    otherwise = e.otherwise if e.has_otherwise else UNKNOWN

    def get(s: State) -> Any:
        k = key(s)
        if k is UNKNOWN:
            return UNKNOWN
        return rows.get(k, otherwise)

    return get


def _local(c: _Compiler, e: ir.Local) -> Fn:
    name = e.name
    lazy = _Lazy if c.record else _Memo

    def get(s: State) -> Any:
        value = s.locals[name]
        if type(value) is lazy:
            return value.get(s)
        return value

    return get


def _derived(c: _Compiler, e: ir.Derived) -> Fn:
    name, derived = e.name, c.derived

    if not c.record:

        def plain(s: State) -> Any:
            hit = s.derived.get(name)
            if hit is None:
                hit = s.derived[name] = (derived[name](s), [], {})
            return hit[0]

        return plain

    def get(s: State) -> Any:
        hit = s.derived.get(name)
        if hit is None:
            hit = _capture(derived[name], s)
            s.derived[name] = hit
        s.missing.extend(hit[1])
        s.facts.update(hit[2])
        return hit[0]

    return get


def _as_of(c: _Compiler, e: ir.AsOf) -> Fn:
    def as_of(s: State) -> Any:
        if s.as_of is None:
            s.missing.append("as_of")
            return UNKNOWN
        return s.as_of

    return as_of


def _call(c: _Compiler, e: ir.CallFn) -> Fn:
    function = FUNCTIONS[e.function]
    args = tuple(c(a) for a in e.args)
    impl = function.impl
    if function.name in ("count", "keys"):
        (arg,) = args

        def unary(s: State) -> Any:
            value = arg(s)
            if type(value) is Ref:
                value = value.value
            return UNKNOWN if value is UNKNOWN or value is None else impl(value)

        return unary
    if function.name == "sum":
        (arg,) = args

        def summed(s: State) -> Any:
            value = arg(s)
            if type(value) is Ref:
                value = value.value
            return UNKNOWN if value is UNKNOWN or value is None else impl(list(value))

        return summed
    needs_as_of = function.needs_as_of

    def call(s: State) -> Any:
        values = [a(s) for a in args]
        # A function of an unknown value, or of none (a null nullable), is unknown.
        if any(v is UNKNOWN or v is None for v in values):
            return UNKNOWN
        if needs_as_of:
            return impl(s.as_of, *values)
        return impl(*values)

    return call


def _not(c: _Compiler, e: ir.Not) -> Fn:
    operand = c(e.operand)

    def negate(s: State) -> Any:
        value = operand(s)
        return value if value is UNKNOWN else not value

    return negate


def _negate(c: _Compiler, e: ir.Negate) -> Fn:
    operand = c(e.operand)

    def negate(s: State) -> Any:
        value = operand(s)
        return UNKNOWN if value is UNKNOWN or value is None else -value

    return negate


def _logic(c: _Compiler, e: ir.Logic) -> Fn:
    operands = tuple(c(o) for o in e.operands)
    decisive = e.op == "or"

    # Every operand is evaluated, even past an unknown one, so a later decisive value
    # still decides and every missing fact is reported.
    def combine(s: State) -> Any:
        unknown = False
        for operand in operands:
            value = operand(s)
            if value is UNKNOWN:
                unknown = True
            elif value is decisive:
                return decisive
        return UNKNOWN if unknown else not decisive

    return combine


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

# Types whose values the validated document guarantees are plain scalars (never a record
# or list wrapped with its key path, never null).
_SCALARS = (t.BoolType, t.IntegerType, t.NumberType, t.StringType, t.DateType, t.EnumType)


def _scalar(type_: t.Type) -> bool:
    return isinstance(type_, _SCALARS)


def _compare(c: _Compiler, e: ir.Compare) -> Fn:
    left, right = c(e.left), c(e.right)
    test = _COMPARE[e.op]
    ordering = e.op not in ("==", "!=")
    rank = {m: i for i, m in enumerate(e.enum.members)} if e.enum is not None else None

    if _scalar(e.left.type) and _scalar(e.right.type) and not ordering:
        # Neither side is a record or list (no key-path wrapper to take off); only
        # "unknown" needs a look.

        def equality(s: State) -> Any:
            a, b = left(s), right(s)
            if a is UNKNOWN or b is UNKNOWN:
                return UNKNOWN
            return test(a, b)

        return equality

    if _scalar(e.left.type) and _scalar(e.right.type):
        # As above, and null (which orders as unknown) cannot occur by the types, but costs
        # only a look.
        if rank is not None:
            ranked = rank

            def compare_ranks(s: State) -> Any:
                a, b = left(s), right(s)
                if a is UNKNOWN or b is UNKNOWN or a is None or b is None:
                    return UNKNOWN
                return test(ranked[a], ranked[b])

            return compare_ranks

        def compare_scalars(s: State) -> Any:
            a, b = left(s), right(s)
            if a is UNKNOWN or b is UNKNOWN or a is None or b is None:
                return UNKNOWN
            return test(a, b)

        return compare_scalars

    def compare(s: State) -> Any:
        a, b = left(s), right(s)
        if type(a) is Ref:
            a = a.value
        if type(b) is Ref:
            b = b.value
        if a is UNKNOWN or b is UNKNOWN:
            return UNKNOWN
        if ordering:
            if a is None or b is None:
                return UNKNOWN
            if rank is not None:
                a, b = rank[a], rank[b]
        return test(a, b)

    return compare


def _arith(c: _Compiler, e: ir.Arith) -> Fn:
    left, right, op = c(e.left), c(e.right), e.op

    def compute(s: State) -> Any:
        a, b = left(s), right(s)
        if a is UNKNOWN or b is UNKNOWN or a is None or b is None:
            return UNKNOWN
        return arithmetic(op, a, b)

    return compute


def _member(c: _Compiler, e: ir.Member) -> Fn:
    element, collection = c(e.element), c(e.collection)
    negated = e.negated

    def member(s: State) -> Any:
        x, xs = element(s), collection(s)
        if type(xs) is Ref:
            xs = xs.value
        if type(x) is Ref:
            x = x.value
        if x is UNKNOWN or xs is UNKNOWN or xs is None:
            return UNKNOWN
        found: Any = False
        for item in xs:
            if type(item) is Ref:
                item = item.value
            if item is UNKNOWN:
                found = UNKNOWN
            elif item == x:
                found = True
                break
        if found is UNKNOWN:
            return UNKNOWN
        return not found if negated else found

    return member


def _between(c: _Compiler, e: ir.Between) -> Fn:
    operand, low, high = c(e.operand), c(e.low), c(e.high)

    def between(s: State) -> Any:
        x, lo, hi = operand(s), low(s), high(s)
        if UNKNOWN in (x, lo, hi) or None in (x, lo, hi):
            return UNKNOWN
        return bool(lo <= x <= hi)

    return between


def _test(c: _Compiler, e: ir.TestValue) -> Fn:
    operand, test = c(e.operand), e.test
    if test in ("present", "absent"):
        want = test == "present"

        # Presence is a known fact about the document: reading an absent key here
        # does not make anything unknown, so its "missing" record is dropped.
        def presence(s: State) -> Any:
            saved = s.missing
            s.missing = []
            try:
                value = operand(s)
            finally:
                s.missing = saved
            if type(value) is Ref:
                value = value.value
            return (value is not UNKNOWN) is want

        return presence
    want_none = test == "none"

    def nullness(s: State) -> Any:
        value = operand(s)
        if type(value) is Ref:
            if value.value is None and value.path is not None:
                s.facts[value.path] = None
            elif value.value is UNKNOWN and value.path is not None:
                s.missing.append(value.path)
            value = value.value
        if value is UNKNOWN:
            return UNKNOWN
        return (value is None) is want_none

    return nullness


def _make_list(c: _Compiler, e: ir.MakeList) -> Fn:
    items = tuple(c(i) for i in e.items)
    return lambda s: tuple(i(s) for i in items)


def _make_record(c: _Compiler, e: ir.MakeRecord) -> Fn:
    items = tuple((name, c(value)) for name, value in e.items)
    return lambda s: {name: value(s) for name, value in items}


def _elements(value: Any) -> tuple[Sequence[Any] | None, str | None]:
    path = None
    if type(value) is Ref:
        path, value = value.path, value.value
    if value is UNKNOWN or value is None:
        return None, None
    return value, path


def _quantify(c: _Compiler, e: ir.Quantify) -> Fn:
    iterable, body, var = c(e.iterable), c(e.body), e.var
    wrap = c.record and (
        _is_container(e.iterable.type.item)
        if isinstance(e.iterable.type, t.ListType) and e.iterable.type.item
        else False
    )
    # each: a false element decides (false); any / no: a true element decides.
    decisive = e.quantifier != "each"
    negated = e.quantifier == "no"

    def quantify(s: State) -> Any:
        items, path = _elements(iterable(s))
        if items is None:
            return UNKNOWN
        saved = s.locals.get(var, _MISSING)
        unknown = False
        try:
            for i, item in enumerate(items):
                s.locals[var] = Ref(item, f"{path}.{i}" if path else None) if wrap else item
                value = body(s)
                if value is UNKNOWN:
                    unknown = True
                elif value is decisive:
                    return decisive is not negated
        finally:
            _restore(s, var, saved)
        return UNKNOWN if unknown else (not decisive) is not negated

    return quantify


def _restore(s: State, var: str, saved: Any) -> None:
    if saved is _MISSING:
        s.locals.pop(var, None)
    else:
        s.locals[var] = saved


def _comprehension(c: _Compiler, e: ir.Comprehension) -> Fn:
    iterable, var = c(e.iterable), e.var
    element = c(e.element)
    condition = c(e.condition) if e.condition is not None else None
    source = e.iterable.type
    wrap = c.record and isinstance(source, t.ListType) and source.item is not None and _is_container(source.item)

    def build(s: State) -> Any:
        items, path = _elements(iterable(s))
        if items is None:
            return UNKNOWN
        saved = s.locals.get(var, _MISSING)
        chosen: list[Any] = []
        unknown = False
        try:
            for i, item in enumerate(items):
                s.locals[var] = Ref(item, f"{path}.{i}" if path else None) if wrap else item
                keep = True if condition is None else condition(s)
                if keep is UNKNOWN:
                    unknown = True
                elif keep:
                    chosen.append(element(s))
        finally:
            _restore(s, var, saved)
        return UNKNOWN if unknown else tuple(chosen)

    return build


def _if_else(c: _Compiler, e: ir.IfElse) -> Fn:
    condition, then, otherwise = c(e.condition), c(e.then), c(e.otherwise)

    def choose(s: State) -> Any:
        c = condition(s)
        if c is True:
            return then(s)
        if c is False:
            return otherwise(s)
        a, b = then(s), otherwise(s)
        return a if to_json(a) == to_json(b) else UNKNOWN

    return choose


def _interpolate(c: _Compiler, e: ir.Interpolate) -> Fn:
    # As a value (not a message) a template is unknown when any part is, and renders
    # its parts as in Chinese: enum labels, ISO dates.
    parts = [p if isinstance(p, str) else (c(p), p.type) for p in e.parts]

    def build(s: State) -> Any:
        out: list[str] = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = part[0](s)
            if unwrap(value) is UNKNOWN:
                return UNKNOWN
            out.append(format_value(value, part[1], "zh"))
        return "".join(out)

    return build


_COMPILERS: dict[type, Callable[[_Compiler, Any], Fn]] = {
    ir.Derived: _derived,
    ir.Const: _const,
    ir.Param: _const,
    ir.Fact: _fact,
    ir.GetField: _get_field,
    ir.GetItem: _get_item,
    ir.TableGet: _table_get,
    ir.Local: _local,
    ir.AsOf: _as_of,
    ir.CallFn: _call,
    ir.Not: _not,
    ir.Negate: _negate,
    ir.Logic: _logic,
    ir.Compare: _compare,
    ir.Arith: _arith,
    ir.Member: _member,
    ir.Between: _between,
    ir.TestValue: _test,
    ir.MakeList: _make_list,
    ir.MakeRecord: _make_record,
    ir.Quantify: _quantify,
    ir.Comprehension: _comprehension,
    ir.IfElse: _if_else,
    ir.Interpolate: _interpolate,
}


# ---- formatting values inside messages ----------------------------------------------------

_WORDS = {
    "zh": {"unknown": "未知", "none": "无", True: "是", False: "否", "sep": "、", "pair": "："},
    "en": {"unknown": "unknown", "none": "none", True: "yes", False: "no", "sep": ", ", "pair": ": "},
}


def format_value(value: Any, type_: t.Type, lang: str) -> str:
    """How a value reads inside a message: enum labels in Chinese, names in English."""
    words = _WORDS[lang]
    if type(value) is Ref:
        value = value.value
    if value is UNKNOWN:
        return str(words["unknown"])
    if value is None:
        return str(words["none"])
    kind = t.strip_nullable(type_)
    if isinstance(value, bool):
        return str(words[value])
    if isinstance(kind, t.EnumType) and isinstance(value, str) and value in kind.members:
        return kind.label(value) if lang == "zh" else value.replace("_", " ")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        item = kind.item if isinstance(kind, t.ListType) and kind.item else t.ANY
        return str(words["sep"]).join(format_value(v, item, lang) for v in value)
    if isinstance(value, dict):
        fields = {f.name: f.type for f in kind.fields} if isinstance(kind, t.RecordType) else {}
        return str(words["sep"]).join(
            f"{k}{words['pair']}{format_value(v, fields.get(k, t.ANY), lang)}" for k, v in value.items()
        )
    return str(value)


def formatter(type_: t.Type, lang: str) -> Callable[[Any], str]:
    """``format_value`` for one type and language, with the common case decided once: a
    string, an integer, a date or an enum member is formatted without dispatching on the
    type; anything else goes through :func:`format_value`."""
    kind = t.strip_nullable(type_)

    def general(value: Any) -> str:
        return format_value(value, type_, lang)

    if isinstance(kind, t.EnumType):
        labels = {m: kind.label(m) if lang == "zh" else m.replace("_", " ") for m in kind.members}

        def enum(value: Any) -> str:
            label = labels.get(value) if type(value) is str else None
            return label if label is not None else general(value)

        return enum
    exact: type = {t.StringType: str, t.IntegerType: int, t.NumberType: int, t.DateType: datetime.date}.get(
        type(kind), object
    )
    if exact is object:
        return general
    show: Callable[[Any], str] = datetime.date.isoformat if exact is datetime.date else str

    def known(value: Any) -> str:
        return show(value) if type(value) is exact else general(value)

    return known


def compile_text(e: ir.Interpolate, lang: str, c: _Compiler | None = None) -> Fn:
    """A closure rendering a template in ``lang``."""
    c = c or _Compiler()
    parts: tuple[str | tuple[Fn, Callable[[Any], str]], ...] = tuple(
        p if isinstance(p, str) else (c(p), formatter(p.type, lang)) for p in e.parts
    )
    if all(isinstance(p, str) for p in parts):
        text = "".join(p for p in parts if isinstance(p, str))
        return lambda s: text

    def render(s: State) -> str:
        return "".join([part if isinstance(part, str) else part[1](part[0](s)) for part in parts])

    return render


# ---- blocks, rules and the policy -------------------------------------------------------------


# A message part: literal text, or (index of the value, how to format it).
_Part = str | tuple[int, Callable[[Any], str]]


@attrs.frozen
class _Text:
    """A message in both languages. An expression interpolated in both (``{total}``) is
    evaluated once and formatted twice."""

    values: tuple[Fn, ...]
    zh: tuple[_Part, ...]
    en: tuple[_Part, ...]
    static: Message | None = None  # the message, when it interpolates nothing

    def render(self, s: State) -> Message:
        if self.static is not None:
            return self.static
        # Rendering reads facts; what it finds missing must not change the outcome.
        saved = s.missing
        s.missing = []
        try:
            values = [value(s) for value in self.values]
        finally:
            s.missing = saved
        return Message(
            "".join([p if isinstance(p, str) else p[1](values[p[0]]) for p in self.zh]),
            "".join([p if isinstance(p, str) else p[1](values[p[0]]) for p in self.en]),
        )


def _text(c: _Compiler, message: ir.Message | None) -> _Text | None:
    if message is None or not c.record:
        return None
    exprs: list[ir.Expr] = []  # in the order of first use: zh, then what en adds

    def parts(template: ir.Interpolate, lang: str) -> tuple[_Part, ...]:
        out: list[_Part] = []
        for part in template.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            if part not in exprs:
                exprs.append(part)
            out.append((exprs.index(part), formatter(part.type, lang)))
        return tuple(out)

    zh, en = parts(message.zh, "zh"), parts(message.en, "en")
    static = None
    if not exprs:
        static = Message("".join(p for p in zh if isinstance(p, str)), "".join(p for p in en if isinstance(p, str)))
    return _Text(tuple(c(e) for e in exprs), zh, en, static)


_DEFAULT_MESSAGES = {
    Outcome.PASS: ("符合要求", "met"),
    Outcome.FAIL: ("不符合要求", "not met"),
    Outcome.ACTION: ("尚待完成", "outstanding"),
    Outcome.NOT_APPLICABLE: ("不适用", "not applicable"),
    Outcome.EXEMPT: ("免于此项要求", "exempt"),
}

# How outcomes combine when all are required (decision.combine_all), as a rank: the most
# severe decides; exempt and not applicable count as satisfied.
_SEVERITY = {
    Outcome.PASS: 0,
    Outcome.EXEMPT: 0,
    Outcome.NOT_APPLICABLE: 0,
    Outcome.ACTION: 1,
    Outcome.UNKNOWN: 2,
    Outcome.FAIL: 3,
}
_BY_SEVERITY = (Outcome.PASS, Outcome.ACTION, Outcome.UNKNOWN, Outcome.FAIL)

# When several exceptions hold at once, the strongest decides (docs/language.md).
_EXCEPTION_RANK = {
    Outcome.FAIL: 0,
    Outcome.NOT_APPLICABLE: 1,
    Outcome.EXEMPT: 2,
    Outcome.PASS: 3,
}


def default_message(outcome: Outcome, title: Message, missing: Sequence[str] = ()) -> Message:
    """The message of an outcome for which the policy wrote none."""
    if outcome is Outcome.UNKNOWN:
        listed_zh = "、".join(missing) if missing else "（未列明）"
        listed_en = ", ".join(missing) if missing else "(not listed)"
        return Message(f"{title.zh}：缺少信息 {listed_zh}", f"{title.en}: missing {listed_en}")
    zh, en = _DEFAULT_MESSAGES[outcome]
    return Message(f"{title.zh}：{zh}", f"{title.en}: {en}")


def _join(messages: Sequence[Message]) -> Message:
    unique: list[Message] = []
    for message in messages:
        if message not in unique:
            unique.append(message)
    return Message("；".join(m.zh for m in unique), "; ".join(m.en for m in unique))


def _dedupe(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


@attrs.frozen
class _Requirement:
    kind: str
    condition: Fn
    deadline: Fn | None
    when: Fn | None
    on_false: Outcome
    until: Fn | None
    messages: dict[Outcome, _Text]
    site: Any = None  # the requirement's span, named in a trace

    def run(self, s: State) -> tuple[Outcome | None, list[str], datetime.date | None]:
        """The outcome (``None`` when its ``when`` is false), facts missing, deadline."""
        if s.trace is None:
            return self._run(s)
        outcome, missing, deadline = self._run(s)
        if s.trace is not None:
            s.trace.append(("require", self.site, str(outcome) if outcome is not None else "skipped"))
        return outcome, missing, deadline

    def _run(self, s: State) -> tuple[Outcome | None, list[str], datetime.date | None]:
        s.missing = []
        guard: Any = True
        if self.when is not None:
            guard = self.when(s)
            if guard is False:
                return None, [], None
        deadline: datetime.date | None = None
        if self.kind == "step":
            saved = s.missing
            s.missing = []  # an absent step date means "not done yet", not "unknown"
            done = self.condition(s)
            s.missing = saved
            last_day = self.deadline(s) if self.deadline else UNKNOWN
            if done is UNKNOWN:
                outcome = self._outstanding(s, last_day)
                deadline = _day(last_day)
            elif last_day is UNKNOWN:
                outcome = Outcome.UNKNOWN
            else:
                outcome = Outcome.PASS if done <= last_day else Outcome.FAIL
        else:
            value = self.condition(s)
            if value is True:
                outcome = Outcome.PASS
            elif value is False:
                if self.on_false is Outcome.FAIL:
                    outcome = Outcome.FAIL
                else:
                    last_day = self.until(s) if self.until else UNKNOWN
                    outcome = self._outstanding(s, last_day)
                    deadline = _day(last_day)
            else:
                outcome = Outcome.UNKNOWN
        if guard is UNKNOWN and outcome is not Outcome.PASS:
            outcome = Outcome.UNKNOWN
        return outcome, s.missing, deadline

    @staticmethod
    def _outstanding(s: State, last_day: Any) -> Outcome:
        # An action fails once as_of is past its last day; an unknown day never passes.
        if last_day is not UNKNOWN and s.as_of is not None and s.as_of > last_day:
            return Outcome.FAIL
        return Outcome.ACTION


def _day(value: Any) -> datetime.date | None:
    return value if isinstance(value, datetime.date) else None


@attrs.frozen
class _Exception:
    outcome: Outcome
    condition: Fn
    message: _Text | None
    site: Any = None  # the exception's span, named in a trace


@attrs.frozen
class _Child:
    name: str | None
    var: str | None
    iterable: Fn | None
    wrap: bool
    body: _Block


@attrs.frozen
class _Block:
    title: _Text | None
    lets: tuple[tuple[str, Fn, bool], ...]
    exceptions: tuple[_Exception, ...]
    requirements: tuple[_Requirement, ...]
    children: tuple[_Child, ...]
    pass_message: _Text | None
    site: Any = None  # the block's span, named in a trace
    # The ``show`` names, whose values the finding's facts list.
    shown: tuple[str, ...] = attrs.field(init=False)

    @shown.default
    def _shown(self) -> tuple[str, ...]:
        return tuple(name for name, _, shown in self.lets if shown)

    def run(
        self,
        s: State,
        finding_id: str,
        cite: str,
        inherited_title: Message,
        note: Message | None,
    ) -> Finding:
        saved_facts = s.facts
        s.facts = {}
        if not self.lets:
            try:
                finding = self._decide(s, finding_id, cite, inherited_title, note)
            finally:
                s.facts = saved_facts
            if s.trace is not None:
                s.trace.append(("block", self.site, str(finding.outcome)))
            return finding
        bound = {name: s.locals.get(name, _MISSING) for name, _, _ in self.lets}
        for name, fn, _ in self.lets:
            s.locals[name] = _Lazy(fn)
        try:
            finding = self._decide(s, finding_id, cite, inherited_title, note)
            if s.trace is not None:
                s.trace.append(("block", self.site, str(finding.outcome)))
            return finding
        finally:
            for name, previous in bound.items():
                _restore(s, name, previous)
            s.facts = saved_facts

    def outcome(self, s: State) -> Outcome:
        """The outcome :meth:`run` finds, without building the finding: the same
        exceptions, requirements and children, no messages, facts or missing lists."""
        if not self.lets:
            return self._outcome(s)
        bound = {name: s.locals.get(name, _MISSING) for name, _, _ in self.lets}
        for name, fn, _ in self.lets:
            s.locals[name] = _Memo(fn)
        try:
            return self._outcome(s)
        finally:
            for name, previous in bound.items():
                _restore(s, name, previous)

    def _outcome(self, s: State) -> Outcome:
        fired: list[Outcome] = []
        possible: list[Outcome] = []
        for case in self.exceptions:
            value = case.condition(s)
            if value is True:
                fired.append(case.outcome)
            elif value is UNKNOWN:
                possible.append(case.outcome)
        if fired:
            # As in _decide: the strongest exception that holds, unless a stronger one might.
            rank = min(_EXCEPTION_RANK[o] for o in fired)
            strongest = next(o for o in fired if _EXCEPTION_RANK[o] == rank)
            if any(_EXCEPTION_RANK[p] < rank and p is not strongest for p in possible):
                return Outcome.UNKNOWN
            return strongest
        severity = 0  # combine_all as it goes, as in _decide
        for requirement in self.requirements:
            outcome = requirement._run(s)[0]
            if outcome is not None:
                severity = max(severity, _SEVERITY[outcome])
        for child in self.children:
            if child.iterable is None:
                severity = max(severity, _SEVERITY[child.body.outcome(s)])
                continue
            assert child.var is not None
            items, _ = _elements(child.iterable(s))
            if items is None:
                severity = max(severity, _SEVERITY[Outcome.UNKNOWN])
                continue
            saved = s.locals.get(child.var, _MISSING)
            try:
                for item in items:
                    s.locals[child.var] = item
                    severity = max(severity, _SEVERITY[child.body.outcome(s)])
            finally:
                _restore(s, child.var, saved)
        base = _BY_SEVERITY[severity]
        if any(p is not base for p in possible):
            return Outcome.UNKNOWN
        return base

    def _decide(
        self,
        s: State,
        finding_id: str,
        cite: str,
        inherited_title: Message,
        note: Message | None,
    ) -> Finding:
        title = self.title.render(s) if self.title else inherited_title
        fired: list[_Exception] = []
        possible: list[_Exception] = []
        missing: list[str] = []
        for case in self.exceptions:
            s.missing = []
            value = case.condition(s)
            if value is True:
                fired.append(case)
            elif value is UNKNOWN:
                possible.append(case)
                missing.extend(s.missing)
        if fired:
            case = min(fired, key=lambda c: _EXCEPTION_RANK[c.outcome])
            rank = _EXCEPTION_RANK[case.outcome]
            # A stronger exception whose condition is unknown might still take over.
            if not any(_EXCEPTION_RANK[p.outcome] < rank and p.outcome is not case.outcome for p in possible):
                if s.trace is not None:
                    s.trace.append(("exception", case.site, str(case.outcome)))
                message = case.message.render(s) if case.message else default_message(case.outcome, title)
                return Finding(finding_id, case.outcome, cite, title, message, FrozenMap.adopt(s.facts), (), None, note)
            missing_facts = _dedupe(missing)
            message = default_message(Outcome.UNKNOWN, title, missing_facts)
            return Finding(
                finding_id, Outcome.UNKNOWN, cite, title, message, FrozenMap.adopt(s.facts), missing_facts, None, note
            )

        # Each deciding item: its outcome, its own message (None: the default one),
        # the facts it found missing, and the last day of an outstanding action.
        decided: list[tuple[Outcome, Message | None, Sequence[str], datetime.date | None]] = []
        severity = 0  # combine_all as it goes: the most severe outcome so far
        for requirement in self.requirements:
            outcome, req_missing, deadline = requirement.run(s)
            if outcome is None:
                continue
            custom = requirement.messages.get(outcome)
            decided.append((outcome, custom.render(s) if custom else None, req_missing, deadline))
            severity = max(severity, _SEVERITY[outcome])
        children = self._children(s, finding_id, cite, title) if self.children else []
        for child in children:
            decided.append((child.outcome, child.message, child.missing, child.deadline))
            severity = max(severity, _SEVERITY[child.outcome])

        outcome = base = _BY_SEVERITY[severity]
        if possible and any(c.outcome is not base for c in possible):
            outcome = Outcome.UNKNOWN
        if outcome is Outcome.UNKNOWN:
            missing.extend(m for d in decided if d[0] is Outcome.UNKNOWN for m in d[2])
            missing_facts = _dedupe(missing)
        else:
            missing_facts = ()
        for name in self.shown:
            s.facts[name] = to_json(s.locals[name].get(s))
        deadline = None
        if outcome is Outcome.PASS:
            message = self.pass_message.render(s) if self.pass_message else default_message(outcome, title)
        else:
            deciding = [d for d in decided if d[0] is outcome]
            if outcome is Outcome.UNKNOWN and not any(d[1] is not None for d in deciding):
                message = default_message(outcome, title, missing_facts)
            elif len(deciding) == 1 and deciding[0][1] is not None:
                message = deciding[0][1]
            else:
                message = _join([d[1] or default_message(outcome, title, d[2]) for d in deciding])
            if outcome is Outcome.ACTION:
                deadline = min((d[3] for d in deciding if d[3] is not None), default=None)
        return Finding(
            finding_id,
            outcome,
            cite,
            title,
            message,
            FrozenMap.adopt(s.facts),
            missing_facts,
            deadline,
            note,
            tuple(children),
        )

    def _children(self, s: State, parent: str, cite: str, title: Message) -> list[Finding]:
        found: list[Finding] = []
        for child in self.children:
            if child.name is not None:
                found.append(child.body.run(s, f"{parent}.{child.name}", cite, title, None))
                continue
            assert child.iterable is not None and child.var is not None
            s.missing = []
            items, path = _elements(child.iterable(s))
            if items is None:
                # The list itself is unknown (e.g. it depends on the declared level).
                if s.trace is not None:
                    s.trace.append(("block", child.body.site, str(Outcome.UNKNOWN)))
                missing = _dedupe(s.missing)
                found.append(
                    Finding(
                        f"{parent}.{child.var}",
                        Outcome.UNKNOWN,
                        cite,
                        title,
                        default_message(Outcome.UNKNOWN, title, missing),
                        FrozenMap(),
                        missing,
                    )
                )
                continue
            saved = s.locals.get(child.var, _MISSING)
            try:
                for i, item in enumerate(items):
                    s.locals[child.var] = Ref(item, f"{path}.{i}" if path else None) if child.wrap else item
                    key = _child_key(item, i)
                    found.append(child.body.run(s, f"{parent}.{key}", cite, title, None))
            finally:
                _restore(s, child.var, saved)
        return found


def _child_key(item: Any, index: int) -> str:
    if isinstance(item, bool) or not isinstance(item, (int, str, datetime.date)):
        return str(index)
    return item.isoformat() if isinstance(item, datetime.date) else str(item)


def _block(c: _Compiler, block: ir.Block) -> _Block:
    return _Block(
        _text(c, block.title),
        tuple((let.name, c(let.value), let.shown) for let in block.lets),
        tuple(_Exception(Outcome(e.outcome), c(e.condition), _text(c, e.message), e.span) for e in block.exceptions),
        tuple(_requirement(c, r) for r in block.requirements),
        tuple(_child(c, child) for child in block.children),
        _text(c, block.pass_message),
        block.span,
    )


def _requirement(c: _Compiler, r: ir.Requirement) -> _Requirement:
    messages = {Outcome(outcome): _text(c, message) for outcome, message in r.messages}
    return _Requirement(
        r.kind,
        c(r.condition),
        c(r.deadline) if r.deadline is not None else None,
        c(r.when) if r.when is not None else None,
        Outcome(r.on_false),
        c(r.until) if r.until is not None else None,
        {k: v for k, v in messages.items() if v is not None},
        r.span,
    )


def _child(c: _Compiler, child: ir.Child) -> _Child:
    wrap = False
    if (
        c.record
        and child.iterable is not None
        and isinstance(child.iterable.type, t.ListType)
        and child.iterable.type.item
    ):
        wrap = _is_container(child.iterable.type.item)
    return _Child(
        child.name,
        child.var,
        c(child.iterable) if child.iterable is not None else None,
        wrap,
        _block(c, child.body),
    )


@attrs.frozen
class _Rule:
    id: str
    cite: str
    title: Message
    note: _Text | None
    body: _Block


@attrs.frozen
class CompiledPolicy:
    """The evaluable form of a checked policy."""

    rules: tuple[_Rule, ...]
    outputs: tuple[tuple[str, Fn], ...]
    output_labels: tuple[tuple[str, tuple[str, str]], ...]
    # The rules' bodies compiled again for the verdict alone (no facts, no messages).
    verdict_bodies: tuple[_Block, ...] = ()

    def run(
        self, doc: dict[str, Any], as_of: datetime.date | None, trace: list[tuple[str, Any, str]] | None = None
    ) -> tuple[tuple[Finding, ...], dict[str, Any]]:
        """Evaluate a validated document: the findings in rule order and the outputs.

        With ``trace`` (a list), it records ``(kind, span, outcome)`` for coverage: each
        requirement run (outcome "skipped" when its ``when`` is false), each exception that
        decides a finding, and each block's finding.
        """
        s = State(doc, as_of)
        s.trace = trace
        findings = []
        for rule in self.rules:
            note = rule.note.render(s) if rule.note else None
            s.missing = []
            try:
                findings.append(rule.body.run(s, rule.id, rule.cite, rule.title, note))
            except EvaluationError as error:
                raise EvaluationError(error.args[0], error.code, where=rule.id) from None
        outputs: dict[str, Any] = {}
        for name, fn in self.outputs:
            s.facts, s.missing = {}, []
            outputs[name] = to_json(fn(s))
        return tuple(findings), outputs

    def verdict(self, doc: dict[str, Any], as_of: datetime.date | None) -> Verdict:
        """The verdict of :meth:`run` on a validated document, without its explanation.

        A failing rule settles it (ineligible), so the rules after it are not evaluated.
        An error (such as a missing calendar year) is raised as :meth:`run` raises it only
        when a rule before it has not failed.
        """
        s = State(doc, as_of)
        outcomes: list[Outcome] = []
        for rule, body in zip(self.rules, self.verdict_bodies, strict=True):
            try:
                outcome = body.outcome(s)
            except EvaluationError as error:
                raise EvaluationError(error.args[0], error.code, where=rule.id) from None
            if outcome is Outcome.FAIL:
                return Verdict.INELIGIBLE
            outcomes.append(outcome)
        return verdict_of(outcomes)


def _static_title(c: _Compiler, rule: ir.Rule) -> Message:
    text = _text(c, rule.title)
    return text.render(State({}, None)) if text else Message(rule.id, rule.id)


def compile_policy(policy: ir.CheckedPolicy) -> CompiledPolicy:
    """Compile a checked policy into closures."""
    c = _Compiler()
    for info in policy.derived:
        c.derived[info.name] = c(info.value)
    rules = tuple(_Rule(r.id, r.cite, _static_title(c, r), _text(c, r.note), _block(c, r.body)) for r in policy.rules)
    plain = _Compiler(record=False)
    for info in policy.derived:
        plain.derived[info.name] = plain(info.value)
    verdict_bodies = tuple(_block(plain, r.body) for r in policy.rules)
    outputs = tuple((o.name, c(o.value)) for o in policy.outputs)
    labels = []
    for output in policy.outputs:
        text = _text(c, output.label)
        label = text.render(State({}, None)) if text else Message(output.name, output.name)
        labels.append((output.name, (label.zh, label.en)))
    return CompiledPolicy(rules, outputs, tuple(labels), verdict_bodies)
