"""Static analysis of a checked policy: what ``titlerules check`` warns about.

Warnings are not errors: a policy with warnings loads and evaluates. They point at what a
policy author most likely did not mean:

- ``unused-parameter``, ``unused-table``, ``unused-derived``, ``unused-fact``: declared, never read;
- ``never-applies``, ``never-passes``, ``never-fails``: a requirement or exception whose
  conditions, given the fact schema and the parameters' values, are contradictory or
  always true (``x >= 90`` when ``x >= 100`` was required in the same conjunction);
- ``redundant-condition``: a conjunct the others (or the schema) already imply;
- ``empty-range``: ``x in a .. b`` with constant bounds, ``a > b``;
- ``same-decision``: two requirements that decide the same condition, with nothing (no
  ``when``) keeping them apart;
- ``unaccounted-clause``: a clause of the notice that no rule cites and that has no
  ``unchecked`` note;
- ``message-fact``: a message that shows a fact its rule does not read, so the message can
  say "unknown" about something the decision never needed.

The reasoning is over intervals and finite sets of values per subject (a fact, a field, a
local), with conditions put in disjunctive normal form. Anything it cannot model is left
unconstrained, so a "never" it reports is proven; it can miss some.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from . import ir
from . import nodes as n
from . import valuetypes as t
from .errors import Diagnostic, PolicyError, SourceText, TitlerulesError
from .highlight import DECLARATIONS

# ---- describing IR expressions -----------------------------------------------------------------


def describe(expr: ir.Expr) -> str:
    """An IR expression as policy text (parameters by name), for messages and keys."""
    if isinstance(expr, ir.Const):
        return _constant_text(expr.value)
    if isinstance(expr, (ir.Param, ir.Fact, ir.Local, ir.Derived)):
        return expr.name
    if isinstance(expr, ir.AsOf):
        return "as_of"
    if isinstance(expr, ir.GetField):
        return f"{describe(expr.obj)}.{expr.name}"
    if isinstance(expr, ir.GetItem):
        return f"{describe(expr.obj)}[{describe(expr.key)}]"
    if isinstance(expr, ir.TableGet):
        return f"{expr.table}[{describe(expr.key)}]"
    if isinstance(expr, ir.CallFn):
        return f"{expr.function}({', '.join(describe(a) for a in expr.args)})"
    if isinstance(expr, ir.Not):
        return f"not {describe(expr.operand)}"
    if isinstance(expr, ir.Negate):
        return f"-{describe(expr.operand)}"
    if isinstance(expr, ir.Logic):
        return f" {expr.op} ".join(describe(o) for o in expr.operands)
    if isinstance(expr, (ir.Compare, ir.Arith)):
        return f"{describe(expr.left)} {expr.op} {describe(expr.right)}"
    if isinstance(expr, ir.Member):
        return f"{describe(expr.element)} {'not in' if expr.negated else 'in'} {describe(expr.collection)}"
    if isinstance(expr, ir.Between):
        return f"{describe(expr.operand)} in {describe(expr.low)} .. {describe(expr.high)}"
    if isinstance(expr, ir.TestValue):
        return f"{describe(expr.operand)} is {expr.test}"
    if isinstance(expr, ir.MakeList):
        return "[" + ", ".join(describe(i) for i in expr.items) + "]"
    if isinstance(expr, ir.MakeRecord):
        return "{" + ", ".join(f"{k}: {describe(v)}" for k, v in expr.items) + "}"
    if isinstance(expr, ir.Quantify):
        return f"{expr.quantifier} {expr.var} in {describe(expr.iterable)}: {describe(expr.body)}"
    if isinstance(expr, ir.Comprehension):
        where = f" where {describe(expr.condition)}" if expr.condition is not None else ""
        return f"[{describe(expr.element)} for {expr.var} in {describe(expr.iterable)}{where}]"
    if isinstance(expr, ir.IfElse):
        return f"if {describe(expr.condition)} then {describe(expr.then)} else {describe(expr.otherwise)}"
    return '"' + "".join(p if isinstance(p, str) else "{" + describe(p) + "}" for p in expr.parts) + '"'


def _constant_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_constant_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_constant_text(v)}" for k, v in value.items()) + "}"
    return str(value)


# ---- a domain of values per subject -----------------------------------------------------------------


@attrs.frozen
class Values:
    """The values a subject can take: an interval (bounds in or out) and/or a finite set."""

    low: float = -math.inf
    low_open: bool = False
    high: float = math.inf
    high_open: bool = False
    integral: bool = False
    allowed: frozenset[Any] | None = None
    excluded: frozenset[Any] = frozenset()

    def meet(self, other: Values) -> Values:
        """Values both allow."""
        # At equal bounds the open one is the stricter.
        low, low_open = max((self.low, self.low_open), (other.low, other.low_open))
        high, high_closed = min((self.high, not self.high_open), (other.high, not other.high_open))
        if self.allowed is None:
            allowed = other.allowed
        elif other.allowed is None:
            allowed = self.allowed
        else:
            allowed = self.allowed & other.allowed
        return Values(
            low,
            low_open,
            high,
            not high_closed,
            self.integral or other.integral,
            allowed,
            self.excluded | other.excluded,
        )

    def _in_range(self, value: Any) -> bool:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return self.low == -math.inf and self.high == math.inf
        above = value > self.low or (value == self.low and not self.low_open)
        below = value < self.high or (value == self.high and not self.high_open)
        return above and below

    def empty(self) -> bool:
        """Whether no value is left."""
        if self.allowed is not None:
            return not any(self._in_range(v) and v not in self.excluded for v in self.allowed)
        low, high = self.low, self.high
        if self.integral and math.isfinite(low):
            low = math.floor(low) + 1 if self.low_open or low != math.floor(low) else low
        if self.integral and math.isfinite(high):
            high = math.ceil(high) - 1 if self.high_open or high != math.ceil(high) else high
        if self.integral and math.isfinite(low) and math.isfinite(high):
            if low > high:
                return True
            return low == high and low in self.excluded
        if self.integral:
            return False
        if low > high or (low == high and (self.low_open or self.high_open)):
            return True
        return low == high and low in self.excluded

    def sample(self) -> list[Any]:
        """The values, when finitely many (for reporting)."""
        if self.allowed is None:
            return []
        return sorted((v for v in self.allowed if self._in_range(v) and v not in self.excluded), key=repr)


UNCONSTRAINED = Values()


@attrs.frozen
class Atom:
    """``subject op value``: one constraint a condition puts on a subject."""

    subject: str
    op: str  # == != < <= > >= in notin
    value: Any
    text: str

    def negated(self) -> Atom:
        """The constraint that holds exactly when this one does not."""
        flip = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">", "in": "notin", "notin": "in"}
        return Atom(self.subject, flip[self.op], self.value, f"not ({self.text})")

    def values(self) -> Values:
        """The values of the subject this constraint allows."""
        v = self.value
        if self.op == "==":
            return Values(allowed=frozenset([v]))
        if self.op == "!=":
            return Values(excluded=frozenset([v]))
        if self.op == "in":
            return Values(allowed=frozenset(v))
        if self.op == "notin":
            return Values(excluded=frozenset(v))
        if self.op == "<":
            return Values(high=v, high_open=True)
        if self.op == "<=":
            return Values(high=v)
        if self.op == ">":
            return Values(low=v, low_open=True)
        return Values(low=v)


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


class Reasoner:
    """Turns conditions into constraints and decides whether they can hold.

    ``domains`` gives what is known of subjects before any condition (the schema's bounds
    and enum restrictions, and, for coverage, the values a loop variable takes).
    """

    MAX_TERMS = 64

    def __init__(self, domains: Mapping[str, Values] | None = None) -> None:
        self.domains: dict[str, Values] = dict(domains or {})

    # -- atoms --

    def scalar(self, expr: ir.Expr) -> tuple[bool, Any]:
        """Whether ``expr`` is a constant, and its value as the domain compares it."""
        if isinstance(expr, (ir.Const, ir.Param)):
            return True, _comparable(expr.value, expr.type)
        return False, None

    def atom(self, expr: ir.Expr) -> Atom | None:
        """The constraint ``expr`` is, if it is one the reasoner models."""
        if isinstance(expr, ir.Compare):
            left_const, left = self.scalar(expr.left)
            right_const, right = self.scalar(expr.right)
            if right_const and not left_const and _modelled(expr.left) and right is not None:
                self._learn(expr.left)
                return Atom(describe(expr.left), expr.op, right, describe(expr))
            if left_const and not right_const and _modelled(expr.right) and left is not None:
                self._learn(expr.right)
                return Atom(describe(expr.right), _FLIPPED[expr.op], left, describe(expr))
            return None
        if isinstance(expr, ir.Member):
            const, values = self.scalar(expr.collection)
            if const and isinstance(values, (list, tuple)) and _modelled(expr.element):
                self._learn(expr.element)
                item_type = expr.element.type
                converted = frozenset(_comparable(v, item_type) for v in values)
                return Atom(describe(expr.element), "notin" if expr.negated else "in", converted, describe(expr))
            return None
        if _modelled(expr) and isinstance(t.strip_nullable(expr.type), t.BoolType):
            self._learn(expr)
            return Atom(describe(expr), "==", True, describe(expr))
        return None

    def _learn(self, subject: ir.Expr) -> None:
        key = describe(subject)
        if key not in self.domains:
            self.domains[key] = schema_values(subject.type)

    # -- normal form --

    def dnf(self, expr: ir.Expr, negate: bool = False) -> list[list[Atom]]:
        """``expr`` (or its negation) as alternatives of conjunctions of atoms.

        What the reasoner cannot model is left out, which only ever makes it answer
        "can hold" where it might not.
        """
        if isinstance(expr, ir.Not):
            return self.dnf(expr.operand, not negate)
        if isinstance(expr, ir.Logic):
            conjunctive = (expr.op == "and") != negate
            parts = [self.dnf(o, negate) for o in expr.operands]
            if conjunctive:
                return self._product(parts)
            return [conj for part in parts for conj in part][: self.MAX_TERMS] if self._small(parts) else [[]]
        if isinstance(expr, ir.Between):
            lo_const, low = self.scalar(expr.low)
            hi_const, high = self.scalar(expr.high)
            if lo_const and hi_const and _modelled(expr.operand) and low is not None and high is not None:
                self._learn(expr.operand)
                key, text = describe(expr.operand), describe(expr)
                if negate:
                    return [[Atom(key, "<", low, text)], [Atom(key, ">", high, text)]]
                return [[Atom(key, ">=", low, text), Atom(key, "<=", high, text)]]
            return [[]]
        atom = self.atom(expr)
        if atom is None:
            return [[]]
        return [[atom.negated() if negate else atom]]

    def _small(self, parts: Sequence[list[list[Atom]]]) -> bool:
        return sum(len(p) for p in parts) <= self.MAX_TERMS

    def _product(self, parts: Sequence[list[list[Atom]]]) -> list[list[Atom]]:
        size = math.prod(len(p) for p in parts)
        if size > self.MAX_TERMS:
            return [[]]
        return [[a for conj in combo for a in conj] for combo in itertools.product(*parts)]

    # -- decisions --

    def consistent(self, atoms: Iterable[Atom]) -> bool:
        """Whether some values satisfy every atom at once."""
        by_subject: dict[str, Values] = {}
        for atom in atoms:
            current = by_subject.get(atom.subject, self.domains.get(atom.subject, UNCONSTRAINED))
            by_subject[atom.subject] = current.meet(atom.values())
        return not any(v.empty() for v in by_subject.values())

    def can_hold(self, *conditions: tuple[ir.Expr, bool]) -> bool:
        """Whether all ``(condition, negated)`` pairs can hold together."""
        terms = self._product([self.dnf(expr, negate) for expr, negate in conditions])
        return any(self.consistent(conj) for conj in terms)


def _modelled(expr: ir.Expr) -> bool:
    """A subject the reasoner tracks: a fact, field, local, item or derived fact."""
    if isinstance(expr, (ir.Fact, ir.Local, ir.Derived)):
        return True
    if isinstance(expr, ir.GetField):
        return _modelled(expr.obj)
    if isinstance(expr, ir.GetItem):
        return _modelled(expr.obj)
    return False


def _comparable(value: Any, type_: t.Type) -> Any:
    """A value as the domain compares it: dates as day numbers, enum members by rank."""
    kind = t.strip_nullable(type_)
    if isinstance(value, datetime.date):
        return value.toordinal()
    if isinstance(kind, t.EnumType) and isinstance(value, str) and value in kind.members:
        return kind.rank(value)
    if isinstance(kind, t.ListType) and isinstance(value, (list, tuple)):
        return tuple(_comparable(v, kind.item or t.ANY) for v in value)
    return value


def schema_values(type_: t.Type) -> Values:
    """What the schema allows a value of ``type_`` to be."""
    kind = t.strip_nullable(type_)
    if isinstance(kind, t.IntegerType):
        return Values(
            low=kind.low if kind.low is not None else -math.inf,
            high=kind.high if kind.high is not None else math.inf,
            integral=True,
        )
    if isinstance(kind, t.NumberType):
        return Values(
            low=kind.low if kind.low is not None else -math.inf,
            high=kind.high if kind.high is not None else math.inf,
        )
    if isinstance(kind, t.DateType):
        return Values(integral=True)
    if isinstance(kind, t.EnumType):
        return Values(allowed=frozenset(kind.rank(m) for m in kind.allowed), integral=True)
    if isinstance(kind, t.BoolType):
        return Values(allowed=frozenset([True, False]))
    return UNCONSTRAINED


# ---- walking the policy --------------------------------------------------------------------------


def walk(expr: ir.Expr) -> Iterator[ir.Expr]:
    """``expr`` and every expression inside it."""
    yield expr
    for child in ir.children(expr):
        yield from walk(child)


def message_exprs(message: ir.Message | None) -> Iterator[ir.Expr]:
    """The expressions a message interpolates."""
    if message is None:
        return
    for side in (message.zh, message.en):
        for part in side.parts:
            if not isinstance(part, str):
                yield part


def block_exprs(block: ir.Block) -> list[ir.Expr]:
    """The expressions a block evaluates or shows (not those of its children's blocks):
    lets, exception conditions, requirements' parts, child iterables, and its messages."""
    exprs: list[ir.Expr] = [let.value for let in block.lets]
    for exception in block.exceptions:
        exprs.append(exception.condition)
        exprs += message_exprs(exception.message)
    for r in block.requirements:
        exprs += [x for x in (r.condition, r.deadline, r.when, r.until) if x is not None]
        for _, message in r.messages:
            exprs += message_exprs(message)
    exprs += [c.iterable for c in block.children if c.iterable is not None]
    exprs += message_exprs(block.title)
    exprs += message_exprs(block.pass_message)
    return exprs


@attrs.frozen
class BlockSite:
    """A rule or child block, where it sits, and the loop variables bound around it."""

    path: str  # rule id, then child names or loop variables: continuing_education.y
    block: ir.Block
    loops: tuple[tuple[str, ir.Expr], ...]  # (variable, iterable), outermost first
    lets: tuple[ir.LetStmt, ...]  # the lets of this block and the blocks around it


def blocks(rule: ir.Rule) -> Iterator[BlockSite]:
    """Every block of ``rule``, the rule's own first."""

    def visit(
        path: str, block: ir.Block, loops: tuple[tuple[str, ir.Expr], ...], lets: tuple[ir.LetStmt, ...]
    ) -> Iterator[BlockSite]:
        lets = (*lets, *block.lets)
        yield BlockSite(path, block, loops, lets)
        for child in block.children:
            if child.var is not None and child.iterable is not None:
                yield from visit(f"{path}.{child.var}", child.body, (*loops, (child.var, child.iterable)), lets)
            else:
                yield from visit(f"{path}.{child.name}", child.body, loops, lets)

    yield from visit(rule.id, rule.body, (), ())


# ---- fact paths read ------------------------------------------------------------------------------


@attrs.frozen
class Reads:
    """Fact paths an expression reads (``*`` for any year or element)."""

    leaves: frozenset[tuple[str, ...]] = frozenset()  # read as values
    wholes: frozenset[tuple[str, ...]] = frozenset()  # containers used whole (output, compare)
    iterated: frozenset[tuple[str, ...]] = frozenset()  # lists and maps gone through

    def __or__(self, other: Reads) -> Reads:
        return Reads(self.leaves | other.leaves, self.wholes | other.wholes, self.iterated | other.iterated)

    def all(self) -> frozenset[tuple[str, ...]]:
        """Every path read, however."""
        return self.leaves | self.wholes | self.iterated


Env = Mapping[str, tuple[str, ...] | None]


def fact_path(expr: ir.Expr, env: Env) -> tuple[str, ...] | None:
    """The document path ``expr`` reads, if it is a chain of fields and items of a fact."""
    if isinstance(expr, ir.Fact):
        return (expr.name,)
    if isinstance(expr, ir.Local):
        return env.get(expr.name)
    if isinstance(expr, ir.GetField):
        base = fact_path(expr.obj, env)
        return (*base, expr.name) if base is not None else None
    if isinstance(expr, ir.GetItem):
        base = fact_path(expr.obj, env)
        return (*base, "*") if base is not None else None
    return None


def reads(expr: ir.Expr, env: Env, derived: Mapping[str, Reads] | None = None) -> Reads:
    """The fact paths ``expr`` reads; ``env`` maps locals to the paths they stand for."""
    derived = derived or {}
    out = Reads()

    def visit(e: ir.Expr, env: Env, use: str) -> None:
        nonlocal out
        path = fact_path(e, env)
        if path is not None:
            if use == "leaf":
                kind = t.strip_nullable(e.type)
                use = "whole" if isinstance(kind, (t.RecordType, t.ListType, t.MapType)) else "leaf"
            out = out | Reads(
                frozenset([path]) if use == "leaf" else frozenset(),
                frozenset([path]) if use == "whole" else frozenset(),
                frozenset([path]) if use == "iterated" else frozenset(),
            )
            if isinstance(e, (ir.GetField, ir.GetItem)):
                visit(e.obj, env, "container")
                if isinstance(e, ir.GetItem):
                    visit(e.key, env, "leaf")
            return
        if isinstance(e, ir.Derived):
            out = out | derived.get(e.name, Reads())
            return
        if isinstance(e, (ir.Quantify, ir.Comprehension)):
            visit(e.iterable, env, "iterated")
            base = fact_path(e.iterable, env)
            inner = {**env, e.var: (*base, "*") if base is not None else None}
            for part in (e.body,) if isinstance(e, ir.Quantify) else (e.element, e.condition):
                if part is not None:
                    visit(part, inner, "leaf")
            return
        if isinstance(e, ir.TestValue):
            visit(e.operand, env, "container")
            return
        if isinstance(e, ir.CallFn) and e.function in ("count", "keys"):
            for arg in e.args:
                visit(arg, env, "iterated")
            return
        for child in ir.children(e):
            visit(child, env, "leaf")

    visit(expr, env, "leaf")
    return out


# ---- the warnings ------------------------------------------------------------------------------------


def analyse(policy: ir.CheckedPolicy, tree: n.PolicyFile, sources: Mapping[str, str] | None = None) -> list[Diagnostic]:
    """Every warning about ``policy`` (checked from ``tree``), sorted by position."""
    return _Analysis(policy, tree, sources or {}).run()


class _Analysis:
    def __init__(self, policy: ir.CheckedPolicy, tree: n.PolicyFile, sources: Mapping[str, str]) -> None:
        self.policy = policy
        self.tree = tree
        self.sources = {policy.filename: SourceText(policy.source, policy.filename)}
        for name, text in sources.items():
            self.sources[name] = SourceText(text, name)
        self.found: list[Diagnostic] = []
        self.derived_reads: dict[str, Reads] = {}
        for info in policy.derived:
            self.derived_reads[info.name] = reads(info.value, {}, self.derived_reads)

    def warn(self, span: n.Span, message: str, code: str) -> None:
        source = (
            self.sources.get(getattr(span, "file", None) or self.policy.filename) or self.sources[self.policy.filename]
        )
        self.found.append(source.at(span, message, code, severity="warning"))

    def run(self) -> list[Diagnostic]:
        self._unused_names()
        self._unused_facts()
        self._conditions()
        self._same_decisions()
        self._clauses()
        self._message_facts()
        unique = {(d.filename, d.line, d.column, d.code, d.message): d for d in self.found}
        return sorted(unique.values(), key=lambda d: (d.filename, d.line, d.column, d.code))

    # -- everything the policy evaluates --

    def _rule_exprs(self, rule: ir.Rule) -> Iterator[ir.Expr]:
        for site in blocks(rule):
            yield from block_exprs(site.block)
        yield from message_exprs(rule.note)

    def _all_exprs(self) -> Iterator[ir.Expr]:
        for rule in self.policy.rules:
            yield from self._rule_exprs(rule)
        yield from (o.value for o in self.policy.outputs)
        yield from (d.value for d in self.policy.derived)
        for clause in self.policy.clauses:
            for message in clause.unchecked:
                yield from message_exprs(message)

    # -- unused declarations --

    def _unused_names(self) -> None:
        params: set[str] = set()
        tables: set[str] = set()
        derived: set[str] = set()
        for expr in self._all_exprs():
            for e in walk(expr):
                if isinstance(e, ir.Param):
                    params.add(e.name)
                elif isinstance(e, ir.TableGet):
                    tables.add(e.table)
                elif isinstance(e, ir.Derived):
                    derived.add(e.name)
        # Parameters folded into constants (other parameters, table rows, bounds, defaults)
        # are no longer named in the IR: find them in the AST, where no local can shadow them.
        params |= set(_constant_names(self.tree))
        for info in self.policy.params:
            if info.name not in params:
                self.warn(info.span, f"parameter '{info.name}' is never used", "unused-parameter")
        for table in self.policy.tables:
            if table.name not in tables:
                self.warn(table.span, f"table '{table.name}' is never used", "unused-table")
        for let in self.policy.derived:
            if let.name not in derived:
                self.warn(let.span, f"derived fact '{let.name}' is never used", "unused-derived")

    def _unused_facts(self) -> None:
        used: set[tuple[str, ...]] = set()
        wholes: set[tuple[str, ...]] = set()
        for expr in self._all_exprs():
            found = reads(expr, self._env_for(expr), self.derived_reads)
            used |= found.all()
            wholes |= found.wholes
        used |= self._invariant_reads(self.policy.schema, ())
        for path, span in _schema_fields(self.tree):
            if self.policy.key_field is not None and path == (self.policy.key_field,):
                continue
            if any(_prefix(path, u) for u in used) or any(_prefix(w, path) for w in wholes):
                continue
            self.warn(span, f"fact '{'.'.join(path)}' is never read", "unused-fact")

    def _invariant_reads(self, record: t.Type, base: tuple[str, ...]) -> set[tuple[str, ...]]:
        found: set[tuple[str, ...]] = set()
        kind = t.strip_nullable(record)
        if isinstance(kind, (t.ListType, t.MapType)):
            inner = kind.item if isinstance(kind, t.ListType) else kind.value
            return self._invariant_reads(inner or t.ANY, (*base, "*")) if inner else found
        if not isinstance(kind, t.RecordType):
            return found
        if kind.invariant is not None:
            env = {f.name: (*base, f.name) for f in kind.fields}
            found |= reads(kind.invariant, env).all()
        for field in kind.fields:
            found |= self._invariant_reads(field.type, (*base, field.name))
        return found

    def _env_for(self, expr: ir.Expr) -> Env:
        return self.envs.get(id(expr), {})

    @property
    def envs(self) -> dict[int, Env]:
        """Locals in scope for each top expression of each rule, by identity."""
        if not hasattr(self, "_envs"):
            envs: dict[int, Env] = {}
            for rule in self.policy.rules:
                for site in blocks(rule):
                    env = site_env(site, self.derived_reads)
                    for top in block_exprs(site.block):
                        envs[id(top)] = env
            self._envs = envs
        return self._envs

    # -- conditions that cannot be what they look like --

    def _conditions(self) -> None:
        domains = fact_domains(self.policy)
        for rule in self.policy.rules:
            for site in blocks(rule):
                reasoner = Reasoner(domains)
                block = site.block
                for exception in block.exceptions:
                    if not reasoner.can_hold((exception.condition, False)):
                        self.warn(
                            exception.span,
                            f"this exception never applies: '{describe(exception.condition)}' can never hold",
                            "never-applies",
                        )
                guards = [(e.condition, True) for e in block.exceptions if _single(reasoner, e.condition)]
                for requirement in block.requirements:
                    self._requirement(reasoner, requirement, guards)
        for expr in self._all_exprs():
            for e in walk(expr):
                if isinstance(e, ir.Logic) and e.op == "and":
                    self._redundant(Reasoner(domains), e)
                if isinstance(e, ir.Between):
                    self._empty_range(e)

    def _requirement(self, reasoner: Reasoner, r: ir.Requirement, guards: list[tuple[ir.Expr, bool]]) -> None:
        context = list(guards)
        if r.when is not None:
            if not reasoner.can_hold((r.when, False)):
                self.warn(
                    r.span, f"this requirement never applies: 'when {describe(r.when)}' can never hold", "never-applies"
                )
                return
            context.append((r.when, False))
        if context and not reasoner.can_hold(*context):
            self.warn(
                r.span,
                "this requirement never applies: an exception of its block always decides first",
                "never-applies",
            )
            return
        if r.kind != "condition":
            return
        if not reasoner.can_hold(*context, (r.condition, False)):
            self.warn(
                r.span, f"this requirement can never pass: '{describe(r.condition)}' never holds here", "never-passes"
            )
        elif not reasoner.can_hold(*context, (r.condition, True)):
            outcome = "fail" if r.on_false == "fail" else "ask for an action"
            self.warn(
                r.span,
                f"this requirement can never {outcome}: '{describe(r.condition)}' always holds here",
                "never-fails",
            )

    def _redundant(self, reasoner: Reasoner, e: ir.Logic) -> None:
        operands = list(e.operands)
        if not reasoner.can_hold((e, False)):
            return  # reported where it is required, or harmless inside another expression
        for i, operand in enumerate(operands):
            if reasoner.atom(operand) is None and not isinstance(operand, ir.Between):
                continue
            others = [(o, False) for j, o in enumerate(operands) if j != i]
            if reasoner.can_hold(*others, (operand, True)):
                continue
            if reasoner.can_hold((operand, True)):
                implied_by = ", ".join(f"'{describe(o)}'" for o, _ in others if _constrains(reasoner, o, operand))
                self.warn(
                    operand.span,
                    f"'{describe(operand)}' always holds when {implied_by or 'the rest'} does (redundant)",
                    "redundant-condition",
                )
            else:
                self.warn(
                    operand.span,
                    f"'{describe(operand)}' always holds given the fact schema (redundant)",
                    "redundant-condition",
                )

    def _empty_range(self, e: ir.Between) -> None:
        reasoner = Reasoner()
        lo_const, low = reasoner.scalar(e.low)
        hi_const, high = reasoner.scalar(e.high)
        if lo_const and hi_const and low is not None and high is not None and low > high:
            values = f" ({_constant_text(e.low.value)} .. {_constant_text(e.high.value)})"  # type: ignore[union-attr]
            text = f"{describe(e.low)} .. {describe(e.high)}"
            shown = text if all(isinstance(b, ir.Const) for b in (e.low, e.high)) else text + values
            self.warn(e.span, f"the range {shown} is empty", "empty-range")

    # -- two requirements deciding one thing --

    def _same_decisions(self) -> None:
        seen: list[tuple[str, ir.Rule, BlockSite, ir.Requirement]] = []
        domains = fact_domains(self.policy)
        for rule in self.policy.rules:
            for site in blocks(rule):
                expand = {let.name: let.value for let in site.lets}
                for r in site.block.requirements:
                    key = r.kind + ":" + describe(_expand(r.condition, expand))
                    for other_key, other_rule, other_site, other in seen:
                        if other_key != key:
                            continue
                        guards = [(g, False) for g in (r.when, other.when) if g is not None]
                        if len(guards) == 2 and not Reasoner(domains).can_hold(*guards):
                            continue  # their 'when's keep them apart
                        where = other_rule.id if other_rule is not rule else f"this rule ({other_site.path})"
                        self.warn(
                            r.span,
                            f"decides '{describe(r.condition)}' as {where} does (line {other.span.line}); "
                            "keep one, or separate them with 'when'",
                            "same-decision",
                        )
                    seen.append((key, rule, site, r))

    # -- the notice, clause by clause --

    def _clauses(self) -> None:
        cited = {cite for rule in self.policy.rules for cite in rule.cites}
        for clause in self.policy.clauses:
            if clause.id not in cited and not clause.unchecked:
                self.warn(
                    clause.span,
                    f"clause {clause.id} has no rule citing it and no 'unchecked' note saying why",
                    "unaccounted-clause",
                )

    # -- messages --

    def _message_facts(self) -> None:
        for rule in self.policy.rules:
            logic = Reads()
            messages: list[tuple[ir.Expr, dict[str, tuple[str, ...] | None]]] = []
            for site in blocks(rule):
                env = site_env(site, self.derived_reads)
                block = site.block
                for let in block.lets:
                    logic = logic | reads(let.value, env, self.derived_reads)
                for e in block.exceptions:
                    logic = logic | reads(e.condition, env, self.derived_reads)
                    messages += [(x, env) for x in message_exprs(e.message)]
                for r in block.requirements:
                    for x in (r.condition, r.deadline, r.when, r.until):
                        if x is not None:
                            logic = logic | reads(x, env, self.derived_reads)
                    for _, message in r.messages:
                        messages += [(x, env) for x in message_exprs(message)]
                for child in block.children:
                    if child.iterable is not None:
                        logic = logic | reads(child.iterable, env, self.derived_reads)
                messages += [(x, env) for x in message_exprs(block.pass_message)]
            for expr, env in messages:
                for path in sorted(reads(expr, env, self.derived_reads).leaves):
                    if path in logic.all() or any(_prefix(it, path) for it in logic.iterated):
                        continue
                    self.warn(
                        expr.span,
                        f"this message shows {'.'.join(path)}, which rule '{rule.id}' does not read: "
                        "it may show as unknown when the decision did not need it",
                        "message-fact",
                    )


def _single(reasoner: Reasoner, condition: ir.Expr) -> bool:
    """Whether the negation of ``condition`` is something the reasoner models exactly."""
    return reasoner.atom(condition) is not None


def _constrains(reasoner: Reasoner, other: ir.Expr, operand: ir.Expr) -> bool:
    a, b = reasoner.atom(other), reasoner.atom(operand)
    return a is not None and b is not None and a.subject == b.subject


def _prefix(prefix: tuple[str, ...], path: tuple[str, ...]) -> bool:
    return path[: len(prefix)] == prefix


def _expand(expr: ir.Expr, lets: Mapping[str, ir.Expr]) -> ir.Expr:
    """``expr`` with block locals bound by ``let`` replaced by their definitions."""
    if isinstance(expr, ir.Local) and expr.name in lets:
        return _expand(lets[expr.name], {k: v for k, v in lets.items() if k != expr.name})
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(expr)):
        value = getattr(expr, field.name)
        if isinstance(value, _EXPR_TYPES):
            changes[field.name] = _expand(value, lets)
        elif isinstance(value, tuple) and any(isinstance(v, _EXPR_TYPES) for v in value):
            changes[field.name] = tuple(_expand(v, lets) if isinstance(v, _EXPR_TYPES) else v for v in value)
    return attrs.evolve(expr, **changes) if changes else expr


