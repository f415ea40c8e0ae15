"""The checked policy: names resolved, every expression typed, parameters folded.

The checker turns the AST into these nodes; the compiler turns them into an evaluable
form. Tools that reason about a policy (analysis, documentation, test generation) read
this layer: it says which fact each expression reads and which threshold it compares to.
"""

from __future__ import annotations

from typing import Any

import attrs

from .nodes import Span
from .valuetypes import EnumType, RecordType, Type

# ---- expressions -------------------------------------------------------------------------


@attrs.frozen
class Const:
    """A constant: a literal, an enum member, or a folded expression of constants."""

    value: Any
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Param:
    """A named parameter; kept by name so explanations can say which threshold decided."""

    name: str
    value: Any
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Fact:
    """A top-level key of the applicant document."""

    name: str
    default: Any
    has_default: bool
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class GetField:
    """A field of a record; an absent record reads as one with every key absent."""

    obj: Expr
    name: str
    default: Any
    has_default: bool
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class GetItem:
    """``map[year]`` or ``list[index]``."""

    obj: Expr
    key: Expr
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class TableGet:
    """``table[key]``; ``entries`` maps each key to its value, ``otherwise`` the rest."""

    table: str
    entries: tuple[tuple[Any, Any], ...]
    otherwise: Any
    has_otherwise: bool
    key: Expr
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Local:
    """A loop variable, a ``let`` or ``show`` of the enclosing block, or a record field
    inside a record's invariant."""

    name: str
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Derived:
    """A top-level ``let``: a fact derived from others, computed once per evaluation."""

    name: str
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class AsOf:
    """The ``as_of`` date of the evaluation; unknown when none was given."""

    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class CallFn:
    """A call of one of the language's functions."""

    function: str
    args: tuple[Expr, ...]
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Not:
    """Three-valued negation."""

    operand: Expr
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Negate:
    """Arithmetic negation."""

    operand: Expr
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Logic:
    """``and`` / ``or`` in Kleene's logic: a false (true) operand decides even when
    another is unknown."""

    op: str
    operands: tuple[Expr, ...]
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Compare:
    """``== != < <= > >=``; ``enum`` is set when ordered-enum members are compared."""

    op: str
    left: Expr
    right: Expr
    enum: EnumType | None
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Arith:
    """``+ - * /`` on numbers."""

    op: str
    left: Expr
    right: Expr
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Member:
    """``x in xs`` / ``x not in xs``."""

    element: Expr
    collection: Expr
    negated: bool
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Between:
    """``x in low .. high``, both bounds included."""

    operand: Expr
    low: Expr
    high: Expr
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class TestValue:
    """``is present`` / ``is absent`` (never unknown) and ``is none`` / ``is not none``."""

    operand: Expr
    test: str
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class MakeList:
    """A list built from expressions."""

    items: tuple[Expr, ...]
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class MakeRecord:
    """A record built from expressions."""

    items: tuple[tuple[str, Expr], ...]
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Quantify:
    """``each``/``any x in xs: condition``."""

    quantifier: str
    var: str
    iterable: Expr
    body: Expr
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Comprehension:
    """``[element for x in xs where condition]``."""

    element: Expr
    var: str
    iterable: Expr
    condition: Expr | None
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class IfElse:
    """``if c then a else b``; an unknown ``c`` gives the common value of both, if any."""

    condition: Expr
    then: Expr
    otherwise: Expr
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Interpolate:
    """A string with interpolated values, formatted per language when rendered."""

    parts: tuple[str | Expr, ...]
    type: Type
    span: Span = attrs.field(eq=False)


Expr = (
    Const
    | Param
    | Fact
    | GetField
    | GetItem
    | TableGet
    | Local
    | Derived
    | AsOf
    | CallFn
    | Not
    | Negate
    | Logic
    | Compare
    | Arith
    | Member
    | Between
    | TestValue
    | MakeList
    | MakeRecord
    | Quantify
    | Comprehension
    | IfElse
    | Interpolate
)


# ---- policy structure ----------------------------------------------------------------------


@attrs.frozen
class Message:
    """A bilingual message; each side may interpolate."""

    zh: Interpolate
    en: Interpolate


