"""The types of the language: those of facts in the applicant document and of expressions.

Types are frozen values. The checker gives one to every expression; the validator reads
the fact schema (a :class:`RecordType`) to check and normalise applicant documents.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class BoolType:
    """``bool``."""

    def describe(self) -> str:
        """How the type reads in an error message."""
        return "bool"


@attrs.frozen
class IntegerType:
    """``integer``, optionally bounded (both bounds included)."""

    low: float | None = None
    high: float | None = None

    def describe(self) -> str:
        """How the type reads in an error message."""
        return "integer"


@attrs.frozen
class NumberType:
    """``number``: any finite number, optionally bounded (both bounds included)."""

    low: float | None = None
    high: float | None = None

    def describe(self) -> str:
        """How the type reads in an error message."""
        return "number"


@attrs.frozen
class StringType:
    """``string``."""

    def describe(self) -> str:
        """How the type reads in an error message."""
        return "string"


@attrs.frozen
class DateType:
    """``date``: an ISO ``YYYY-MM-DD`` calendar date."""

    def describe(self) -> str:
        """How the type reads in an error message."""
        return "date"


@attrs.frozen
class NoneType:
    """The type of the literal ``none``."""

    def describe(self) -> str:
        """How the type reads in an error message."""
        return "none"


@attrs.frozen
class AnyType:
    """Given to an expression that failed to check, so one mistake reports once."""

    def describe(self) -> str:
        """How the type reads in an error message."""
        return "any"


@attrs.frozen
class EnumType:
    """A declared enum; ``ordered`` ones compare by position, lowest first."""

    name: str
    members: tuple[str, ...]
    labels: tuple[str | None, ...]
    ordered: bool
    accepted: tuple[str, ...] | None = None

    def describe(self) -> str:
        """How the type reads in an error message."""
        if self.accepted is not None:
            return f"{self.name}({', '.join(self.accepted)})"
        return self.name

    @property
    def allowed(self) -> tuple[str, ...]:
        """The members a document may give: all, or those of a restriction."""
        return self.members if self.accepted is None else self.accepted

    def rank(self, member: str) -> int:
        """Position of ``member`` (0 is lowest)."""
        return self.members.index(member)

    def label(self, member: str) -> str:
        """The Chinese label of ``member``, or its name when it has none."""
        label = self.labels[self.members.index(member)]
        return label if label is not None else member


@attrs.frozen
class Field:
    """One field of a record: its type and what an absent key means; ``fixed`` marks fixed
    history (a past date, a finding) that explanations never suggest changing."""

    name: str
    type: Type
    default: Any = None
    has_default: bool = False
    is_key: bool = False
    fixed: bool = False


@attrs.frozen
class RecordType:
    """A JSON object with declared fields; ``invariant`` is checked IR over its fields."""

    name: str | None
    fields: tuple[Field, ...]
    invariant: Any = attrs.field(default=None, eq=False)
    invariant_text: str | None = attrs.field(default=None, eq=False)

    def describe(self) -> str:
        """How the type reads in an error message."""
        return self.name or "record"

    def field(self, name: str) -> Field | None:
        """The field called ``name``, if any."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        return None


@attrs.frozen
class ListType:
    """``list of T``; ``item`` is ``None`` only for the empty list literal ``[]``."""

    item: Type | None

    def describe(self) -> str:
        """How the type reads in an error message."""
        return f"list of {self.item.describe()}" if self.item else "empty list"


@attrs.frozen
class MapType:
    """``map year -> T``: keys are four-digit years, integers once read."""

    value: Type

    def describe(self) -> str:
        """How the type reads in an error message."""
        return f"map year -> {self.value.describe()}"


@attrs.frozen
class NullableType:
    """``nullable T``: ``null`` in the document is a known value, not an absent one."""

    inner: Type

    def describe(self) -> str:
        """How the type reads in an error message."""
        return f"nullable {self.inner.describe()}"


Type = (
    BoolType
    | IntegerType
    | NumberType
    | StringType
    | DateType
    | NoneType
    | AnyType
    | EnumType
    | RecordType
    | ListType
    | MapType
    | NullableType
)