_EXPR_TYPES = ir._EXPR_TYPES


def site_env(site: BlockSite, derived: Mapping[str, Reads]) -> dict[str, tuple[str, ...] | None]:
    """Locals of a block mapped to the document paths they stand for."""
    env: dict[str, tuple[str, ...] | None] = {}
    for var, iterable in site.loops:
        base = fact_path(iterable, env)
        env[var] = (*base, "*") if base is not None else None
    for let in site.lets:
        env[let.name] = fact_path(let.value, env)
    return env


def fact_domains(policy: ir.CheckedPolicy) -> dict[str, Values]:
    """What the schema says of each top-level fact (fields are learnt as they are met)."""
    return {field.name: schema_values(field.type) for field in policy.schema.fields}


def _constant_names(tree: n.PolicyFile) -> Iterator[str]:
    """Names read where only constants may stand: parameter values, table rows, bounds, defaults."""
    roots: list[object] = []
    for decl in tree.declarations:
        if isinstance(decl, n.ParamDecl):
            roots.append(decl.value)
        elif isinstance(decl, n.TableDecl):
            roots += [e.value for e in decl.entries]
            if decl.otherwise is not None:
                roots.append(decl.otherwise)
        elif isinstance(decl, (n.FactsDecl, n.TypeDecl)):
            roots.append(decl)
    for root in roots:
        yield from _names_in(root)


