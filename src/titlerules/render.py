"""Decisions as text for a person: the verdict first, then what blocks, then what passed.

Every renderer (this one, :mod:`render_md`, :mod:`render_html`, :mod:`report`) reads the
decision's JSON (``Decision.to_dict()`` or ``Explanation.to_dict()``), so a decision
stored as a JSON line renders exactly as a fresh one. :func:`reading` puts a decision in
reading order once; the formats only lay it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs

from .decision import Decision, Outcome, Verdict
from .explain import Explanation

VERDICT_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        Verdict.ELIGIBLE: "符合申报条件",
        Verdict.INELIGIBLE: "不符合申报条件",
        Verdict.PENDING: "尚有事项待办",
        Verdict.UNDETERMINED: "信息不全，暂无法判定",
    },
    "en": {
        Verdict.ELIGIBLE: "eligible",
        Verdict.INELIGIBLE: "ineligible",
        Verdict.PENDING: "pending: steps are outstanding",
        Verdict.UNDETERMINED: "undetermined: facts are missing",
    },
}

MARKS = {
    Outcome.FAIL: "✗",
    Outcome.ACTION: "!",
    Outcome.UNKNOWN: "?",
    Outcome.PASS: "✓",
    Outcome.NOT_APPLICABLE: "-",
    Outcome.EXEMPT: "-",
}

_SECTIONS = (
    (Outcome.FAIL, {"zh": "不符合", "en": "Failed"}),
    (Outcome.ACTION, {"zh": "待办", "en": "To do"}),
    (Outcome.UNKNOWN, {"zh": "缺少信息", "en": "Missing facts"}),
    (Outcome.PASS, {"zh": "符合", "en": "Passed"}),
    (Outcome.NOT_APPLICABLE, {"zh": "不适用", "en": "Not applicable"}),
)

WORDS = {
    "zh": {
        "applicant": "申请人",
        "policy": "政策",
        "as_of": "评估日期",
        "deadline": "截止",
        "note": "解读",
        "blocking": "须处理（按阻碍程度排列）",
        "next": "下一步",
        "facts": "读取的事实",
        "missing": "缺少",
        "combined": "按建议修改后",
        "findings": "全部审查结果",
        "leads_to": "取值与结果",
        "verdict_after": "结论将为",
        "outcome_after": "该项将为",
        "other": "其他值",
    },
    "en": {
        "applicant": "Applicant",
        "policy": "Policy",
        "as_of": "as of",
        "deadline": "due",
        "note": "reading",
        "blocking": "What blocks, most first",
        "next": "next",
        "facts": "facts read",
        "missing": "missing",
        "combined": "With the suggested changes",
        "findings": "All findings",
        "leads_to": "values and outcomes",
        "verdict_after": "the verdict would be",
        "outcome_after": "this finding would be",
        "other": "other values",
    },
}


@attrs.frozen
class Item:
    """A finding in reading order: ``label`` is its title with its parent's."""

    finding: Mapping[str, Any]
    label: Mapping[str, str]
    depth: int

    @property
    def outcome(self) -> Outcome:
        """The finding's outcome."""
        return Outcome(self.finding["outcome"])

    @property
    def next(self) -> Mapping[str, Any] | None:
        """Its next step, when the decision is explained."""
        step: Mapping[str, Any] | None = self.finding.get("next")
        return step


@attrs.frozen
class Reading:
    """A decision in the order a person reads it."""

    decision: Mapping[str, Any]
    blocking: tuple[Item, ...]
    sections: tuple[tuple[Outcome, tuple[Item, ...]], ...]
    tree: tuple[Item, ...]
    outputs: tuple[tuple[str, str, Any], ...]

    @property
    def explained(self) -> bool:
        """Whether the decision carries next steps."""
        return "next_steps" in self.decision

    @property
    def verdict(self) -> Verdict:
        """The verdict."""
        return Verdict(self.decision["verdict"])


def as_dict(decision: Decision | Explanation | Mapping[str, Any]) -> Mapping[str, Any]:
    """The JSON form of a decision or an explanation."""
    if isinstance(decision, (Decision, Explanation)):
        return decision.to_dict()
    return decision


