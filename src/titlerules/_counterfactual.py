"""Working a policy's checked IR backwards against one applicant's document.

:class:`Analyzer` evaluates IR expressions on the document as changes would leave it.
:class:`Repairer` finds changes that give a condition the wanted value: a threshold moves
one fact of a sum by what is short, a membership offers the list, an ordered enum moves
to the nearest member, ``each``/``no`` are met item by item (or an item is left out), and
a condition no algebra inverts (``workdays(...)``) is searched. :class:`BlockRepairer`
does it for a rule or child: its exceptions, requirements (steps, deadlines) and children.
Facts the policy marks ``fixed``, records holding them and dates already past are never
changed; where nothing can help, :class:`Obstacle` says why. :mod:`titlerules.explain`
verifies what this module proposes by evaluating the changed document.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import attrs

from . import ir
from . import valuetypes as t
from ._interpret import Interpreter
from .decision import Decision, Finding, Message
from .errors import TitlerulesError
from .nodes import Span
from .runtime import UNKNOWN, path_text, to_json

if TYPE_CHECKING:
    from .policy import Policy

Path = tuple[str | int, ...]

# How many alternative changes are kept while combining conditions.
_MAX_ALTERNATIVES = 6
# How far a line search goes (in days or units) before it gives up.
_SEARCH_LIMIT = 1 << 20


class _Removed:
    """The value of a list element that a change removes."""

    def __repr__(self) -> str:
        return "REMOVED"


class _Supplied:
    """The value of a fact that a change supplies without saying which (a step's date)."""

    def __repr__(self) -> str:
        return "SUPPLIED"


REMOVED = _Removed()
SUPPLIED = _Supplied()


@attrs.frozen
class Change:
    """One change to the applicant's facts: ``path`` from ``before`` to ``after``.

    ``kind`` is ``set`` (a new value), ``remove`` (drop a list element) or ``supply`` (give
    a fact that is absent: the date of a step, due ``by`` its deadline).
    """

    path: str
    before: Any
    after: Any
    kind: str = "set"
    by: datetime.date | None = None
    choices: tuple[Any, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The change as JSON."""
        out: dict[str, Any] = {"path": self.path, "kind": self.kind, "from": to_json(self.before)}
        out["to"] = None if self.kind != "set" else to_json(self.after)
        if self.by is not None:
            out["by"] = self.by.isoformat()
        if self.choices:
            out["choices"] = [to_json(c) for c in self.choices]
        return out

    def text(self, lang: str = "en") -> str:
        """``continuing_education.2020.professional: 48 -> 60``."""
        before = _show(self.before, lang)
        if self.kind == "remove":
            return f"{self.path}: {before} -> " + ("（删除）" if lang == "zh" else "(remove)")
        if self.kind == "supply":
            due = f" ≤ {self.by.isoformat()}" if self.by else ""
            return f"{self.path}: {before} -> " + (f"（补充{due}）" if lang == "zh" else f"(give{due})")
        after = _show(self.after, lang)
        if self.choices and len(self.choices) > 1:
            shown = ", ".join(_show(c, lang) for c in self.choices[:4])
            more = ", …" if len(self.choices) > 4 else ""
            after = ("之一：" if lang == "zh" else "one of ") + shown + more
        return f"{self.path}: {before} -> {after}"


def _show(value: Any, lang: str) -> str:
    if value is UNKNOWN:
        return "（无）" if lang == "zh" else "(none)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(to_json(value), ensure_ascii=False)
    return str(value)


@attrs.frozen
class Obstacle:
    """Why no change can help: a fixed fact, a passed deadline, or a condition that cannot
    be worked backwards. ``condition`` is the policy text that decided."""

    kind: str
    condition: str
    facts: tuple[tuple[str, Any], ...]
    deadline: datetime.date | None
    message: Message

    def to_dict(self) -> dict[str, Any]:
        """The obstacle as JSON."""
        return {
            "kind": self.kind,
            "condition": self.condition,
            "facts": {path: to_json(value) for path, value in self.facts},
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "message": self.message.to_dict(),
        }


# ---- paths in the document ---------------------------------------------------------------------


def parse_path(schema: t.RecordType, text: str) -> tuple[Path, t.Type, bool] | None:
    """A key path's components (years and indices as integers), its type and whether it is
    fixed history; ``None`` when the schema has no such path."""
    parts: list[str | int] = []
    kind: t.Type = schema
    fixed = False
    for raw in text.split(".") if text else []:
        kind = t.strip_nullable(kind)
        if isinstance(kind, t.RecordType):
            field = kind.field(raw)
            if field is None:
                return None
            parts.append(raw)
            fixed = fixed or field.fixed
            kind = field.type
        elif isinstance(kind, (t.MapType, t.ListType)) and raw.isdigit():
            parts.append(int(raw))
            item = kind.value if isinstance(kind, t.MapType) else kind.item
            kind = item or t.ANY
        else:
            return None
    return tuple(parts), kind, fixed


def _type_and_fixed(schema: t.RecordType, path: Path) -> tuple[t.Type, bool]:
    parsed = parse_path(schema, path_text(path))
    return (parsed[1], parsed[2]) if parsed else (t.ANY, False)


def _container_kinds(schema: t.RecordType, path: Path) -> list[t.Type]:
    """The type of each container along ``path`` (the document first)."""
    kinds: list[t.Type] = []
    kind: t.Type = schema
    for part in path:
        kind = t.strip_nullable(kind)
        kinds.append(kind)
        if isinstance(kind, t.RecordType) and isinstance(part, str):
            field = kind.field(part)
            kind = field.type if field else t.ANY
        elif isinstance(kind, t.MapType):
            kind = kind.value
        elif isinstance(kind, t.ListType):
            kind = kind.item or t.ANY
        else:
            kind = t.ANY
    return kinds


def _set(doc: Any, path: Path, value: Any, schema: t.RecordType, as_json: bool) -> bool:
    """Set ``path`` in ``doc`` (JSON keys for maps when ``as_json``); False if it cannot be."""
    kinds = _container_kinds(schema, path)
    node = doc
    for i, part in enumerate(path[:-1]):
        key: Any = str(part) if as_json and isinstance(kinds[i], t.MapType) else part
        if isinstance(node, list):
            if not isinstance(key, int) or not 0 <= key < len(node):
                return False
            node = node[key]
            continue
        if not isinstance(node, dict):
            return False
        child = node.get(key)
        if child is None:
            child = {}
            node[key] = child
        node = child
    last: Any = path[-1]
    if as_json and isinstance(kinds[-1], t.MapType):
        last = str(last)
    if isinstance(node, list):
        if not isinstance(last, int) or not 0 <= last < len(node):
            return False
        if value is REMOVED:
            del node[last]
        else:
            node[last] = value
        return True
    if not isinstance(node, dict):
        return False
    if value is REMOVED or value is UNKNOWN:
        node.pop(last, None)
    else:
        node[last] = value
    return True


def _json_value(value: Any) -> Any:
    if value is REMOVED:
        return REMOVED
    return to_json(value)


def apply_changes(document: Any, changes: Sequence[Change], schema: t.RecordType, as_json: bool = True) -> Any:
    """A copy of ``document`` with ``changes`` made (removals last, highest index first);
    ``None`` when a change cannot be made or supplies no value."""
    # A normalised document holds lists as tuples: thaw them to change, freeze them after.
    doc = copy.deepcopy(document) if as_json else _thaw(document)
    ordered = sorted(changes, key=lambda c: (c.kind == "remove", _removal_order(c.path)))
    for change in ordered:
        if change.kind == "supply":
            return None
        parsed = parse_path(schema, change.path)
        if parsed is None:
            return None
        value = REMOVED if change.kind == "remove" else change.after
        if not _set(doc, parsed[0], _json_value(value) if as_json else value, schema, as_json):
            return None
    return doc if as_json else _freeze(doc)


def _thaw(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_thaw(v) for v in value]
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _freeze(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _removal_order(path: str) -> tuple[int, ...]:
    # Higher indices first, so earlier removals do not shift later ones.
    return tuple(-int(p) for p in path.split(".") if p.isdigit())


# ---- evaluating IR under a hypothetical document -------------------------------------------------


@attrs.frozen
class _Binding:
    """A name bound in a block: a ``let`` (its IR) or a loop variable (its value, and the
    key path of that value in the document when it is read from there)."""

    expr: ir.Expr | None
    value: Any
    path: Path | None = None


Env = tuple[tuple[str, _Binding], ...]


class Analyzer:
    """Works one policy's IR backwards against one document."""

    def __init__(self, policy: Policy, document: Any, decision: Decision) -> None:
        self.policy = policy
        self.checked = policy.checked
        self.schema = policy.checked.schema
        self.raw = document
        self.decision = decision
        self.as_of = decision.as_of
        self.normalised, _ = policy.validator.validate(document)
        self.lines = policy.checked.source.splitlines()
        self.derived = {d.name: d.value for d in policy.checked.derived}
        self._evaluated: dict[str, Decision | None] = {}

    # -- evaluation -----------------------------------------------------------------------

    def eval(self, expr: ir.Expr, env: Env, doc: dict[str, Any]) -> Any:
        """The value of ``expr`` on ``doc`` under ``env``. A value that cannot be computed on
        a changed document (a date beyond the official calendar, a division by zero) is
        unknown: that change is simply not one that helps."""
        interpreter = Interpreter(doc, self.as_of, self.derived)
        try:
            return interpreter.value(expr, _locals(interpreter, env))
        except TitlerulesError:
            return UNKNOWN

    def reevaluate(self, changes: Sequence[Change]) -> Decision | None:
        """The decision on the document with ``changes`` made, through the public API."""
        key = repr(sorted((c.path, c.kind, repr(c.after)) for c in changes))
        if key in self._evaluated:
            return self._evaluated[key]
        changed = apply_changes(self.raw, changes, self.schema)
        result: Decision | None = None
        if changed is not None:
            try:
                result = self.policy.evaluate(changed, as_of=self.as_of)
            except TitlerulesError:
                result = None
        self._evaluated[key] = result
        return result

    def source(self, span: Span) -> str:
        if not span.line or span.line > len(self.lines):
            return ""
        if span.line == span.end_line:
            return self.lines[span.line - 1][span.column - 1 : span.end_column - 1]
        text = [self.lines[span.line - 1][span.column - 1 :]]
        text += [self.lines[i - 1].strip() for i in range(span.line + 1, span.end_line)]
        text.append(self.lines[span.end_line - 1][: span.end_column - 1].strip())
        return " ".join(part.strip() for part in text)

    # -- leaves: the facts an expression reads ---------------------------------------------------

    def path(self, expr: ir.Expr, env: Env, doc: dict[str, Any]) -> Path | None:
        if isinstance(expr, ir.Fact):
            return (expr.name,)
        if isinstance(expr, ir.GetField):
            base = self.path(expr.obj, env, doc)
            return (*base, expr.name) if base is not None else None
        if isinstance(expr, ir.GetItem):
            base = self.path(expr.obj, env, doc)
            key = self.eval(expr.key, env, doc)
            if base is None or key is UNKNOWN or not isinstance(key, int):
                return None
            return (*base, key)
        if isinstance(expr, ir.Local):
            binding = _lookup(env, expr.name)
            if binding is None:
                return None
            if binding.expr is not None:
                return self.path(binding.expr, env, doc)
            return binding.path
        if isinstance(expr, ir.Derived):
            return self.path(self.derived[expr.name], env, doc)
        return None

    def leaves(self, expr: ir.Expr, env: Env, doc: dict[str, Any]) -> list[tuple[ir.Expr, Path]]:
        """The document leaves ``expr`` reads, through lets, in order, without repeats."""
        found: list[tuple[ir.Expr, Path]] = []
        seen: set[Path] = set()

        def walk(e: ir.Expr) -> None:
            path = self.path(e, env, doc)
            if path is not None and not _is_container(e.type):
                if path not in seen:
                    seen.add(path)
                    found.append((e, path))
                return
            if isinstance(e, ir.Local):
                binding = _lookup(env, e.name)
                if binding is not None and binding.expr is not None:
                    walk(binding.expr)
                return
            if isinstance(e, ir.Derived):
                walk(self.derived[e.name])
                return
            if isinstance(e, (ir.Quantify, ir.Comprehension)):
                walk(e.iterable)
                return
            for child in ir.children(e):
                walk(child)

        walk(expr)
        return found

    def items(self, iterable: ir.Expr, env: Env, doc: dict[str, Any]) -> list[tuple[int, Any, Path | None]] | None:
        """The elements of a list expression with the key path of each (``None`` for a list
        the policy builds), or ``None`` when the list is unknown."""
        values = self.eval(iterable, env, doc)
        if values is UNKNOWN or values is None:
            return None
        path = self.path(iterable, env, doc)
        return [(i, item, (*path, i) if path is not None else None) for i, item in enumerate(values)]

    def operands(self, atom: ir.Expr, env: Env, doc: dict[str, Any]) -> str:
        """The values a comparison compared, as in ``2021 in 2020 .. 2022``."""

        def shown(e: ir.Expr) -> str:
            value = self.eval(e, env, doc)
            if isinstance(value, tuple):
                items = [_show(v, "en") for v in value[:5]]
                return "[" + ", ".join(items) + (", …" if len(value) > 5 else "") + "]"
            return _show(value, "en")

        if isinstance(atom, ir.Compare):
            return f"{shown(atom.left)} {atom.op} {shown(atom.right)}"
        if isinstance(atom, ir.Between):
            return f"{shown(atom.operand)} in {shown(atom.low)} .. {shown(atom.high)}"
        if isinstance(atom, ir.Member):
            return f"{shown(atom.element)} {'not in' if atom.negated else 'in'} {shown(atom.collection)}"
        return ""

    def fixed(self, path: Path) -> bool:
        """Whether no change may touch ``path``: it is marked ``fixed``, holds a fixed field
        (a record with fixed history is never dropped), or is a date already past."""
        kind, fixed = _type_and_fixed(self.schema, path)
        if fixed or _holds_fixed(kind):
            return True
        value = self.value_at(path, self.normalised)
        return isinstance(value, datetime.date) and self.as_of is not None and value < self.as_of

    def allowed(self, value: Any, kind: t.Type) -> bool:
        """Whether a change may set a fact of type ``kind`` to ``value``: it fits the type,
        and a date is not in the past (nothing can now be done before ``as_of``)."""
        if not _fits(value, kind):
            return False
        return not (isinstance(value, datetime.date) and self.as_of is not None and value < self.as_of)

    def value_at(self, path: Path, doc: dict[str, Any]) -> Any:
        """The value at ``path`` as the evaluator reads it: a field's default when absent."""
        node: Any = doc
        for part in path:
            if isinstance(node, dict):
                node = node.get(part, UNKNOWN)
            elif isinstance(node, (list, tuple)) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                node = UNKNOWN
            if node is UNKNOWN:
                return _default_of(self.schema, path)
        return node


def _default_of(schema: t.RecordType, path: Path) -> Any:
    """The default of the field at ``path`` (an absent record reads as all defaults)."""
    kind: t.Type = schema
    field: t.Field | None = None
    for part in path:
        kind = t.strip_nullable(kind)
        if not isinstance(kind, t.RecordType) or not isinstance(part, str):
            return UNKNOWN
        field = kind.field(part)
        if field is None:
            return UNKNOWN
        kind = field.type
    return field.default if field is not None and field.has_default else UNKNOWN


def _locals(interpreter: Interpreter, env: Env) -> Callable[[str], Any]:
    """The values of the names bound in ``env``: a ``let`` is evaluated under the bindings
    made before it."""

    def lookup(name: str) -> Any:
        for index in range(len(env) - 1, -1, -1):
            bound, binding = env[index]
            if bound == name:
                if binding.expr is None:
                    return binding.value
                return interpreter.value(binding.expr, _locals(interpreter, env[:index]))
        raise KeyError(name)

    return lookup


def _lookup(env: Env, name: str) -> _Binding | None:
    for bound, binding in reversed(env):
        if bound == name:
            return binding
    return None


def _holds_fixed(kind: t.Type, seen: frozenset[int] = frozenset()) -> bool:
    kind = t.strip_nullable(kind)
    if id(kind) in seen:
        return False
    seen = seen | {id(kind)}
    if isinstance(kind, t.RecordType):
        return any(f.fixed or _holds_fixed(f.type, seen) for f in kind.fields)
    if isinstance(kind, t.ListType) and kind.item is not None:
        return _holds_fixed(kind.item, seen)
    if isinstance(kind, t.MapType):
        return _holds_fixed(kind.value, seen)
    return False


def _is_container(type_: t.Type) -> bool:
    return isinstance(t.strip_nullable(type_), (t.RecordType, t.ListType, t.MapType))


def _apply_normalised(analyzer: Analyzer, doc: dict[str, Any], changes: Sequence[Change]) -> dict[str, Any]:
    changed = apply_changes(doc, [c for c in changes if c.kind != "supply"], analyzer.schema, as_json=False)
    return changed if changed is not None else doc


# ---- working a condition backwards ---------------------------------------------------------------

Alternative = tuple[Change, ...]
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


class Repairer:
    """Finds changes that give a boolean expression the wanted value."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.a = analyzer
        self.obstacles: list[Obstacle] = []

    # Entry point: alternatives (each a tuple of changes); [()] if already as wanted, [] if
    # no change can make it so (the reasons are in self.obstacles).
    def repair(self, expr: ir.Expr, want: bool, env: Env, doc: dict[str, Any]) -> list[Alternative]:
        value = self.a.eval(expr, env, doc)
        if value is want:
            return [()]
        if value is UNKNOWN:
            # Unknown is not a failure to repair: the missing facts are reported instead.
            return [()]
        if isinstance(expr, ir.Not):
            return self.repair(expr.operand, not want, env, doc)
        if isinstance(expr, ir.Local):
            binding = _lookup(env, expr.name)
            if binding is not None and binding.expr is not None:
                return self.repair(binding.expr, want, env, doc)
        if isinstance(expr, ir.Derived):
            return self.repair(self.a.derived[expr.name], want, env, doc)
        if isinstance(expr, ir.Logic):
            every = (expr.op == "and") == want
            if every:
                return self.all_of([(o, want) for o in expr.operands], env, doc)
            return self.any_of([(o, want) for o in expr.operands], env, doc)
        if isinstance(expr, ir.Quantify):
            return self.quantified(expr, want, env, doc)
        if isinstance(expr, ir.Compare):
            return self.compare(expr, want, env, doc)
        if isinstance(expr, ir.Member):
            return self.member(expr, want, env, doc)
        if isinstance(expr, ir.TestValue):
            return self.test(expr, want, env, doc)
        leaf = self.a.path(expr, env, doc)
        if leaf is not None and isinstance(t.strip_nullable(expr.type), t.BoolType):
            return self.set_leaf(expr, leaf, [want], expr, want, env, doc)
        return self.search(expr, want, env, doc)

    def all_of(self, parts: list[tuple[ir.Expr, bool]], env: Env, doc: dict[str, Any]) -> list[Alternative]:
        """Every part as wanted: the most specific parts (fewest facts) are repaired first,
        each under the changes already chosen, so thresholds nest into the smallest total."""
        ordered = sorted(parts, key=lambda p: len(self.a.leaves(p[0], env, doc)))
        alternatives: list[Alternative] = [()]
        for part, want in ordered:
            alternatives = _then(self.a, doc, alternatives, partial(self.repair, part, want, env))
        return alternatives

    def any_of(self, parts: list[tuple[ir.Expr, bool]], env: Env, doc: dict[str, Any]) -> list[Alternative]:
        found: list[Alternative] = []
        for part, want in parts:
            found.extend(self.repair(part, want, env, doc))
        return _cheapest(found)

    # -- quantifiers ------------------------------------------------------------------------------

    def quantified(self, expr: ir.Quantify, want: bool, env: Env, doc: dict[str, Any]) -> list[Alternative]:
        items = self.a.items(expr.iterable, env, doc)
        if items is None:
            return [()]
        # each/no: every item's body must be true/false; any: some item's. Wanting the
        # opposite swaps "every" for "some".
        body_want = (not want) if expr.quantifier == "no" else want
        every = (expr.quantifier in ("each", "no")) == want
        removable = self.removable(expr.iterable, env, doc)
        per_item: list[list[Alternative]] = []
        for _, item, item_path in items:
            inner = (*env, (expr.var, _Binding(None, item, item_path)))
            if self.a.eval(expr.body, inner, doc) is body_want:
                continue
            options = list(self.repair(expr.body, body_want, inner, doc))
            if every and removable and item_path is not None:
                # An item that breaks "each"/"no" can also be left out of the application.
                options.append((Change(path_text(item_path), item, REMOVED, "remove"),))
            elif every and item_path is not None and not removable:
                self.note_fixed(expr, [(item_path, item)], env)
            per_item.append(options)
        if every:
            alternatives: list[Alternative] = [()]
            for options in per_item:
                alternatives = _cheapest([merge(a, o) for a in alternatives for o in options])
                if not alternatives:
                    return []
            return alternatives
        return _cheapest([o for options in per_item for o in options])

    def removable(self, iterable: ir.Expr, env: Env, doc: dict[str, Any]) -> bool:
        path = self.a.path(iterable, env, doc)
        if path is None or not isinstance(t.strip_nullable(iterable.type), t.ListType):
            return False
        # Leaving an item out of the application is allowed unless the list itself is fixed,
        # even when the facts of each item are fixed history.
        return not _type_and_fixed(self.a.schema, path)[1]

    # -- atoms --------------------------------------------------------------------------------------

    def compare(self, expr: ir.Compare, want: bool, env: Env, doc: dict[str, Any]) -> list[Alternative]:
        op = expr.op if want else _NEGATE[expr.op]
        found: list[Alternative] = []
        blocked: list[tuple[Path, Any]] = []
        for side, other, side_op in ((expr.left, expr.right, op), (expr.right, expr.left, _FLIP[op])):
            other_value = self.a.eval(other, env, doc)
            terms = self.terms(side, env, doc)
            if terms is None:
                continue
            side_value = self.a.eval(side, env, doc)
            for sign, _, path in terms:
                current = self.a.value_at(path, doc)
                if self.a.fixed(path):
                    blocked.append((path, current))
                    continue
                targets = self.targets(path, current, side_value, sign, side_op, other_value)
                found.extend(self.try_targets(path, current, targets, expr, want, env, doc))
        if found:
            return _cheapest(found)
        searched = self.search(expr, want, env, doc, record=False)
        if searched:
            return searched
        self.note(expr, blocked, env, doc)
        return []

    def terms(self, expr: ir.Expr, env: Env, doc: dict[str, Any]) -> list[tuple[int, ir.Expr, Path]] | None:
        """``expr`` as a signed sum of document leaves (plus constants), or ``None``."""
        path = self.a.path(expr, env, doc)
        if path is not None and not _is_container(expr.type):
            return [(1, expr, path)]
        if isinstance(expr, ir.Local):
            binding = _lookup(env, expr.name)
            if binding is not None and binding.expr is not None:
                return self.terms(binding.expr, env, doc)
            return []
        if isinstance(expr, ir.Derived):
            return self.terms(self.a.derived[expr.name], env, doc)
        if isinstance(expr, (ir.Const, ir.Param)):
            return []
        if isinstance(expr, ir.Arith) and expr.op in "+-":
            left, right = self.terms(expr.left, env, doc), self.terms(expr.right, env, doc)
            if left is None or right is None:
                return None
            sign = 1 if expr.op == "+" else -1
            return left + [(s * sign, leaf, p) for s, leaf, p in right]
        if isinstance(expr, ir.Negate):
            inner = self.terms(expr.operand, env, doc)
            return None if inner is None else [(-s, leaf, p) for s, leaf, p in inner]
        if not self.a.leaves(expr, env, doc):
            return []
        return None

    def targets(
        self,
        path: Path,
        current: Any,
        side_value: Any,
        sign: int,
        op: str,
        other: Any,
    ) -> list[Any]:
        """Values for the fact at ``path`` (now ``current``) that make ``side op other``
        hold, where the fact is one term (of sign ``sign``) of ``side``; nearest first."""
        kind = t.strip_nullable(_type_and_fixed(self.a.schema, path)[0])
        if isinstance(kind, t.EnumType):
            allowed = list(kind.allowed)
            if isinstance(current, str) and current in kind.members:
                here = kind.rank(current)
                allowed.sort(key=lambda m: (abs(kind.rank(m) - here), kind.rank(m)))
            return [m for m in allowed if m != current]
        if isinstance(kind, t.BoolType):
            return [not current] if isinstance(current, bool) else [True, False]
        if isinstance(kind, t.StringType):
            return [other] if op == "==" and isinstance(other, str) else []
        if side_value is UNKNOWN or other is UNKNOWN or other is None:
            return []
        if isinstance(kind, t.DateType) and isinstance(side_value, datetime.date):
            gap = (other - side_value).days
            step = 1
            need = {">=": gap, ">": gap + step, "<=": gap, "<": gap - step, "==": gap, "!=": step}[op]
            return [current + datetime.timedelta(days=need * sign)] if isinstance(current, datetime.date) else []
        if isinstance(kind, (t.IntegerType, t.NumberType)) and isinstance(side_value, (int, float)):
            gap = other - side_value
            need = {">=": gap, ">": gap + 1, "<=": gap, "<": gap - 1, "==": gap, "!=": 1}[op]
            value = current + need * sign if isinstance(current, (int, float)) else None
            if value is None:
                return []
            if isinstance(kind, t.IntegerType) and not float(value).is_integer():
                value = math.ceil(value) if need * sign > 0 else math.floor(value)
            if isinstance(value, float) and value.is_integer() and isinstance(current, int):
                value = int(value)
            return [value]
        return []

    def try_targets(
        self,
        path: Path,
        current: Any,
        targets: list[Any],
        atom: ir.Expr,
        want: bool,
        env: Env,
        doc: dict[str, Any],
    ) -> list[Alternative]:
        kind, _ = _type_and_fixed(self.a.schema, path)
        for target in targets:
            if not self.a.allowed(target, kind):
                continue
            change = Change(path_text(path), current, target)
            if self.a.eval(atom, env, _apply_normalised(self.a, doc, (change,))) is want:
                return [(change,)]
        return []

    def member(self, expr: ir.Member, want: bool, env: Env, doc: dict[str, Any]) -> list[Alternative]:
        path = self.a.path(expr.element, env, doc)
        collection = self.a.eval(expr.collection, env, doc)
        inside = want != expr.negated
        if path is None or collection is UNKNOWN or collection is None:
            return self.search(expr, want, env, doc)
        current = self.a.value_at(path, doc)
        if self.a.fixed(path):
            self.note(expr, [(path, current)], env, doc)
            return []
        choices = tuple(collection)
        if not inside or not choices:
            self.note(expr, [], env, doc)
            return []
        change = Change(path_text(path), current, choices[0], choices=choices)
        return [(change,)]

    def test(self, expr: ir.TestValue, want: bool, env: Env, doc: dict[str, Any]) -> list[Alternative]:
        path = self.a.path(expr.operand, env, doc)
        if path is None:
            self.note(expr, [], env, doc)
            return []
        current = self.a.value_at(path, doc)
        present = expr.test == "present" if want else expr.test == "absent"
        if expr.test in ("present", "absent"):
            if present:
                return [(Change(path_text(path), current, SUPPLIED, "supply"),)]
        elif (expr.test == "none") == want and not self.a.fixed(path):
            return [(Change(path_text(path), current, None),)]
        self.note(expr, [(path, current)] if self.a.fixed(path) else [], env, doc)
        return []

    def set_leaf(
        self,
        leaf: ir.Expr,
        path: Path,
        targets: list[Any],
        atom: ir.Expr,
        want: bool,
        env: Env,
        doc: dict[str, Any],
    ) -> list[Alternative]:
        current = self.a.value_at(path, doc)
        if self.a.fixed(path):
            self.note(atom, [(path, current)], env, doc)
            return []
        found = self.try_targets(path, current, targets, atom, want, env, doc)
        if not found:
            self.note(atom, [], env, doc)
        return found

    def search(
        self, expr: ir.Expr, want: bool, env: Env, doc: dict[str, Any], record: bool = True
    ) -> list[Alternative]:
        """A condition that cannot be inverted (a function such as workdays): move each
        numeric or date fact it reads up or down to the nearest value that gives ``want``,
        by exponential then binary search (the condition taken as monotone in that fact)."""
        found: list[Alternative] = []
        blocked: list[tuple[Path, Any]] = []
        for _, path in self.a.leaves(expr, env, doc):
            current = self.a.value_at(path, doc)
            kind = t.strip_nullable(_type_and_fixed(self.a.schema, path)[0])
            if current is UNKNOWN:
                continue
            if self.a.fixed(path):
                blocked.append((path, current))
                continue
            if not isinstance(kind, (t.IntegerType, t.NumberType, t.DateType)) or isinstance(current, bool):
                continue
            for direction in (1, -1):

                def holds(
                    step: int,
                    path: Path = path,
                    current: Any = current,
                    direction: int = direction,
                    kind: t.Type = kind,
                ) -> bool:
                    value = _shift(current, step * direction)
                    if value is None or not self.a.allowed(value, kind):
                        return False
                    change = Change(path_text(path), current, value)
                    return self.a.eval(expr, env, _apply_normalised(self.a, doc, (change,))) is want

                step = _smallest(holds)
                if step is not None:
                    found.append((Change(path_text(path), current, _shift(current, step * direction)),))
        if not found and record:
            self.note(expr, blocked, env, doc)
        return _cheapest(found)

    # -- why nothing helps ----------------------------------------------------------------------

    def note(self, atom: ir.Expr, fixed: list[tuple[Path, Any]], env: Env, doc: dict[str, Any]) -> None:
        condition = self.a.source(atom.span)
        if fixed:
            self.note_fixed(atom, fixed, env)
            return
        self.obstacles.append(
            Obstacle(
                "unsolvable",
                condition,
                (),
                None,
                Message(
                    f"找不到能满足“{condition}”的修改", f"no change to the applicant's facts satisfies `{condition}`"
                ),
            )
        )

    def note_fixed(self, atom: ir.Expr, fixed: list[tuple[Path, Any]], env: Env) -> None:
        condition = self.a.source(atom.span)
        shown = self.a.operands(atom, env, self.a.normalised)
        if shown:
            condition = f"{condition} ({shown})"
        facts = tuple((path_text(p), v) for p, v in fixed)
        listed_zh = "、".join(f"{p} = {_show(v, 'zh')}" for p, v in facts)
        listed_en = ", ".join(f"{p} = {_show(v, 'en')}" for p, v in facts)
        self.obstacles.append(
            Obstacle(
                "fixed",
                condition,
                facts,
                None,
                Message(
                    f"“{condition}”取决于既成事实 {listed_zh}，不能更改",
                    f"`{condition}` rests on fixed history ({listed_en}), which cannot be changed",
                ),
            )
        )


def _shift(value: Any, step: int) -> Any:
    if isinstance(value, datetime.date):
        try:
            return value + datetime.timedelta(days=step)
        except OverflowError:
            return None
    return value + step


def _smallest(holds: Callable[[int], bool]) -> int | None:
    """The smallest step > 0 for which ``holds`` (taken as monotone), or ``None``."""
    high = 1
    while not holds(high):
        high *= 2
        if high > _SEARCH_LIMIT:
            return None
    low = high // 2
    while high - low > 1:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle
    return high


def _fits(value: Any, kind: t.Type) -> bool:
    kind = t.strip_nullable(kind)
    if isinstance(kind, (t.IntegerType, t.NumberType)):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return False
        if isinstance(kind, t.IntegerType) and not float(value).is_integer():
            return False
        return (kind.low is None or value >= kind.low) and (kind.high is None or value <= kind.high)
    if isinstance(kind, t.DateType):
        return isinstance(value, datetime.date) and datetime.date(1900, 1, 1) <= value <= datetime.date(2200, 1, 1)
    if isinstance(kind, t.EnumType):
        return value in kind.allowed
    return True


def _then(
    analyzer: Analyzer,
    doc: dict[str, Any],
    alternatives: list[Alternative],
    step: Callable[[dict[str, Any]], list[Alternative]],
) -> list[Alternative]:
    """Each alternative extended by every way ``step`` finds on the document as that
    alternative changes it: how conditions that must all hold are met one after another."""
    out: list[Alternative] = []
    for alternative in alternatives:
        changed = _apply_normalised(analyzer, doc, alternative)
        out.extend(merge(alternative, more) for more in step(changed))
    return _cheapest(out)


def merge(first: Alternative, second: Alternative) -> Alternative:
    merged = {c.path: c for c in first}
    for change in second:
        previous = merged.get(change.path)
        if previous is not None and change.kind == "set" and previous.kind == "set":
            # The later change is worked out under the earlier one: keep the original "before".
            change = attrs.evolve(change, before=previous.before)
        merged[change.path] = change
    return tuple(merged.values())


def _cost(alternative: Alternative) -> tuple[int, float]:
    size = 0.0
    for change in alternative:
        before, after = change.before, change.after
        if isinstance(before, datetime.date) and isinstance(after, datetime.date):
            size += abs((after - before).days)
        elif isinstance(before, (int, float)) and isinstance(after, (int, float)) and not isinstance(after, bool):
            size += abs(after - before)
        else:
            size += 1
    return len(alternative), size


def _cheapest(alternatives: list[Alternative]) -> list[Alternative]:
    unique: dict[tuple[tuple[str, str, str], ...], Alternative] = {}
    for alternative in alternatives:
        key = tuple(sorted((c.path, c.kind, repr(c.after)) for c in alternative))
        unique.setdefault(key, alternative)
    return sorted(unique.values(), key=_cost)[:_MAX_ALTERNATIVES]


# ---- blocks: requirements, exceptions, children ----------------------------------------------------


@attrs.frozen
class Site:
    """A finding and where it comes from in the IR: its block and bindings."""

    finding: Finding
    block: ir.Block | None
    env: Env


def sites(analyzer: Analyzer) -> Iterator[Site]:
    by_id = {rule.id: rule for rule in analyzer.checked.rules}
    for finding in analyzer.decision.findings:
        rule = by_id.get(finding.rule)
        if rule is None:
            continue
        yield from _block_sites(analyzer, finding, rule.body, ())


def _bind_lets(block: ir.Block, env: Env) -> Env:
    return (*env, *((let.name, _Binding(let.value, None)) for let in block.lets))


def _block_sites(analyzer: Analyzer, finding: Finding, block: ir.Block, env: Env) -> Iterator[Site]:
    env = _bind_lets(block, env)
    yield Site(finding, block, env)
    children = {c.rule: c for c in finding.children}
    for child in block.children:
        if child.name is not None:
            found = children.get(f"{finding.rule}.{child.name}")
            if found is not None:
                yield from _block_sites(analyzer, found, child.body, env)
            continue
        assert child.iterable is not None and child.var is not None
        items = analyzer.items(child.iterable, env, analyzer.normalised)
        if items is None:
            found = children.get(f"{finding.rule}.{child.var}")
            if found is not None:
                yield Site(found, None, env)
            continue
        for i, value, value_path in items:
            found = children.get(f"{finding.rule}.{child_key(value, i)}")
            if found is None:
                continue
            yield from _block_sites(analyzer, found, child.body, (*env, (child.var, _Binding(None, value, value_path))))


def child_key(item: Any, index: int) -> str:
    # The same key the compiler gives a child finding (docs/language.md: children).
    if isinstance(item, bool) or not isinstance(item, (int, str, datetime.date)):
        return str(index)
    return item.isoformat() if isinstance(item, datetime.date) else str(item)


class BlockRepairer:
    """Changes that make a block's finding satisfied (or, for an action, done)."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.a = analyzer
        self.repairer = Repairer(analyzer)

    @property
    def obstacles(self) -> list[Obstacle]:
        return self.repairer.obstacles

    def block(self, block: ir.Block, env: Env, doc: dict[str, Any]) -> list[Alternative]:
        env = _bind_lets(block, env)
        # A "fail" exception that holds must be made false first.
        alternatives: list[Alternative] = [()]
        for case in block.exceptions:
            if case.outcome == "fail" and self.a.eval(case.condition, env, doc) is True:
                alternatives = self._extend(alternatives, case.condition, False, env, doc)
        through_requirements = self._requirements(block, env, doc, alternatives)
        # A satisfying exception (pass, not applicable, exempt) is another way.
        through_exceptions: list[Alternative] = []
        for case in block.exceptions:
            if case.outcome != "fail" and self.a.eval(case.condition, env, doc) is not True:
                through_exceptions.extend(self.repairer.repair(case.condition, True, env, doc))
        return _cheapest(through_requirements + [a for a in through_exceptions if a])

    def _extend(
        self, alternatives: list[Alternative], expr: ir.Expr, want: bool, env: Env, doc: dict[str, Any]
    ) -> list[Alternative]:
        return _then(self.a, doc, alternatives, partial(self.repairer.repair, expr, want, env))

    def _requirements(
        self, block: ir.Block, env: Env, doc: dict[str, Any], alternatives: list[Alternative]
    ) -> list[Alternative]:
        for requirement in block.requirements:
            alternatives = _then(self.a, doc, alternatives, partial(self.requirement, requirement, env))
        for child in block.children:
            alternatives = _then(self.a, doc, alternatives, partial(self.child, child, env))
        return alternatives

    def child(self, child: ir.Child, env: Env, doc: dict[str, Any]) -> list[Alternative]:
        if child.name is not None:
            return self.block(child.body, env, doc)
        assert child.iterable is not None and child.var is not None
        items = self.a.items(child.iterable, env, doc)
        if items is None:
            return [()]
        alternatives: list[Alternative] = [()]
        for _, value, value_path in items:
            inner = (*env, (child.var, _Binding(None, value, value_path)))
            alternatives = _then(self.a, doc, alternatives, partial(self.block, child.body, inner))
        return alternatives

    def requirement(self, requirement: ir.Requirement, env: Env, doc: dict[str, Any]) -> list[Alternative]:
        """Changes that make one requirement pass (``[()]`` when it does not block)."""
        if requirement.when is not None and self.a.eval(requirement.when, env, doc) is not True:
            return [()]
        if requirement.kind == "step":
            return self.step(requirement, env, doc)
        value = self.a.eval(requirement.condition, env, doc)
        if value is not False:
            return [()]
        if requirement.on_false == "action" and requirement.until is not None:
            last_day = self.a.eval(requirement.until, env, doc)
            if isinstance(last_day, datetime.date) and self.a.as_of is not None and self.a.as_of > last_day:
                self.deadline_passed(requirement, last_day)
                return []
        return self.repairer.repair(requirement.condition, True, env, doc)

    def step(self, requirement: ir.Requirement, env: Env, doc: dict[str, Any]) -> list[Alternative]:
        assert requirement.deadline is not None
        done = self.a.eval(requirement.condition, env, doc)
        last_day = self.a.eval(requirement.deadline, env, doc)
        path = self.a.path(requirement.condition, env, doc)
        if not isinstance(last_day, datetime.date):
            return [()]
        if isinstance(done, datetime.date):
            if done <= last_day:
                return [()]
            if path is not None and not self.a.fixed(path):
                return [(Change(path_text(path), done, last_day),)]
            self.repairer.note_fixed(requirement.condition, [(path, done)] if path else [], env)
            return []
        if self.a.as_of is not None and self.a.as_of > last_day:
            self.deadline_passed(requirement, last_day)
            return []
        if path is None:
            return []
        return [(Change(path_text(path), UNKNOWN, SUPPLIED, "supply", by=last_day),)]

    def deadline_passed(self, requirement: ir.Requirement, last_day: datetime.date) -> None:
        condition = self.a.source(requirement.condition.span)
        as_of = self.a.as_of.isoformat() if self.a.as_of else ""
        self.obstacles.append(
            Obstacle(
                "deadline",
                condition,
                (),
                last_day,
                Message(
                    f"截止日期{last_day.isoformat()}已过（评估日期{as_of}），“{condition}”已不能补救",
                    f"the deadline {last_day.isoformat()} has passed (as of {as_of}): "
                    f"`{condition}` can no longer be met",
                ),
            )
        )


# ---- unknown findings: the values missing facts could take --------------------------------------------


def _scoped(analyzer: Analyzer, block: ir.Block, env: Env) -> Iterator[tuple[ir.Expr, Env]]:
    """Every condition of a block and of its children, with the bindings it is read under."""
    env = _bind_lets(block, env)
    for case in block.exceptions:
        yield case.condition, env
    for requirement in block.requirements:
        for expr in (requirement.condition, requirement.deadline, requirement.when, requirement.until):
            if expr is not None:
                yield expr, env
    for child in block.children:
        if child.name is not None:
            yield from _scoped(analyzer, child.body, env)
            continue
        assert child.iterable is not None and child.var is not None
        for _, value, value_path in analyzer.items(child.iterable, env, analyzer.normalised) or []:
            yield from _scoped(analyzer, child.body, (*env, (child.var, _Binding(None, value, value_path))))


def _atoms(analyzer: Analyzer, expr: ir.Expr, env: Env) -> Iterator[tuple[ir.Expr, Env]]:
    """The comparisons inside ``expr``, through lets and quantifiers."""
    if isinstance(expr, (ir.Compare, ir.Member, ir.Between)):
        yield expr, env
        return
    if isinstance(expr, ir.Local):
        binding = _lookup(env, expr.name)
        if binding is not None and binding.expr is not None:
            yield from _atoms(analyzer, binding.expr, env)
        return
    if isinstance(expr, ir.Quantify):
        items = analyzer.items(expr.iterable, env, analyzer.normalised) or []
        for _, item, item_path in items:
            yield from _atoms(analyzer, expr.body, (*env, (expr.var, _Binding(None, item, item_path))))
        return
    for child in ir.children(expr):
        yield from _atoms(analyzer, child, env)


def thresholds(analyzer: Analyzer, site: Site, target: Path) -> list[Any]:
    """The values at which the comparisons that read ``target`` turn, with their neighbours:
    for ``a + b + c >= 90`` with ``c`` missing and ``a + b`` known, ``90 - (a + b)`` and one
    less; for ``x in list``, the list."""
    if site.block is None:
        return []
    repairer = Repairer(analyzer)
    doc = analyzer.normalised
    found: list[Any] = []
    for expr, env in _scoped(analyzer, site.block, site.env):
        for atom, scope in _atoms(analyzer, expr, env):
            if isinstance(atom, ir.Member):
                if analyzer.path(atom.element, scope, doc) == target:
                    collection = analyzer.eval(atom.collection, scope, doc)
                    if isinstance(collection, tuple):
                        found.extend(collection)
                continue
            if isinstance(atom, ir.Between):
                if analyzer.path(atom.operand, scope, doc) == target:
                    for bound in (atom.low, atom.high):
                        value = analyzer.eval(bound, scope, doc)
                        found.extend(_around(value))
                continue
            assert isinstance(atom, ir.Compare)
            for side, other in ((atom.left, atom.right), (atom.right, atom.left)):
                terms = repairer.terms(side, scope, doc)
                if not terms or not any(p == target for _, _, p in terms):
                    continue
                other_value = analyzer.eval(other, scope, doc)
                sign = next(s for s, _, p in terms if p == target)
                rest = [analyzer.value_at(p, doc) for _, _, p in terms if p != target]
                if other_value is UNKNOWN or any(r is UNKNOWN for r in rest):
                    continue
                if isinstance(other_value, (int, float)) and not isinstance(other_value, bool):
                    signs = [s for s, _, p in terms if p != target]
                    total = sum(s * r for s, r in zip(signs, rest, strict=True))
                    found.extend(_around((other_value - total) * sign))
                else:
                    found.extend(_around(other_value))
    return found


def _around(value: Any) -> list[Any]:
    if isinstance(value, bool) or value is UNKNOWN or value is None:
        return []
    if isinstance(value, datetime.date):
        return [value, value + datetime.timedelta(days=1)]
    if isinstance(value, (int, float)):
        return [value - 1, value]
    return [value]


def candidate_values(kind: t.Type, thresholds: Sequence[Any]) -> list[Any]:
    """JSON values worth trying for a missing fact of type ``kind``: every value of a small
    type, else the thresholds the rule compares it with (and the type's lowest value)."""
    nullable = isinstance(kind, t.NullableType)
    kind = t.strip_nullable(kind)
    values: list[Any] = [None] if nullable else []
    if isinstance(kind, t.BoolType):
        values += [True, False]
    elif isinstance(kind, t.EnumType):
        values += list(kind.allowed)
    elif isinstance(kind, (t.IntegerType, t.NumberType)):
        numbers = {c for c in thresholds if isinstance(c, (int, float)) and not isinstance(c, bool)}
        numbers.add(kind.low if kind.low is not None else 0)
        values += sorted(v for v in numbers if _fits(v, kind))
    elif isinstance(kind, t.DateType):
        days = sorted({c for c in thresholds if isinstance(c, datetime.date)})
        values += [d.isoformat() for d in days]
    elif isinstance(kind, t.StringType):
        strings = list(dict.fromkeys(c for c in thresholds if isinstance(c, str)))
        values += [*strings, "(other)"]
    elif isinstance(kind, (t.RecordType, t.MapType)):
        values.append({})
    elif isinstance(kind, t.ListType):
        values.append([])
    return values