def _names_in(node: object) -> Iterator[str]:
    if isinstance(node, n.Name):
        yield node.name
        return
    if isinstance(node, tuple):
        for item in node:
            yield from _names_in(item)
        return
    if not attrs.has(type(node)) or isinstance(node, n.Span):
        return
    if isinstance(node, n.RecordTypeExpr):
        # An invariant reads the record's own fields, not parameters by those names only.
        for field in node.fields:
            yield from _names_in(field)
        if node.invariant is not None:
            yield from _names_in(node.invariant)
        return
    for field in attrs.fields(type(node)):  # type: ignore[arg-type]
        yield from _names_in(getattr(node, field.name))


def _schema_fields(tree: n.PolicyFile) -> Iterator[tuple[tuple[str, ...], n.Span]]:
    """Every field of the fact schema with its path (``*`` for items) and declaration span."""
    types = {d.name: d.type for d in tree.declarations if isinstance(d, n.TypeDecl)}

    def visit(
        type_: n.TypeExpr, base: tuple[str, ...], seen: frozenset[str]
    ) -> Iterator[tuple[tuple[str, ...], n.Span]]:
        if isinstance(type_, n.RecordTypeExpr):
            for field in type_.fields:
                yield (*base, field.name), field.span
                yield from visit(field.type, (*base, field.name), seen)
        elif isinstance(type_, n.ListTypeExpr):
            yield from visit(type_.item, (*base, "*"), seen)
        elif isinstance(type_, n.MapTypeExpr):
            yield from visit(type_.value, (*base, "*"), seen)
        elif isinstance(type_, n.NullableTypeExpr):
            yield from visit(type_.inner, base, seen)
        elif isinstance(type_, n.NamedTypeExpr) and type_.name in types and type_.name not in seen:
            yield from visit(types[type_.name], base, seen | {type_.name})

    for decl in tree.declarations:
        if isinstance(decl, n.FactsDecl):
            for field in decl.fields:
                yield (field.name,), field.span
                yield from visit(field.type, (field.name,), frozenset())


