"""Decisions as text for a person: the verdict first, then what blocks, then what passed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .decision import Decision, Finding, Outcome, Verdict

VERDICT_WORDS = {
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

_SECTIONS = (
    (Outcome.FAIL, "✗", {"zh": "不符合", "en": "Failed"}),
    (Outcome.ACTION, "!", {"zh": "待办", "en": "To do"}),
    (Outcome.UNKNOWN, "?", {"zh": "缺少信息", "en": "Missing facts"}),
    (Outcome.PASS, "✓", {"zh": "符合", "en": "Passed"}),
    (Outcome.NOT_APPLICABLE, "-", {"zh": "不适用", "en": "Not applicable"}),
)

_LABELS = {
    "zh": {"applicant": "申请人", "policy": "政策", "as_of": "评估日期", "deadline": "截止", "note": "解读"},
    "en": {"applicant": "Applicant", "policy": "Policy", "as_of": "as of", "deadline": "due", "note": "reading"},
}


def render_text(
    decision: Decision,
    lang: str = "zh",
    output_labels: dict[str, tuple[str, str]] | None = None,
    document_number: str | None = None,
) -> str:
    """A decision as plain text in ``lang`` (``zh`` or ``en``)."""
    words = _LABELS[lang]
    sep = "：" if lang == "zh" else ": "
    lines = [
        f"{words['applicant']} {decision.applicant or '-'}{sep}{VERDICT_WORDS[lang][decision.verdict]}"
        f" ({decision.verdict})"
    ]
    meta = [f"{words['policy']} {decision.policy}"]
    if document_number:
        meta.append(document_number)
    if decision.as_of:
        meta.append(f"{words['as_of']} {decision.as_of.isoformat()}")
    lines.append(" · ".join(meta))
    for outcome, mark, heading in _SECTIONS:
        chosen = [f for f in decision.findings if f.outcome is outcome]
        if not chosen:
            continue
        lines.append("")
        lines.append(heading[lang])
        for finding in chosen:
            lines.extend(_finding_lines(finding, mark, lang, detailed=outcome is not Outcome.PASS))
    outputs = [(k, v) for k, v in decision.outputs.items() if v not in (None, [], {})]
    if outputs:
        lines.append("")
        for name, value in outputs:
            label = output_labels.get(name, (name, name)) if output_labels else (name, name)
            lines.append(f"{label[0] if lang == 'zh' else label[1]}{sep}{_plain(value, lang)}")
    for warning in decision.warnings:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)


def _finding_lines(finding: Finding, mark: str, lang: str, detailed: bool) -> list[str]:
    words = _LABELS[lang]
    sep = "：" if lang == "zh" else ": "
    line = f"  {mark} [{finding.cite}] {finding.title[lang]}{sep}{finding.message[lang]}"
    if finding.deadline is not None:
        line += f" ({words['deadline']} {finding.deadline.isoformat()})"
    lines = [line]
    if detailed and finding.note is not None:
        lines.append(f"      {words['note']}{sep}{finding.note[lang]}")
    return lines


def _plain(value: Any, lang: str) -> str:
    sep = "，" if lang == "zh" else ", "
    if isinstance(value, dict):
        if set(value) >= {"zh", "en"}:
            return str(value[lang])
        return sep.join(f"{k} {_plain(v, lang)}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return ("；" if lang == "zh" else "; ").join(_plain(v, lang) for v in value)
    return str(value)


def render_many(texts: Iterable[str]) -> str:
    """Several rendered decisions, separated by a blank line."""
    return "\n\n".join(texts)
