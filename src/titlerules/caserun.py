"""Running case files, and what they cover of a policy (``titlerules test``).

A *branch* is one way a piece of a policy can decide:

- each outcome a rule or child can produce (``finding``);
- each ``exception`` deciding;
- each outcome of each ``require`` (``pass``, ``fail``, ``action``, ``unknown``), and
  ``skipped`` when its ``when`` is false.

Coverage counts the branches some case reached, by tracing evaluation
(:meth:`CompiledPolicy.run` with ``trace``). A branch can be *unreachable*, and then it is
reported apart, with the proof, instead of as "not covered":

- *by the parameters*: e.g. ``exception exempt when y <= ce_exempt_through`` when ``y``
  only takes the years of ``ce_years`` (2020, 2021) and the parameter is 2019;
- *by the schema*: e.g. ``unknown`` for a requirement that reads only facts with a default;
- *contradictory*: a condition that can never hold (``titlerules check`` warns of those).

The proofs come from :mod:`analysis` (intervals and finite sets of values); what it cannot
model counts as reachable, so an unreachable branch is never one a case could reach.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from . import ir
from . import valuetypes as t
from .analysis import BlockSite, Reasoner, Values, _comparable, blocks, describe, fact_domains
from .cases import CASES_SUFFIX, Case, CaseFile, CaseFileError, check_case, load_case_file
from .errors import TitlerulesError
from .policy import Policy, load_policy

# ---- finding and running case files -----------------------------------------------------------------


def find_case_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The case files named by ``paths``: case files, folders (searched), or policies
    (their ``NAME.cases.yaml``)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(path.rglob("*" + CASES_SUFFIX)))
        elif path.name.endswith(".policy"):
            sibling = path.with_name(path.name.removesuffix(".policy") + CASES_SUFFIX)
            if not sibling.is_file():
                raise CaseFileError(f"{path}: no case file beside it ({sibling.name})")
            found.append(sibling)
        elif path.is_file():
            found.append(path)
        else:
            raise CaseFileError(f"{path}: no such file or folder")
    return list(dict.fromkeys(found))


@attrs.frozen
class CaseResult:
    """One case run: what went wrong (nothing when it passed) and, if traced, what decided."""

    case: Case
    problems: tuple[str, ...]
    trace: tuple[tuple[str, Any, str], ...] = ()

    @property
    def passed(self) -> bool:
        """Whether the policy decided as the case expects."""
        return not self.problems


@attrs.frozen
class FileResult:
    """The cases of one file run against their policy."""

    cases: CaseFile
    policy: Policy
    results: tuple[CaseResult, ...]


def run_case_file(path: str | os.PathLike[str], trace: bool = False) -> FileResult:
    """Run every case of a file; with ``trace``, record what decided each one."""
    loaded = load_case_file(path)
    policy = load_policy(loaded.policy_path)
    results = []
    for case in loaded.cases:
        problems = tuple(check_case(policy, case))
        results.append(CaseResult(case, problems, traced(policy, case) if trace else ()))
    return FileResult(loaded, policy, tuple(results))


def traced(policy: Policy, case: Case) -> tuple[tuple[str, Any, str], ...]:
    """What decided each finding of ``case`` (nothing for a case expecting an input error)."""
    record: list[tuple[str, Any, str]] = []
    try:
        document, _ = policy.validator.validate(case.document)
        policy.compiled.run(document, case.as_of, record)
    except TitlerulesError:
        return ()
    return tuple(record)


# ---- branches ------------------------------------------------------------------------------------------


def site_key(span: Any) -> tuple[Any, ...]:
    """A span as a key that tells apart files (a derived policy's parent)."""
    return (span.file, span.line, span.column, span.end_line, span.end_column)


@attrs.frozen
class Branch:
    """One way a block of a rule can decide."""

    rule: str
    block: str  # rule id, then child names or loop variables
    kind: str  # finding | exception | require
    outcome: str
    text: str  # the statement, as written (parameters by name)
    line: int
    file: str | None
    site: tuple[Any, ...]
    unreachable: str | None = None  # why no document can reach it

    @property
    def label(self) -> str:
        """How a report names the branch."""
        if self.kind == "finding":
            return f"{self.block} -> {self.outcome}"
        return f"{self.block}: {self.text} -> {self.outcome}"


def branches(policy: ir.CheckedPolicy) -> list[Branch]:
    """Every branch of every rule, each marked with why it is unreachable if it is."""
    out: list[Branch] = []
    domains = fact_domains(policy)
    for rule in policy.rules:
        sites = list(blocks(rule))
        found: dict[str, list[Branch]] = {}
        findings: dict[str, list[Branch]] = {}
        for site in reversed(sites):  # children first: a block's outcomes come from theirs
            found[site.path] = _BlockBranches(policy, rule, site, domains).branches(findings)
            findings[site.path] = [b for b in found[site.path] if b.kind == "finding"]
        for site in sites:
            out.extend(found[site.path])
    return out


class _BlockBranches:
    def __init__(self, policy: ir.CheckedPolicy, rule: ir.Rule, site: BlockSite, domains: Mapping[str, Values]) -> None:
        self.policy = policy
        self.rule = rule
        self.site = site
        self.loop_reasons: list[str] = []
        loop_domains = dict(domains)
        for var, iterable in site.loops:
            values = _constant_items(iterable)
            if values is not None:
                item = iterable.type.item if isinstance(iterable.type, t.ListType) and iterable.type.item else t.ANY
                loop_domains[var] = Values(allowed=frozenset(_comparable(v, item) for v in values))
                shown = ", ".join(str(v) for v in values)
                self.loop_reasons.append(f"{var} takes only {shown} (from {describe(iterable)})")
        self.with_params = Reasoner(loop_domains)
        self.without_params = Reasoner(domains)
        self.unknown_env = _unknown_env(site)

    def _branch(self, kind: str, outcome: str, text: str, span: Any, unreachable: str | None = None) -> Branch:
        return Branch(
            self.rule.id,
            self.site.path,
            kind,
            outcome,
            text,
            span.line,
            span.file,
            site_key(span),
            unreachable,
        )

    def _why_not(self, *conditions: tuple[ir.Expr, bool]) -> str | None:
        """``None`` if the conditions can hold together, else why not."""
        if self.with_params.can_hold(*conditions):
            return None
        if not self.without_params.can_hold(*conditions):
            return "contradictory: its conditions can never hold together"
        return "by the parameters: " + "; ".join(self.loop_reasons)

    def branches(self, children: Mapping[str, list[Branch]]) -> list[Branch]:
        block = self.site.block
        found: list[Branch] = []
        guards: list[tuple[ir.Expr, bool]] = []
        for exception in block.exceptions:
            text = f"exception {exception.outcome} when {describe(exception.condition)}"
            why = self._why_not((exception.condition, False))
            found.append(self._branch("exception", exception.outcome, text, exception.span, why))
            if self.with_params.atom(exception.condition) is not None:
                guards.append((exception.condition, True))
        for requirement in block.requirements:
            found.extend(self._requirement(requirement, guards))
        return [*self._findings(found, children), *found]

    def _requirement(self, r: ir.Requirement, guards: list[tuple[ir.Expr, bool]]) -> list[Branch]:
        text = "require " + describe(r.condition)
        if r.deadline is not None:
            text += f" by {describe(r.deadline)}"
        if r.when is not None:
            text += f" when {describe(r.when)}"
        context = list(guards)
        if r.when is not None:
            context.append((r.when, False))
        out = []
        for outcome in r.outcomes():
            why: str | None = None
            if outcome == "unknown":
                why = self._why_unknown_impossible(r)
            elif r.kind == "condition":
                why = self._why_not(*context, (r.condition, outcome != "pass"))
            else:
                why = self._why_not(*context)
            out.append(self._branch("require", outcome, text, r.span, why))
        if r.when is not None:
            out.append(self._branch("require", "skipped", text, r.span, self._why_not(*guards, (r.when, True))))
        return out

    def _why_unknown_impossible(self, r: ir.Requirement) -> str | None:
        parts = [r.deadline if r.kind == "step" else r.condition, r.when]
        if any(p is not None and may_be_unknown(p, self.unknown_env) for p in parts):
            return None
        if r.kind == "step":
            return "by the parameters: its deadline is always known, and a missing date means not done yet"
        return "by the schema: every fact it reads has a default, or is tested for presence first"

    def _findings(self, found: list[Branch], children: Mapping[str, list[Branch]]) -> list[Branch]:
        """The outcomes of the block's own finding, from the branches that can make them."""
        block = self.site.block
        reachable: dict[str, bool] = {}
        reasons: dict[str, set[str]] = {}

        def add(outcome: str, branch: Branch | None) -> None:
            ok = branch is None or branch.unreachable is None
            reachable[outcome] = reachable.get(outcome, False) or ok
            if not ok and branch is not None and branch.unreachable:
                reasons.setdefault(outcome, set()).add(branch.unreachable.removeprefix(_THROUGH))

        satisfied = {"pass", "exempt", "not_applicable", "skipped"}
        for b in found:
            if b.kind == "exception" or b.outcome in ("fail", "action", "unknown"):
                add(b.outcome, b)
        if any(may_be_unknown(e.condition, self.unknown_env) for e in block.exceptions):
            add("unknown", None)
        groups: list[list[Branch]] = []
        for spec in block.children:
            path = f"{self.site.path}.{spec.var if spec.var is not None else spec.name}"
            child = children.get(path, [])
            groups.append(child)
            for b in child:
                if b.outcome in ("fail", "action", "unknown"):
                    add(b.outcome, b)
            if spec.iterable is not None and may_be_unknown(spec.iterable, self.unknown_env):
                add("unknown", None)
        requirements: dict[tuple[Any, ...], list[Branch]] = {}
        for b in found:
            if b.kind == "require":
                requirements.setdefault(b.site, []).append(b)
        groups.extend(requirements.values())
        blocked = [g for g in groups if not any(b.outcome in satisfied and b.unreachable is None for b in g)]
        if not blocked:
            add("pass", None)
        else:
            for group in blocked:
                for b in group:
                    if b.outcome in satisfied:
                        add("pass", b)
            reachable.setdefault("pass", False)
        return [
            self._branch(
                "finding",
                outcome,
                "finding",
                block.span,
                None if ok else _THROUGH + "; ".join(sorted(reasons.get(outcome, ()))),
            )
            for outcome, ok in reachable.items()
        ]


_THROUGH = "only through unreachable branches: "


def _constant_items(iterable: ir.Expr) -> list[Any] | None:
    """The values a loop over ``iterable`` can take, when the policy fixes them."""
    if isinstance(iterable, (ir.Const, ir.Param)) and isinstance(iterable.value, (list, tuple)):
        return list(iterable.value)
    if isinstance(iterable, ir.TableGet):
        rows = [value for _, value in iterable.entries]
        if iterable.has_otherwise:
            rows.append(iterable.otherwise)
        if all(isinstance(r, (list, tuple)) for r in rows):
            return sorted({item for row in rows for item in row}, key=repr)
    if isinstance(iterable, ir.MakeList) and all(isinstance(i, (ir.Const, ir.Param)) for i in iterable.items):
        return [i.value for i in iterable.items]  # type: ignore[union-attr]
    return None


def _unknown_env(site: BlockSite) -> dict[str, bool]:
    env: dict[str, bool] = {var: False for var, _ in site.loops}
    for let in site.lets:
        env[let.name] = may_be_unknown(let.value, env)
    return env


def may_be_unknown(expr: ir.Expr, env: Mapping[str, bool], known: frozenset[str] = frozenset()) -> bool:
    """Whether ``expr`` can evaluate to unknown for some valid document (erring on yes).

    ``known`` names facts that cannot be absent where ``expr`` decides: in ``p is present
    and f(p)`` an absent ``p`` makes the conjunction false, whatever ``f(p)`` is.
    """
    if describe(expr) in known:
        return False
    if isinstance(expr, ir.Logic) and expr.op == "and":
        present = frozenset(
            describe(o.operand) for o in expr.operands if isinstance(o, ir.TestValue) and o.test == "present"
        )
        return any(may_be_unknown(o, env, known | present) for o in expr.operands)
    if isinstance(expr, (ir.Const, ir.Param)):
        return False
    if isinstance(expr, ir.AsOf):
        return True
    if isinstance(expr, (ir.Fact, ir.GetField)):
        if isinstance(expr, ir.GetField) and not expr.has_default:
            return True
        return not expr.has_default
    if isinstance(expr, ir.Local):
        return env.get(expr.name, True)
    if isinstance(expr, ir.TestValue):
        return expr.test in ("none", "not none") and may_be_unknown(expr.operand, env, known)
    if isinstance(expr, ir.TableGet):
        return may_be_unknown(expr.key, env, known) or not expr.has_otherwise
    if isinstance(expr, (ir.Quantify, ir.Comprehension)):
        inner = {**env, expr.var: False}
        parts = [expr.body] if isinstance(expr, ir.Quantify) else [expr.element, expr.condition]
        return may_be_unknown(expr.iterable, env, known) or any(
            p is not None and may_be_unknown(p, inner, known) for p in parts
        )
    if isinstance(expr, ir.Compare) and expr.op not in ("==", "!="):
        nullable = any(isinstance(side.type, (t.NullableType, t.NoneType)) for side in (expr.left, expr.right))
        if nullable:
            return True
    if isinstance(expr, (ir.GetItem, ir.Derived)):
        return True
    return any(may_be_unknown(child, env, known) for child in ir.children(expr))


# ---- coverage ------------------------------------------------------------------------------------------


@attrs.frozen
class BranchCoverage:
    """A branch and the cases that reached it."""

    branch: Branch
    cases: tuple[str, ...]

    @property
    def status(self) -> str:
        """``covered``, ``unreachable`` or ``not covered``."""
        if self.cases:
            return "covered"
        return "unreachable" if self.branch.unreachable else "not covered"


@attrs.frozen
class Coverage:
    """The branches of a policy and the cases that reached each."""

    policy: str
    branches: tuple[BranchCoverage, ...]

    def count(self, status: str) -> int:
        """How many branches have ``status``."""
        return sum(1 for b in self.branches if b.status == status)

    @property
    def reachable(self) -> int:
        """Branches some document could reach."""
        return len(self.branches) - self.count("unreachable")

    def by_rule(self) -> dict[str, list[BranchCoverage]]:
        """The branches grouped by rule, in policy order."""
        grouped: dict[str, list[BranchCoverage]] = {}
        for b in self.branches:
            grouped.setdefault(b.branch.rule, []).append(b)
        return grouped

    def to_dict(self) -> dict[str, Any]:
        """The coverage as JSON."""
        return {
            "policy": self.policy,
            "branches": len(self.branches),
            "reachable": self.reachable,
            "covered": self.count("covered"),
            "unreachable": self.count("unreachable"),
            "not_covered": self.count("not covered"),
            "rules": {
                rule: [
                    {
                        "block": b.branch.block,
                        "kind": b.branch.kind,
                        "statement": b.branch.text,
                        "outcome": b.branch.outcome,
                        "line": b.branch.line,
                        "status": b.status,
                        "cases": list(b.cases),
                        "unreachable": b.branch.unreachable,
                    }
                    for b in items
                ]
                for rule, items in self.by_rule().items()
            },
        }


def coverage(policy: Policy, results: Iterable[CaseResult]) -> Coverage:
    """Which cases reached each branch of ``policy``."""
    reached: dict[tuple[Any, ...], list[str]] = {}
    for result in results:
        for kind, span, outcome in result.trace:
            key = (*site_key(span), "finding" if kind == "block" else kind, outcome)
            names = reached.setdefault(key, [])
            if result.case.name not in names:
                names.append(result.case.name)
    items = []
    for branch in branches(policy.checked):
        cases = tuple(reached.get((*branch.site, branch.kind, branch.outcome), ()))
        if cases and branch.unreachable:
            # A case reached it: the proof was wrong. Say so rather than hide it.
            branch = attrs.evolve(branch, unreachable=None)
        items.append(BranchCoverage(branch, cases))
    return Coverage(policy.checked.filename, tuple(items))