# ---- everything `titlerules check` says about a file ---------------------------------------------------

_DECLARATION_KEYWORDS = DECLARATIONS  # a top-level declaration starts a line with one of these


def diagnose(text: str, filename: str) -> tuple[list[Diagnostic], ir.CheckedPolicy | None]:
    """Every error and warning for a policy's text, and the checked policy if it checks.

    A parse stops at the first syntax error; to report more than one, each top-level
    declaration (a line that starts with a declaration keyword) is then parsed alone.
    """
    from .checker import check
    from .extends import derive
    from .parser import parse
    from .policy import find_parent

    try:
        tree = parse(text, filename)
    except PolicyError as error:
        return _syntax_errors(text, filename, list(error.diagnostics)), None
    try:
        merged, inherited = derive(tree, text, find_parent, parse)
        checked = check(merged, text, inherited)
    except PolicyError as error:
        return list(error.diagnostics), None
    except TitlerulesError as error:
        return [Diagnostic(filename, 1, 1, str(error), error.code)], None
    return analyse(checked, merged, dict(inherited)), checked


def _syntax_errors(text: str, filename: str, first: list[Diagnostic]) -> list[Diagnostic]:
    from .parser import parse

    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith(_DECLARATION_KEYWORDS)]
    if len(starts) < 2:
        return first
    found: list[Diagnostic] = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        # Blank lines before the declaration keep its line numbers those of the file.
        chunk = "\n" * start + "".join(lines[start:end])
        try:
            parse(chunk, filename)
        except PolicyError as error:
            found.extend(d for d in error.diagnostics if d.line <= end)
    if not found:
        return first
    return sorted(found, key=lambda d: (d.line, d.column))