def _walk(findings: Iterable[Mapping[str, Any]], parent: Mapping[str, str] | None, depth: int) -> Iterator[Item]:
    for finding in findings:
        title = finding["title"]
        label = {lang: f"{parent[lang]} · {title[lang]}" if parent else title[lang] for lang in ("zh", "en")}
        yield Item(finding, label, depth)
        yield from _walk(finding.get("children", ()), label, depth + 1)


def reading(
    decision: Decision | Explanation | Mapping[str, Any],
    output_labels: Mapping[str, tuple[str, str]] | None = None,
) -> Reading:
    """Put a decision (object or JSON) in reading order."""
    data = as_dict(decision)
    tree = tuple(_walk(data["findings"], None, 0))
    top = [item for item in tree if item.depth == 0]
    by_id = {item.finding["rule"]: item for item in tree}
    if "next_steps" in data:
        blocking = tuple(by_id[rule] for rule in data["next_steps"]["order"] if rule in by_id)
        shown = {Outcome.PASS, Outcome.NOT_APPLICABLE}
    else:
        blocking = ()
        shown = {o for o, _ in _SECTIONS}
    sections = tuple(
        (outcome, tuple(i for i in top if i.outcome is outcome)) for outcome, _ in _SECTIONS if outcome in shown
    )
    known = {name for name in (output_labels or {})}
    reserved = {"applicant", "policy", "verdict", "findings", "as_of", "provenance", "warnings", "next_steps"}
    outputs = []
    for name, value in data.items():
        if name in reserved or (known and name not in known):
            continue
        if value in (None, [], {}):
            continue
        zh, en = (output_labels or {}).get(name, (name, name))
        outputs.append((zh, en, value))
    return Reading(data, blocking, tuple(s for s in sections if s[1]), tree, tuple(outputs))


def headline(view: Reading, lang: str) -> str:
    """``申请人 A-17：不符合申报条件 (ineligible)``."""
    words = WORDS[lang]
    sep = "：" if lang == "zh" else ": "
    applicant = view.decision.get("applicant") or "-"
    return f"{words['applicant']} {applicant}{sep}{VERDICT_WORDS[lang][view.verdict]} ({view.verdict})"


def meta_line(view: Reading, lang: str, document_number: str | None) -> str:
    """``政策 lishui-2021-crafts · 丽人社函〔2021〕150号 · 评估日期 2022-01-10``."""
    words = WORDS[lang]
    meta = [f"{words['policy']} {view.decision['policy']}"]
    if document_number:
        meta.append(document_number)
    if view.decision.get("as_of"):
        meta.append(f"{words['as_of']} {view.decision['as_of']}")
    return " · ".join(meta)


def change_text(change: Mapping[str, Any], lang: str) -> str:
    """A change of a remedy, as ``path: before -> after``."""
    before = plain(change["from"], lang) if change["from"] is not None else ("（无）" if lang == "zh" else "(none)")
    if change["kind"] == "remove":
        after = "（删除）" if lang == "zh" else "(remove)"
    elif change["kind"] == "supply":
        due = f" ≤ {change['by']}" if change.get("by") else ""
        after = f"（补充{due}）" if lang == "zh" else f"(give{due})"
    elif len(change.get("choices", ())) > 1:
        shown = ", ".join(plain(c, lang) for c in change["choices"][:4])
        more = ", …" if len(change["choices"]) > 4 else ""
        after = ("之一：" if lang == "zh" else "one of ") + shown + more
    else:
        after = plain(change["to"], lang)
    return f"{change['path']}: {before} -> {after}"


def next_lines(step: Mapping[str, Any], lang: str) -> list[str]:
    """What to do next about one finding, a line each: the remedies (the first is the
    smallest), the obstacles, or each missing fact with the outcomes its values lead to."""
    words = WORDS[lang]
    lines: list[str] = []
    kind = step["kind"]
    if kind in ("change", "todo"):
        for number, remedy in enumerate(step["remedies"]):
            changes = "; ".join(change_text(c, lang) for c in remedy["changes"])
            if number and kind == "change":
                lines.append(("或：" if lang == "zh" else "or: ") + changes)
            elif number == 0:
                lines.append(changes)
            after = remedy.get("outcome_after")
            if number == 0 and after and kind == "change":
                lines[-1] += f" ({words['outcome_after']} {after})"
    if kind == "blocked":
        lines.extend(o["message"][lang] for o in step["obstacles"])
    if kind == "missing":
        for fact in step["missing"]:
            groups = "; ".join(
                f"{_values(g['values'], lang)} → {g['outcome']}" for g in fact["leads_to"] if g["values"]
            )
            lines.append(f"{fact['path']}" + (f" ({groups})" if groups else ""))
    return lines


