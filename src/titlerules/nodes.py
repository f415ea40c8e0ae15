"""The abstract syntax tree of a policy.

Every node is a frozen attrs value carrying the :class:`Span` of source text it was
parsed from, so that the checker and the evaluator can point back at the policy. The
parser builds these nodes; nothing after the parser ever sees a Lark tree.
"""

from __future__ import annotations

import datetime

import attrs


@attrs.frozen
class Span:
    """A region of a policy source: 1-based line and column of its start and end."""

    line: int
    column: int
    end_line: int
    end_column: int
    # The file the span is in, when it is not the policy's own (a derived policy's parent).
    file: str | None = attrs.field(default=None, eq=False)


NO_SPAN = Span(0, 0, 0, 0)


@attrs.frozen
class Text:
    """A bilingual piece of text: Chinese first, then English. Either may interpolate."""

    zh: Template
    en: Template
    span: Span = attrs.field(eq=False)


# ---- expressions -------------------------------------------------------------------


@attrs.frozen
class Literal:
    """A constant written in the policy: integer, decimal, string, date, bool or none."""

    value: int | float | str | bool | datetime.date | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Template:
    """A string literal with ``{expression}`` parts interpolated."""

    parts: tuple[str | Expr, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Name:
    """A bare name: a fact, parameter, table, derived fact, local or enum member."""

    name: str
    span: Span = attrs.field(eq=False)


@attrs.frozen
class FieldAccess:
    """``obj.field``."""

    obj: Expr
    name: str
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Index:
    """``obj[key]``: a year of a map, an entry of a table, an element of a list."""

    obj: Expr
    key: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Call:
    """``function(arguments)``; only the language's own functions exist."""

    function: str
    args: tuple[Expr, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Unary:
    """``not x`` or ``-x``."""

    op: str
    operand: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Binary:
    """Arithmetic (``+ - * /``), comparison (``== != < <= > >=``) or membership (``in``)."""

    op: str
    left: Expr
    right: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Logical:
    """``a and b and ...`` or ``a or b or ...``, in Kleene's three-valued logic."""

    op: str
    operands: tuple[Expr, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class InRange:
    """``x in low .. high``, both bounds included."""

    operand: Expr
    low: Expr
    high: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Test:
    """``x is present``, ``x is absent``, ``x is none``, ``x is not none``."""

    operand: Expr
    test: str
    span: Span = attrs.field(eq=False)


@attrs.frozen
class ListExpr:
    """``[a, b, c]``."""

    items: tuple[Expr, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class RecordExpr:
    """``{name: value, ...}``."""

    items: tuple[tuple[str, Expr], ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Quantified:
    """``each``, ``any`` or ``no x in xs: condition``."""

    quantifier: str
    var: str
    iterable: Expr
    body: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Comprehension:
    """``[element for x in xs where condition]``: a list built from another."""

    element: Expr
    var: str
    iterable: Expr
    condition: Expr | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Conditional:
    """``if condition then a else b``."""

    condition: Expr
    then: Expr
    otherwise: Expr
    span: Span = attrs.field(eq=False)


Expr = (
    Literal
    | Template
    | Name
    | FieldAccess
    | Index
    | Call
    | Unary
    | Binary
    | Logical
    | InRange
    | Test
    | ListExpr
    | RecordExpr
    | Quantified
    | Comprehension
    | Conditional
)


# ---- types of the fact schema ---------------------------------------------------------


@attrs.frozen
class PrimitiveTypeExpr:
    """``bool``, ``integer``, ``number``, ``string`` or ``date``, numbers optionally bounded."""

    name: str
    low: Expr | None
    high: Expr | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class NamedTypeExpr:
    """A reference to an ``enum`` or ``type`` declared in the policy; ``members``
    restricts an enum to some of its members, as in ``Level(junior, assistant)``."""

    name: str
    members: tuple[str, ...] | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class RecordTypeExpr:
    """``{ field: type ... } where invariant``."""

    fields: tuple[FieldDecl, ...]
    invariant: Expr | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class ListTypeExpr:
    """``list of T``."""

    item: TypeExpr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class MapTypeExpr:
    """``map year -> T``: a JSON object keyed by four-digit years."""

    value: TypeExpr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class NullableTypeExpr:
    """``nullable T``: ``null`` is a known value ("holds none"), unlike an absent key."""

    inner: TypeExpr
    span: Span = attrs.field(eq=False)


TypeExpr = PrimitiveTypeExpr | NamedTypeExpr | RecordTypeExpr | ListTypeExpr | MapTypeExpr | NullableTypeExpr


@attrs.frozen
class FieldDecl:
    """One key of the applicant document: its type, default, whether it is the key, and
    whether it is fixed history (``fixed``: no explanation suggests changing it)."""

    name: str
    type: TypeExpr
    default: Expr | None
    is_key: bool
    span: Span = attrs.field(eq=False)
    fixed: bool = False


# ---- declarations -------------------------------------------------------------------------


@attrs.frozen
class PolicyHeader:
    """``policy "id" { title ... document ... issuer ... year ... }``."""

    id: str
    title: Text | None
    document: str | None
    issuer: str | None
    year: int | None
    span: Span = attrs.field(eq=False)
    extends: str | None = None


@attrs.frozen
class EnumMember:
    """One value of an enum, with its Chinese label."""

    name: str
    label: str | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class EnumDecl:
    """``enum Name [ordered] { member "标签" ... }``; ordered enums list lowest first."""

    name: str
    ordered: bool
    members: tuple[EnumMember, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class TypeDecl:
    """``type Name = type``: a name for a record or a restricted enum."""

    name: str
    type: TypeExpr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class FactsDecl:
    """``facts { fields }``: the schema of the applicant document."""

    fields: tuple[FieldDecl, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class ParamDecl:
    """``param name = constant``."""

    name: str
    value: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class TableEntry:
    """One row of a table."""

    key: str | int
    key_is_name: bool
    value: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class TableDecl:
    """``table name by KeyType { key: value ... [else value] }``."""

    name: str
    key_type: TypeExpr
    entries: tuple[TableEntry, ...]
    otherwise: Expr | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class LetDecl:
    """``let name = expression``: a fact derived from other facts, or a local in a rule."""

    name: str
    value: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class ClauseDecl:
    """A clause of the notice: its number, heading, quoted text and unchecked parts."""

    id: str
    heading: str | None
    quote: str | None
    unchecked: tuple[Text, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class OutputDecl:
    """``output name [label] = expression``: a value reported beside the verdict."""

    name: str
    label: Text | None
    value: Expr
    span: Span = attrs.field(eq=False)


# ---- rules ------------------------------------------------------------------------------


@attrs.frozen
class ShowStmt:
    """``show name = expression``: a computed value reported in the finding's facts."""

    name: str
    value: Expr
    span: Span = attrs.field(eq=False)


@attrs.frozen
class OutcomeMessage:
    """A message a statement gives when it decides the given outcome."""

    outcome: str
    text: Text
    span: Span = attrs.field(eq=False)


@attrs.frozen
class RequireStmt:
    """A requirement: ``require cond [by deadline] [when guard] [else action [until d]]``."""

    condition: Expr
    by: Expr | None
    when: Expr | None
    else_action: bool
    until: Expr | None
    messages: tuple[OutcomeMessage, ...]
    span: Span = attrs.field(eq=False)


@attrs.frozen
class ExceptionStmt:
    """``exception outcome when condition``: beats every requirement of its block."""

    outcome: str
    condition: Expr
    message: Text | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class Block:
    """The statements of a rule or of one of its children."""

    title: Text | None
    statements: tuple[Statement, ...]
    pass_message: Text | None
    span: Span = attrs.field(eq=False)


@attrs.frozen
class EachChild:
    """``each x in xs { ... }``: one child finding per element (e.g. per required year)."""

    var: str
    iterable: Expr
    body: Block
    span: Span = attrs.field(eq=False)


@attrs.frozen
class NamedChild:
    """``child name { ... }``: one named child finding (e.g. one step)."""

    name: str
    body: Block
    span: Span = attrs.field(eq=False)


Statement = LetDecl | ShowStmt | RequireStmt | ExceptionStmt | EachChild | NamedChild


@attrs.frozen
class RuleDecl:
    """``rule id { cite ... title ... note ... statements }``."""

    id: str
    cites: tuple[str, ...]
    note: Text | None
    body: Block
    span: Span = attrs.field(eq=False)
    cite_spans: tuple[Span, ...] = attrs.field(eq=False)


@attrs.frozen
class MessageOverride:
    """One message a derived policy gives anew: ``note``, ``title``, ``pass``,
    ``exception <outcome>`` or a requirement's ``fail``/``action``/``unknown``."""

    kind: str  # note | title | pass | exception | require
    outcome: str | None
    text: Text
    span: Span = attrs.field(eq=False)


@attrs.frozen
class MessagesDecl:
    """``messages rule[.child...] { ... }``: new messages for a rule of the parent policy."""

    target: tuple[str, ...]
    overrides: tuple[MessageOverride, ...]
    span: Span = attrs.field(eq=False)


Declaration = (
    PolicyHeader
    | EnumDecl
    | TypeDecl
    | FactsDecl
    | ParamDecl
    | TableDecl
    | LetDecl
    | ClauseDecl
    | RuleDecl
    | OutputDecl
    | MessagesDecl
)


@attrs.frozen
class PolicyFile:
    """A parsed .policy file: its declarations in source order."""

    filename: str
    declarations: tuple[Declaration, ...]
