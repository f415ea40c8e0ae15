"""``titlerules diff``: what changed between two policies, and for whom.

The text of the two policies is compared declaration by declaration after each is
merged with its parent (:mod:`extends`): the header, parameters and tables (by their
values), the schema, the clauses, and each rule twice: its logic (everything but its
texts) and its messages. A rule whose logic is unchanged but which reads a changed
parameter, table or the application year is listed as affected, not as changed.

The behavioural part evaluates applicant documents under both policies and reports the
ones whose verdict changes, with the rules whose outcomes changed. Without documents it
searches for one with Hypothesis (:func:`search`), over documents drawn from the
schema with values near both policies' constants, and shrinks what it finds.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from . import ir
from . import nodes as n
from .analysis import _constant_text, block_exprs, blocks, walk
from .checker import check
from .decision import Decision
from .docgen import template_text as ir_template_text
from .errors import PolicyNotFoundError, TitlerulesError
from .extends import derive
from .formatter import template_text
from .parser import parse
from .policy import POLICY_SUFFIX, Policy, bundled_policies, find_parent, read_policy_file


@attrs.frozen
class Loaded:
    """A policy with the merged AST it was checked from."""

    name: str
    policy: Policy
    tree: n.PolicyFile


def load(name: str) -> Loaded:
    """Load a policy (bundled id or path, as :func:`load_policy`) keeping its merged AST."""
    if name.endswith(POLICY_SUFFIX) or os.sep in name or "/" in name or os.path.isfile(name):
        text, filename = read_policy_file(name), name
    else:
        bundled = bundled_policies()
        if name not in bundled:
            raise PolicyNotFoundError(name, "no bundled policy or file of that name", list(bundled))
        text, filename = bundled[name], f"{name}{POLICY_SUFFIX}"
    tree, inherited = derive(parse(text, filename), text, find_parent, parse)
    return Loaded(name, Policy(check(tree, text, inherited)), tree)


# ---- what changed in the text ------------------------------------------------------------------------


@attrs.frozen
class Change:
    """One difference between the policies."""

    kind: str  # header, parameter, table, schema, clause, rule, message, output, derived
    name: str
    change: str  # added, removed, changed, affected
    old: str | None = None
    new: str | None = None

    def render(self) -> str:
        """One line (two for a changed message)."""
        if self.change == "added":
            return f"+ {self.kind} {self.name}" + (f" = {self.new}" if self.new is not None else "")
        if self.change == "removed":
            return f"- {self.kind} {self.name}" + (f" = {self.old}" if self.old is not None else "")
        if self.change == "affected":
            return f"~ {self.kind} {self.name}: logic unchanged, reads changed {self.new}"
        if self.kind in ("message", "clause", "header") and self.old and self.new:
            return f"~ {self.kind} {self.name}\n    - {self.old}\n    + {self.new}"
        return f"~ {self.kind} {self.name}: {self.old} -> {self.new}"

    def to_dict(self) -> dict[str, Any]:
        """The change as JSON."""
        return attrs.asdict(self)


def changes(old: Loaded, new: Loaded) -> list[Change]:
    """Every difference between two policies' texts, in policy order."""
    out: list[Change] = []
    out += _header(old.policy.checked, new.policy.checked)
    out += _named(
        "parameter",
        {p.name: _constant_text(p.value) for p in old.policy.checked.params},
        {p.name: _constant_text(p.value) for p in new.policy.checked.params},
    )
    out += _named("table", _tables(old.policy.checked), _tables(new.policy.checked))
    out += _declarations("schema", old.tree, new.tree, (n.EnumDecl, n.TypeDecl, n.FactsDecl))
    out += _clauses(old.tree, new.tree)
    out += _declarations("derived", old.tree, new.tree, (n.LetDecl,))
    out += _declarations("output", old.tree, new.tree, (n.OutputDecl,))
    changed_values = {c.name for c in out if c.kind in ("parameter", "table")}
    if old.policy.checked.year != new.policy.checked.year:
        changed_values.add("application_year")
    out += _rules(old, new, changed_values)
    return out