def _values(values: list[Any], lang: str) -> str:
    shown = [plain(v, lang) if v != "(other)" else WORDS[lang]["other"] for v in values[:4]]
    return ", ".join(shown) + (", …" if len(values) > 4 else "")


def plain(value: Any, lang: str) -> str:
    """A JSON value in a line of text."""
    sep = "，" if lang == "zh" else ", "
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        if set(value) >= {"zh", "en"}:
            return str(value[lang])
        return sep.join(f"{k} {plain(v, lang)}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        if not value:
            return "无" if lang == "zh" else "none"
        return ("；" if lang == "zh" else "; ").join(plain(v, lang) for v in value)
    return str(value)


def facts_text(finding: Mapping[str, Any], lang: str) -> str:
    """The facts a finding read, ``key = value`` separated."""
    sep = "；" if lang == "zh" else "; "
    return sep.join(f"{k} = {plain(v, lang)}" for k, v in finding.get("facts", {}).items())


# ---- plain text ------------------------------------------------------------------------------


def render_text(
    decision: Decision | Explanation | Mapping[str, Any],
    lang: str = "zh",
    output_labels: Mapping[str, tuple[str, str]] | None = None,
    document_number: str | None = None,
    verbose: bool = False,
) -> str:
    """A decision as plain text in ``lang`` (``zh`` or ``en``): the verdict line, what blocks
    (with what to do next, for an explanation), then what passed; ``verbose`` adds the
    whole findings tree with the facts each rule read."""
    view = reading(decision, output_labels)
    words = WORDS[lang]
    sep = "：" if lang == "zh" else ": "
    lines = [headline(view, lang), meta_line(view, lang, document_number)]
    if view.explained:
        lines.append(view.decision["next_steps"]["summary"][lang])
    if view.blocking:
        lines += ["", words["blocking"]]
        for item in view.blocking:
            lines.append(_finding_line(item, lang, item.label[lang]))
            step = item.next
            if step is not None:
                lines.extend(f"      → {line}" for line in next_lines(step, lang))
        combined = view.decision["next_steps"].get("combined")
        if combined:
            changes = "; ".join(change_text(c, lang) for c in combined["changes"])
            lines.append(f"  {words['combined']}{sep}{changes} → {words['verdict_after']} {combined['verdict_after']}")
    for outcome, items in view.sections:
        lines += ["", dict(_SECTIONS)[outcome][lang]]
        for item in items:
            lines.append(_finding_line(item, lang, item.label[lang]))
            if outcome is not Outcome.PASS and item.finding.get("note"):
                lines.append(f"      {words['note']}{sep}{item.finding['note'][lang]}")
    if view.outputs:
        lines.append("")
        for zh, en, value in view.outputs:
            lines.append(f"{zh if lang == 'zh' else en}{sep}{plain(value, lang)}")
    if verbose:
        lines += ["", words["findings"]]
        for item in view.tree:
            indent = "  " * item.depth
            lines.append(f"{indent}{_finding_line(item, lang, item.finding['title'][lang])}")
            facts = facts_text(item.finding, lang)
            if facts:
                lines.append(f"{indent}      {words['facts']}{sep}{facts}")
            if item.finding.get("missing"):
                lines.append(f"{indent}      {words['missing']}{sep}{', '.join(item.finding['missing'])}")
    for warning in view.decision.get("warnings", ()):
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def _finding_line(item: Item, lang: str, label: str) -> str:
    words = WORDS[lang]
    sep = "：" if lang == "zh" else ": "
    finding = item.finding
    line = f"  {MARKS[item.outcome]} [{finding['cite']}] {label}{sep}{finding['message'][lang]}"
    if finding.get("deadline"):
        line += f" ({words['deadline']} {finding['deadline']})"
    return line


def render_many(texts: Iterable[str]) -> str:
    """Several rendered decisions, separated by a blank line."""
    return "\n\n".join(texts)