BOOL = BoolType()
INTEGER = IntegerType()
NUMBER = NumberType()
STRING = StringType()
DATE = DateType()
NONE = NoneType()
ANY = AnyType()


def strip_nullable(t: Type) -> Type:
    """The type without its ``nullable``."""
    return t.inner if isinstance(t, NullableType) else t


def is_numeric(t: Type) -> bool:
    """Integer or number (a bounded one included)."""
    return isinstance(t, (IntegerType, NumberType, AnyType))


def same_kind(a: Type, b: Type) -> bool:
    """Whether values of ``a`` and ``b`` can be compared for equality or order."""
    a, b = strip_nullable(a), strip_nullable(b)
    if isinstance(a, AnyType) or isinstance(b, AnyType):
        return True
    if is_numeric(a) and is_numeric(b):
        return True
    if isinstance(a, NoneType) or isinstance(b, NoneType):
        return True
    if isinstance(a, EnumType) and isinstance(b, EnumType):
        return a.name == b.name
    if isinstance(a, ListType) and isinstance(b, ListType):
        return a.item is None or b.item is None or same_kind(a.item, b.item)
    if isinstance(a, RecordType) and isinstance(b, RecordType):
        return True
    return type(a) is type(b)


def assignable(value: Type, target: Type) -> bool:
    """Whether a value of type ``value`` may stand where ``target`` is expected."""
    if isinstance(value, AnyType) or isinstance(target, AnyType):
        return True
    if isinstance(target, NullableType):
        return isinstance(value, NoneType) or assignable(strip_nullable(value), target.inner)
    if isinstance(target, NumberType):
        return is_numeric(value)
    if isinstance(target, IntegerType):
        return isinstance(value, IntegerType)
    if isinstance(target, ListType):
        if not isinstance(value, ListType):
            return False
        return value.item is None or target.item is None or assignable(value.item, target.item)
    if isinstance(target, MapType):
        return isinstance(value, MapType) and assignable(value.value, target.value)
    if isinstance(target, RecordType):
        if not isinstance(value, RecordType):
            return False
        if target.name is not None and value.name == target.name:
            return True
        return all(
            (f := value.field(t.name)) is not None and assignable(f.type, t.type) for t in target.fields
        ) and len(value.fields) == len(target.fields)
    if isinstance(target, EnumType):
        return isinstance(value, EnumType) and value.name == target.name
    return type(value) is type(target)


def unify(a: Type, b: Type) -> Type | None:
    """The type both ``a`` and ``b`` fit, as for the branches of an ``if``; ``None`` if none."""
    if isinstance(a, AnyType):
        return b
    if isinstance(b, AnyType):
        return a
    if isinstance(a, NoneType):
        return b if isinstance(b, (NullableType, NoneType)) else NullableType(b)
    if isinstance(b, NoneType):
        return a if isinstance(a, NullableType) else NullableType(a)
    if is_numeric(a) and is_numeric(b):
        return INTEGER if isinstance(a, IntegerType) and isinstance(b, IntegerType) else NUMBER
    if isinstance(a, ListType) and isinstance(b, ListType):
        if a.item is None:
            return b
        if b.item is None:
            return a
        item = unify(a.item, b.item)
        return ListType(item) if item is not None else None
    if isinstance(a, NullableType) or isinstance(b, NullableType):
        inner = unify(strip_nullable(a), strip_nullable(b))
        return NullableType(inner) if inner is not None else None
    if isinstance(a, RecordType) and isinstance(b, RecordType):
        return _unify_records(a, b)
    if assignable(a, b):
        return b
    if assignable(b, a):
        return a
    return None


def _unify_records(a: RecordType, b: RecordType) -> RecordType | None:
    """Records of different shapes unify to one with every field of both: a field the
    other side lacks simply reads as absent there (e.g. a fee table whose intermediate
    row has a recommendation fee and whose junior row does not)."""
    fields: list[Field] = []
    for field in a.fields:
        other = b.field(field.name)
        if other is None:
            fields.append(field)
            continue
        merged = unify(field.type, other.type)
        if merged is None:
            return None
        fields.append(Field(field.name, merged))
    fields.extend(f for f in b.fields if a.field(f.name) is None)
    return RecordType(a.name if a.name == b.name else None, tuple(fields))