def _header(old: ir.CheckedPolicy, new: ir.CheckedPolicy) -> Iterator[Change]:
    for field in ("id", "document", "issuer", "year"):
        a, b = getattr(old, field), getattr(new, field)
        if a != b:
            yield Change("header", field, "changed", str(a), str(b))
    a_title = (old.title.zh, old.title.en) if old.title else None
    b_title = (new.title.zh, new.title.en) if new.title else None
    if a_title != b_title:
        yield Change("header", "title", "changed", _message(old.title), _message(new.title))


def _message(message: ir.Message | None) -> str | None:
    if message is None:
        return None
    return f"zh {ir_template_text(message.zh)!r} en {ir_template_text(message.en)!r}"


def _tables(policy: ir.CheckedPolicy) -> dict[str, str]:
    out = {}
    for table in policy.tables:
        rows = [f"{k}: {_constant_text(v)}" for k, v in table.entries]
        if table.has_otherwise:
            rows.append(f"else {_constant_text(table.otherwise)}")
        out[table.name] = "{" + ", ".join(rows) + "}"
    return out


def _named(kind: str, old: Mapping[str, str], new: Mapping[str, str]) -> Iterator[Change]:
    for name, value in old.items():
        if name not in new:
            yield Change(kind, name, "removed", value)
        elif new[name] != value:
            yield Change(kind, name, "changed", value, new[name])
    for name, value in new.items():
        if name not in old:
            yield Change(kind, name, "added", None, value)


def _clauses(old: n.PolicyFile, new: n.PolicyFile) -> Iterator[Change]:
    for change in _declarations("clause", old, new, (n.ClauseDecl,)):
        if change.change == "changed":
            a = next(d for d in old.declarations if isinstance(d, n.ClauseDecl) and d.id == change.name)
            b = next(d for d in new.declarations if isinstance(d, n.ClauseDecl) and d.id == change.name)
            change = attrs.evolve(change, old=_clause_text(a), new=_clause_text(b))
        yield change


def _clause_text(clause: n.ClauseDecl) -> str:
    parts = [f"{clause.heading or ''} {clause.quote or ''}".strip()]
    parts += [f"unchecked: {template_text(u.zh)}" for u in clause.unchecked]
    return " | ".join(parts)


def _decl_name(decl: n.Declaration) -> str:
    if isinstance(decl, n.FactsDecl):
        return "facts"
    if isinstance(decl, (n.ClauseDecl, n.RuleDecl)):
        return decl.id
    return str(getattr(decl, "name", ""))


def _declarations(kind: str, old: n.PolicyFile, new: n.PolicyFile, types: tuple[type, ...]) -> Iterator[Change]:
    a = {_decl_name(d): d for d in old.declarations if isinstance(d, types)}
    b = {_decl_name(d): d for d in new.declarations if isinstance(d, types)}
    for name, decl in a.items():
        if name not in b:
            yield Change(kind, name, "removed")
        elif b[name] != decl:
            yield Change(kind, name, "changed", "(as written before)", "(as written now)")
    for name in b:
        if name not in a:
            yield Change(kind, name, "added")


# ---- rules: logic and messages apart ---------------------------------------------------------------