@attrs.frozen
class LetStmt:
    """``let`` (or, with ``shown``, ``show``) inside a block: computed when first needed."""

    name: str
    value: Expr
    shown: bool
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Requirement:
    """One requirement of a block and what each of its outcomes says.

    ``kind`` is ``"condition"`` (``require c``) or ``"step"`` (``require d by deadline``:
    a date of a step that is done when present). ``on_false`` is ``"fail"`` or
    ``"action"``; with ``until`` an action fails once ``as_of`` is past that date.
    """

    kind: str
    condition: Expr
    deadline: Expr | None
    when: Expr | None
    on_false: str
    until: Expr | None
    messages: tuple[tuple[str, Message], ...]
    span: Span = attrs.field(eq=False)

    def outcomes(self) -> tuple[str, ...]:
        """Every outcome this requirement can decide, ``pass`` and ``unknown`` included."""
        if self.kind == "step":
            return ("pass", "fail", "action", "unknown")
        if self.on_false == "action":
            if self.until is not None:
                return ("pass", "action", "fail", "unknown")
            return ("pass", "action", "unknown")
        return ("pass", "fail", "unknown")


@attrs.frozen
class ExceptionCase:
    """``exception outcome when condition``: beats the block's requirements."""

    outcome: str
    condition: Expr
    message: Message | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Block:
    """The statements of a rule or a child, sorted by kind (source order within a kind)."""

    title: Message | None
    lets: tuple[LetStmt, ...]
    exceptions: tuple[ExceptionCase, ...]
    requirements: tuple[Requirement, ...]
    children: tuple[Child, ...]
    pass_message: Message | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Child:
    """A child of a rule: one per element of ``iterable`` (``var`` bound), or one named."""

    name: str | None
    var: str | None
    iterable: Expr | None
    body: Block
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Rule:
    """A checked rule."""

    id: str
    cites: tuple[str, ...]
    note: Message | None
    body: Block
    span: Span = attrs.field(eq=False)

    @property
    def cite(self) -> str:
        """The clauses the rule implements, as the decision shows them."""
        return ", ".join(self.cites)

    @property
    def title(self) -> Message | None:
        """The rule's bilingual title."""
        return self.body.title


@attrs.frozen
class Clause:
    """A clause of the notice, with the parts of it that no machine can check."""

    id: str
    heading: str | None
    quote: str | None
    unchecked: tuple[Message, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Output:
    """A value reported beside the verdict (fees, committee, consequences, ...)."""

    name: str
    label: Message | None
    value: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class ParamInfo:
    """A parameter's folded value."""

    name: str
    value: Any
    type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class TableInfo:
    """A table's rows."""

    name: str
    key_type: Type
    entries: tuple[tuple[Any, Any], ...]
    otherwise: Any
    has_otherwise: bool
    value_type: Type
    span: Span = attrs.field(eq=False)


@attrs.frozen
class DerivedInfo:
    """A top-level ``let``."""

    name: str
    value: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class CheckedPolicy:
    """Everything the checker learnt about a policy; the input of the compiler."""

    id: str
    title: Message | None
    document: str | None
    issuer: str | None
    year: int | None
    filename: str
    source: str
    schema: RecordType
    key_field: str | None
    enums: tuple[EnumType, ...]
    params: tuple[ParamInfo, ...]
    tables: tuple[TableInfo, ...]
    derived: tuple[DerivedInfo, ...]
    clauses: tuple[Clause, ...]
    rules: tuple[Rule, ...]
    outputs: tuple[Output, ...]
    # A derived policy's ancestors, oldest first: (file name, text).
    inherited: tuple[tuple[str, str], ...] = ()


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of ``expr`` (for tools that walk the IR)."""
    out: list[Expr] = []
    for field in attrs.fields(type(expr)):
        if field.name in ("type", "span"):
            continue
        value = getattr(expr, field.name)
        if isinstance(value, tuple):
            for item in value:
                if isinstance(item, tuple):
                    out.extend(v for v in item if _is_expr(v))
                elif _is_expr(item):
                    out.append(item)
        elif _is_expr(value):
            out.append(value)
    return tuple(out)


def _is_expr(value: object) -> bool:
    return isinstance(value, _EXPR_TYPES)


_EXPR_TYPES = (
    Const,
    Param,
    Fact,
    GetField,
    GetItem,
    TableGet,
    Local,
    Derived,
    AsOf,
    CallFn,
    Not,
    Negate,
    Logic,
    Compare,
    Arith,
    Member,
    Between,
    TestValue,
    MakeList,
    MakeRecord,
    Quantify,
    Comprehension,
    IfElse,
    Interpolate,
)
