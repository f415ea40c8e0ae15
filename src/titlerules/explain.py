"""What to do next: counterfactuals, missing facts and outstanding steps, from the policy.

Nothing here is written per rule. For a finding that fails, the explainer works the
rule's checked IR backwards: each comparison, threshold, membership and quantifier that
decided becomes a change to the applicant's facts that would satisfy it (the smallest one
for a threshold), combined across ``and``/``or`` and across the items of ``each``/``no``.
Facts the policy marks ``fixed`` (fixed history: past dates, grades, findings) are never
changed; a deadline that has passed is never undone. Every proposed remedy is then checked
by evaluating the changed document through :meth:`Policy.evaluate`, and only those that
really stop the finding failing are kept. For an unknown finding it tries the values each
missing fact could take; for an action it says what is outstanding, by when.

The working backwards lives in :mod:`titlerules._counterfactual`; this module verifies what
it proposes, tries the missing facts, orders the steps and words them. The explanation is
computed on request (:meth:`Policy.explain`), never by ``evaluate``.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ._counterfactual import (
    REMOVED,
    SUPPLIED,
    Alternative,
    Analyzer,
    BlockRepairer,
    Change,
    Obstacle,
    Site,
    apply_changes,
    candidate_values,
    merge,
    parse_path,
    sites,
    thresholds,
)
from .decision import Decision, Finding, Message, Outcome, Verdict
from .runtime import UNKNOWN, to_json

if TYPE_CHECKING:
    from .policy import Policy

__all__ = [
    "REMOVED",
    "SATISFIED",
    "SUPPLIED",
    "Change",
    "Explanation",
    "MissingFact",
    "NextStep",
    "Obstacle",
    "Remedy",
    "apply_changes",
    "explain",
    "parse_path",
]

# Outcomes that no longer block the applicant.
SATISFIED = frozenset({Outcome.PASS, Outcome.NOT_APPLICABLE, Outcome.EXEMPT})
# How many remedies of a finding are re-evaluated, and how many values of missing facts
# are tried together.
_MAX_VERIFIED = 3
_MAX_COMBINATIONS = 96


@attrs.frozen
class Remedy:
    """A set of changes, and what re-evaluating the changed document gave."""

    changes: tuple[Change, ...]
    outcome: Outcome | None
    verdict: Verdict | None

    @property
    def verified(self) -> bool:
        """Whether the changes were re-evaluated (supplied facts without a value cannot be)."""
        return self.verdict is not None

    def to_dict(self) -> dict[str, Any]:
        """The remedy as JSON."""
        return {
            "changes": [c.to_dict() for c in self.changes],
            "outcome_after": str(self.outcome) if self.outcome else None,
            "verdict_after": str(self.verdict) if self.verdict else None,
        }


@attrs.frozen
class MissingFact:
    """A fact the finding needs, and the outcomes each value tried for it leads to (the
    other missing facts still absent)."""

    path: str
    leads_to: tuple[tuple[Outcome, tuple[Any, ...]], ...]

    def to_dict(self) -> dict[str, Any]:
        """The missing fact as JSON."""
        return {
            "path": self.path,
            "leads_to": [{"outcome": str(o), "values": [to_json(v) for v in vs]} for o, vs in self.leads_to],
        }


@attrs.frozen
class NextStep:
    """What to do next about one finding that blocks (fails, is outstanding or unknown).

    ``kind``: ``blocked`` (fails and no change can help: see ``obstacles``), ``change``
    (fails; ``remedies`` would make it pass), ``missing`` (unknown; see ``missing``),
    ``todo`` (an action: ``remedies`` say what is outstanding, ``deadline`` by when).
    """

    finding: str
    outcome: Outcome
    kind: str
    cite: str
    title: Message
    message: Message
    deadline: datetime.date | None
    remedies: tuple[Remedy, ...] = ()
    obstacles: tuple[Obstacle, ...] = ()
    missing: tuple[MissingFact, ...] = ()
    possible_outcomes: tuple[Outcome, ...] = ()
    advice: Message | None = None

    def to_dict(self) -> dict[str, Any]:
        """The next step as JSON."""
        return {
            "kind": self.kind,
            "advice": self.advice.to_dict() if self.advice else None,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "remedies": [r.to_dict() for r in self.remedies],
            "obstacles": [o.to_dict() for o in self.obstacles],
            "missing": [m.to_dict() for m in self.missing],
            "possible_outcomes": [str(o) for o in self.possible_outcomes],
        }


# Blocking order: what blocks the applicant most comes first.
_KIND_RANK = {"blocked": 0, "change": 1, "missing": 2, "todo": 3}


@attrs.frozen
class Explanation:
    """A decision with what to do next about each finding that blocks.

    ``steps`` are in blocking order: failures nothing can fix, failures a change fixes,
    missing facts, then outstanding actions by deadline. ``combined`` is every failing
    finding's first remedy applied at once and re-evaluated (``None`` when nothing fails
    or nothing can be changed).
    """

    decision: Decision
    steps: tuple[NextStep, ...]
    by_finding: tuple[tuple[str, NextStep], ...]
    combined: Remedy | None

    def step(self, finding: str) -> NextStep:
        """The next step of a finding id (``continuing_education.2020``); ``KeyError`` if it
        does not block."""
        for rule, step in self.by_finding:
            if rule == finding:
                return step
        raise KeyError(finding)

    @property
    def summary(self) -> Message:
        """One line: how many items block, of which kind, and what the changes would give."""
        counts = {kind: sum(1 for s in self.steps if s.kind == kind) for kind in _KIND_RANK}
        zh_names = {"blocked": "无法补救", "change": "可改正", "missing": "缺少信息", "todo": "待办"}
        en_names = {"blocked": "cannot be remedied", "change": "can be changed", "missing": "missing facts"}
        en_names["todo"] = "to do"
        zh = "，".join(f"{zh_names[k]}{n}项" for k, n in counts.items() if n) or "无待办事项"
        en = ", ".join(f"{en_names[k]}: {n}" for k, n in counts.items() if n) or "nothing outstanding"
        if self.combined is not None and self.combined.verdict is not None:
            zh += f"；按建议修改后结论为 {self.combined.verdict}"
            en += f"; with the suggested changes the verdict would be {self.combined.verdict}"
        return Message(zh, en)

    def to_dict(self) -> dict[str, Any]:
        """The decision's JSON (docs/contract.md) with a ``next`` key on every blocking
        finding and a ``next_steps`` section: blocking order, summary, combined changes."""
        out = self.decision.to_dict()
        steps = dict(self.by_finding)

        def annotate(findings: list[dict[str, Any]]) -> None:
            for finding in findings:
                step = steps.get(finding["rule"])
                if step is not None:
                    finding["next"] = step.to_dict()
                annotate(finding["children"])

        annotate(out["findings"])
        out["next_steps"] = {
            "order": [s.finding for s in self.steps],
            "summary": self.summary.to_dict(),
            "combined": self.combined.to_dict() if self.combined else None,
        }
        return out


def _missing(analyzer: Analyzer, site: Site) -> tuple[tuple[MissingFact, ...], tuple[Outcome, ...]]:
    finding = site.finding
    facts: list[tuple[str, list[Any]]] = []
    for text in finding.missing:
        parsed = parse_path(analyzer.schema, text)
        if parsed is None:
            # Not a key of the document (``as_of``): reported, with no values to try.
            facts.append((text, []))
            continue
        facts.append((text, candidate_values(parsed[1], thresholds(analyzer, site, parsed[0]))))

    def outcome_with(assigned: Sequence[tuple[str, Any]]) -> Outcome | None:
        changes = [Change(path, UNKNOWN, value) for path, value in assigned]
        decision = analyzer.reevaluate(changes)
        if decision is None:
            return None
        # A child that stood for an unknown list (continuing_education.y) is replaced by
        # the list's children once the fact is given: read its parent instead.
        rule = finding.rule
        while True:
            try:
                return decision.finding(rule).outcome
            except KeyError:
                if "." not in rule:
                    return None
                rule = rule.rsplit(".", 1)[0]

    missing: list[MissingFact] = []
    for path, values in facts:
        groups: dict[Outcome, list[Any]] = {}
        for value in values:
            outcome = outcome_with([(path, value)])
            if outcome is not None:
                groups.setdefault(outcome, []).append(value)
        ordered = sorted(groups.items(), key=lambda item: _OUTCOME_ORDER.index(item[0]))
        missing.append(MissingFact(path, tuple((o, tuple(vs)) for o, vs in ordered)))
    # Together: every combination while they are few; else one value of each outcome
    # group of each fact.
    choices = [values for _, values in facts]
    if math.prod(len(v) for v in choices) > _MAX_COMBINATIONS:
        choices = [[vs[0] for _, vs in fact.leads_to] or [None] for fact in missing]
    possible: set[Outcome] = set()
    if facts:
        for combination in itertools.islice(itertools.product(*choices), _MAX_COMBINATIONS):
            outcome = outcome_with(list(zip((p for p, _ in facts), combination, strict=True)))
            if outcome is not None:
                possible.add(outcome)
    if len(possible) > 1:
        possible.discard(Outcome.UNKNOWN)
    return tuple(missing), tuple(o for o in _OUTCOME_ORDER if o in possible)


_OUTCOME_ORDER = [
    Outcome.FAIL,
    Outcome.UNKNOWN,
    Outcome.ACTION,
    Outcome.PASS,
    Outcome.NOT_APPLICABLE,
    Outcome.EXEMPT,
]


# ---- putting it together ---------------------------------------------------------------------------


def _verify(analyzer: Analyzer, finding: str, alternatives: list[Alternative]) -> list[Remedy]:
    remedies: list[Remedy] = []
    for alternative in alternatives:
        if not alternative:
            continue
        if any(c.kind == "supply" for c in alternative):
            remedies.append(Remedy(alternative, None, None))
            continue
        decision = analyzer.reevaluate(alternative)
        if decision is None:
            continue
        try:
            outcome = decision.finding(finding).outcome
        except KeyError:
            outcome = Outcome.NOT_APPLICABLE
        remedies.append(Remedy(alternative, outcome, decision.verdict))
        if len([r for r in remedies if r.verified]) >= _MAX_VERIFIED:
            break
    return remedies


def _step(analyzer: Analyzer, site: Site) -> NextStep:
    finding = site.finding
    base = NextStep(
        finding.rule, finding.outcome, "missing", finding.cite, finding.title, finding.message, finding.deadline
    )
    if finding.outcome is Outcome.UNKNOWN or site.block is None:
        missing, possible = _missing(analyzer, site)
        listed = ", ".join(m.path for m in missing)
        advice = Message(f"补充：{'、'.join(m.path for m in missing)}", f"supply: {listed}")
        return attrs.evolve(base, kind="missing", missing=missing, possible_outcomes=possible, advice=advice)
    repairer = BlockRepairer(analyzer)
    alternatives = repairer.block(site.block, site.env, analyzer.normalised)
    remedies = _verify(analyzer, finding.rule, alternatives)
    if finding.outcome is Outcome.ACTION:
        # Only remedies that really complete the action (or supply what it waits for).
        done = [r for r in remedies if not r.verified or r.outcome in SATISFIED]
        return attrs.evolve(base, kind="todo", remedies=tuple(done), advice=_todo_advice(done, finding))
    good = [r for r in remedies if r.outcome in SATISFIED]
    better = good or [r for r in remedies if r.verified and r.outcome is not Outcome.FAIL]
    if better:
        return attrs.evolve(base, kind="change", remedies=tuple(better), advice=_change_advice(better[0]))
    obstacles = _unique_obstacles(repairer.obstacles)
    if not obstacles:
        obstacles = (
            Obstacle(
                "unsolvable",
                "",
                (),
                None,
                Message("找不到能使该项通过的修改", "no change to the applicant's facts makes this pass"),
            ),
        )
    advice = Message(
        "无法通过修改补救：" + "；".join(o.message.zh for o in obstacles),
        "cannot be remedied: " + "; ".join(o.message.en for o in obstacles),
    )
    return attrs.evolve(base, kind="blocked", obstacles=obstacles, advice=advice)


def _unique_obstacles(obstacles: list[Obstacle]) -> tuple[Obstacle, ...]:
    unique: list[Obstacle] = []
    for obstacle in obstacles:
        if obstacle not in unique:
            unique.append(obstacle)
    # A fixed fact or a passed deadline explains more than a condition found unsolvable.
    decisive = [o for o in unique if o.kind != "unsolvable"] or unique
    # A whole fixed record says less than the fixed fields of it that decided.
    paths = [path for o in decisive for path, _ in o.facts]

    def covered(obstacle: Obstacle) -> bool:
        return bool(obstacle.facts) and all(
            any(other.startswith(path + ".") for other in paths) for path, _ in obstacle.facts
        )

    return tuple(o for o in decisive if not covered(o))


def _change_advice(remedy: Remedy) -> Message:
    zh = "；".join(c.text("zh") for c in remedy.changes)
    en = "; ".join(c.text("en") for c in remedy.changes)
    return Message(f"改为：{zh}", f"change: {en}")


def _todo_advice(remedies: list[Remedy], finding: Finding) -> Message:
    due_zh = f"（{finding.deadline.isoformat()}前）" if finding.deadline else ""
    due_en = f" by {finding.deadline.isoformat()}" if finding.deadline else ""
    if not remedies:
        return Message(f"待办{due_zh}：{finding.message.zh}", f"to do{due_en}: {finding.message.en}")
    changes = remedies[0].changes
    return Message(
        f"待办{due_zh}：" + "；".join(c.text("zh") for c in changes),
        f"to do{due_en}: " + "; ".join(c.text("en") for c in changes),
    )


def _blocking_sites(sites: list[Site]) -> list[Site]:
    """The findings the summary lists: each blocking finding none of whose children blocks."""
    blocking = [s for s in sites if s.finding.outcome not in SATISFIED]
    chosen = []
    for site in blocking:
        if not any(c.outcome not in SATISFIED for c in site.finding.children):
            chosen.append(site)
    return chosen


def _order_key(step: NextStep, position: int) -> tuple[int, int, datetime.date, int]:
    rank = _KIND_RANK[step.kind]
    changes = len(step.remedies[0].changes) if step.remedies else 0
    deadline = step.deadline or datetime.date.max
    return rank, changes if step.kind == "change" else 0, deadline, position


def _combine(analyzer: Analyzer, steps: list[NextStep]) -> Remedy | None:
    """Every failing finding's remedies at once, re-evaluated: the combination (from each
    finding's alternatives, few enough to try) that leaves the fewest failures."""
    options = [[r.changes for r in s.remedies if r.verified][:3] for s in steps if s.kind == "change"]
    options = [o for o in options if o]
    if not options:
        return None
    best: tuple[tuple[int, int, int], Remedy] | None = None
    for count, choice in enumerate(itertools.product(*options)):
        if count >= 27:
            break
        merged: Alternative = ()
        for changes in choice:
            merged = merge(merged, changes)
        decision = analyzer.reevaluate(merged)
        if decision is None:
            continue
        fails = sum(1 for f in decision.findings if f.outcome is Outcome.FAIL)
        rank = (fails, _VERDICT_RANK[decision.verdict], len(merged))
        if best is None or rank < best[0]:
            best = (rank, Remedy(merged, None, decision.verdict))
    return best[1] if best else None


_VERDICT_RANK = {Verdict.ELIGIBLE: 0, Verdict.PENDING: 1, Verdict.UNDETERMINED: 2, Verdict.INELIGIBLE: 3}


def explain(policy: Policy, document: Any, decision: Decision) -> Explanation:
    """The explanation of ``decision``, the decision of ``policy`` on ``document``."""
    analyzer = Analyzer(policy, document, decision)
    found = list(sites(analyzer))
    by_finding: list[tuple[str, NextStep]] = []
    for site in found:
        if site.finding.outcome in (Outcome.FAIL, Outcome.ACTION, Outcome.UNKNOWN):
            by_finding.append((site.finding.rule, _step(analyzer, site)))
    steps_by_id = dict(by_finding)
    listed = [steps_by_id[s.finding.rule] for s in _blocking_sites(found) if s.finding.rule in steps_by_id]
    ordered = [step for _, step in sorted(enumerate(listed), key=lambda p: _order_key(p[1], p[0]))]
    return Explanation(decision, tuple(ordered), tuple(by_finding), _combine(analyzer, ordered))