def _texts(rule: n.RuleDecl) -> dict[str, n.Text]:
    """Every text of a rule, by where it stands: ``continuing_education.y exception exempt``."""
    out: dict[str, n.Text] = {}
    if rule.note is not None:
        out[f"{rule.id} note"] = rule.note

    def visit(path: str, block: n.Block) -> None:
        if block.title is not None:
            out[f"{path} title"] = block.title
        if block.pass_message is not None:
            out[f"{path} pass"] = block.pass_message
        count: dict[str, int] = {}
        for stmt in block.statements:
            if isinstance(stmt, n.ExceptionStmt) and stmt.message is not None:
                out[f"{path} exception {stmt.outcome}"] = stmt.message
            elif isinstance(stmt, n.RequireStmt):
                for message in stmt.messages:
                    count[message.outcome] = count.get(message.outcome, 0) + 1
                    number = count[message.outcome]
                    suffix = f" #{number}" if number > 1 else ""
                    out[f"{path} {message.outcome}{suffix}"] = message.text
            elif isinstance(stmt, n.EachChild):
                visit(f"{path}.{stmt.var}", stmt.body)
            elif isinstance(stmt, n.NamedChild):
                visit(f"{path}.{stmt.name}", stmt.body)

    visit(rule.id, rule.body)
    return out


def _without_texts(node: Any) -> Any:
    """``node`` with every bilingual text blanked: what is left is the rule's logic."""
    if isinstance(node, n.Text):
        return None
    if isinstance(node, n.OutcomeMessage):
        return None
    if isinstance(node, tuple):
        return tuple(x for x in (_without_texts(item) for item in node) if x is not None)
    if not attrs.has(type(node)) or isinstance(node, n.Span):
        return node
    changes = {}
    for field in attrs.fields(type(node)):
        value = getattr(node, field.name)
        if isinstance(value, (n.Text, n.OutcomeMessage, tuple)) or attrs.has(type(value)):
            changes[field.name] = _without_texts(value)
    return attrs.evolve(node, **changes)


def _text_value(text: n.Text) -> str:
    return f"zh {template_text(text.zh)} en {template_text(text.en)}"


def _reads(rule: ir.Rule, tree_rule: n.RuleDecl) -> set[str]:
    """The parameters, tables and built-in values a rule reads."""
    names: set[str] = set()
    for site in blocks(rule):
        exprs = block_exprs(site.block)
        for expr in exprs:
            for e in walk(expr):
                if isinstance(e, ir.Param):
                    names.add(e.name)
                elif isinstance(e, ir.TableGet):
                    names.add(e.table)
    if "application_year" in _names(tree_rule):
        names.add("application_year")
    return names


def _names(node: Any) -> set[str]:
    if isinstance(node, n.Name):
        return {node.name}
    if isinstance(node, tuple):
        return set().union(*(_names(x) for x in node)) if node else set()
    if not attrs.has(type(node)) or isinstance(node, n.Span):
        return set()
    found: set[str] = set()
    for field in attrs.fields(type(node)):
        found |= _names(getattr(node, field.name))
    return found


def _rules(old: Loaded, new: Loaded, changed_values: set[str]) -> Iterator[Change]:
    a = {d.id: d for d in old.tree.declarations if isinstance(d, n.RuleDecl)}
    b = {d.id: d for d in new.tree.declarations if isinstance(d, n.RuleDecl)}
    checked = {r.id: r for r in new.policy.checked.rules}
    for rule_id, decl in a.items():
        if rule_id not in b:
            yield Change("rule", rule_id, "removed")
            continue
        other = b[rule_id]
        if _without_texts(decl) != _without_texts(other):
            yield Change("rule", rule_id, "changed", "(logic as written before)", "(logic as written now)")
        else:
            read = sorted(_reads(checked[rule_id], other) & changed_values)
            if read:
                yield Change("rule", rule_id, "affected", None, ", ".join(read))
        old_texts, new_texts = _texts(decl), _texts(other)
        for where, text in old_texts.items():
            if where not in new_texts:
                yield Change("message", where, "removed", _text_value(text))
            elif new_texts[where] != text:
                yield Change("message", where, "changed", _text_value(text), _text_value(new_texts[where]))
        for where, text in new_texts.items():
            if where not in old_texts:
                yield Change("message", where, "added", None, _text_value(text))
    for rule_id in b:
        if rule_id not in a:
            yield Change("rule", rule_id, "added")


# ---- what changes for applicants ---------------------------------------------------------------------


@attrs.frozen
class Applicant:
    """A document, when it is evaluated, and where it came from."""

    source: str
    document: Any
    as_of: datetime.date | None


@attrs.frozen
class VerdictChange:
    """An applicant whose verdict differs between the policies, and the rules why."""

    applicant: Applicant
    old: str
    new: str
    rules: tuple[tuple[str, str, str], ...]  # rule id, old outcome, new outcome

    def to_dict(self) -> dict[str, Any]:
        """The change as JSON."""
        return {
            "source": self.applicant.source,
            "as_of": self.applicant.as_of.isoformat() if self.applicant.as_of else None,
            "document": self.applicant.document,
            "old": self.old,
            "new": self.new,
            "rules": [{"rule": r, "old": a, "new": b} for r, a, b in self.rules],
        }


def _decide(policy: Policy, applicant: Applicant) -> Decision | str:
    try:
        return policy.evaluate(applicant.document, as_of=applicant.as_of)
    except TitlerulesError as error:
        return f"error ({error.code})"


def compare(old: Policy, new: Policy, applicant: Applicant) -> VerdictChange | None:
    """How the verdict on ``applicant`` changes, if it does."""
    a, b = _decide(old, applicant), _decide(new, applicant)
    verdict_a = a if isinstance(a, str) else str(a.verdict)
    verdict_b = b if isinstance(b, str) else str(b.verdict)
    if verdict_a == verdict_b:
        return None
    rules: list[tuple[str, str, str]] = []
    if isinstance(a, Decision) and isinstance(b, Decision):
        before = {f.rule: str(f.outcome) for f in a.findings}
        after = {f.rule: str(f.outcome) for f in b.findings}
        for rule in dict.fromkeys([*before, *after]):
            if before.get(rule) != after.get(rule):
                rules.append((rule, before.get(rule, "-"), after.get(rule, "-")))
    return VerdictChange(applicant, verdict_a, verdict_b, tuple(rules))


def over(old: Policy, new: Policy, applicants: Iterable[Applicant]) -> tuple[int, list[VerdictChange]]:
    """How many applicants were compared, and those whose verdict changes."""
    count = 0
    changed = []
    for applicant in applicants:
        count += 1
        change = compare(old, new, applicant)
        if change is not None:
            changed.append(change)
    return count, changed


# ---- searching for an applicant whose verdict changes --------------------------------------------------


def search(
    old: Policy, new: Policy, seeds: Sequence[Applicant] = (), max_examples: int = 500
) -> tuple[int, VerdictChange | None]:
    """Search documents (and ``as_of`` dates) for one whose verdict differs; shrink it.

    ``seeds`` are documents to search around (:func:`strategies.applicants`). Returns
    how many documents were tried and the simplest change found, or ``None``.
    """
    from hypothesis import HealthCheck, Phase, find, settings
    from hypothesis.errors import NoSuchExample

    from .strategies import applicants

    tried = 0

    def differs(example: tuple[Any, datetime.date | None]) -> bool:
        nonlocal tried
        tried += 1
        document, as_of = example
        return compare(old, new, Applicant("search", document, as_of)) is not None

    strategy = applicants([old.checked, new.checked], [(a.document, a.as_of) for a in seeds])
    config = settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    try:
        document, as_of = find(strategy, differs, settings=config)
    except NoSuchExample:
        return tried, None
    return tried, compare(old, new, Applicant("search", _minimal(old, new, document, as_of), as_of))


def _minimal(old: Policy, new: Policy, document: dict[str, Any], as_of: datetime.date | None) -> dict[str, Any]:
    """``document`` with every top-level fact removed whose absence keeps the verdicts apart."""
    key = old.checked.key_field
    current = dict(document)
    for name in list(current):
        if name == key:
            continue
        trial = {k: v for k, v in current.items() if k != name}
        if compare(old, new, Applicant("search", trial, as_of)) is not None:
            current = trial
    return current
