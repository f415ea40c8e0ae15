"""A decision as Markdown, to attach to an applicant's file: the verdict, what blocks with
what to do next, what passed, and (``verbose``) every finding with the facts it read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .decision import Decision
from .explain import Explanation
from .render import (
    _SECTIONS,
    MARKS,
    VERDICT_WORDS,
    WORDS,
    Item,
    change_text,
    facts_text,
    headline,
    meta_line,
    next_lines,
    plain,
    reading,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(
    decision: Decision | Explanation | Mapping[str, Any],
    lang: str = "zh",
    output_labels: Mapping[str, tuple[str, str]] | None = None,
    document_number: str | None = None,
    verbose: bool = False,
) -> str:
    """A decision (object or JSON) as Markdown in ``lang``."""
    view = reading(decision, output_labels)
    words = WORDS[lang]
    sep = "：" if lang == "zh" else ": "
    out = [f"# {headline(view, lang)}", "", f"*{meta_line(view, lang, document_number)}*", ""]
    out.append(f"**{VERDICT_WORDS[lang][view.verdict]}**")
    if view.explained:
        out += ["", view.decision["next_steps"]["summary"][lang]]
    if view.blocking:
        out += ["", f"## {words['blocking']}", ""]
        for number, item in enumerate(view.blocking, start=1):
            out.append(f"{number}. {_line(item, lang)}")
            for line in next_lines(item.next or {"kind": ""}, lang):
                out.append(f"   - {words['next']}{sep}`{line}`" if "->" in line else f"   - {line}")
        combined = view.decision["next_steps"].get("combined")
        if combined:
            changes = "; ".join(f"`{change_text(c, lang)}`" for c in combined["changes"])
            out += ["", f"{words['combined']}{sep}{changes} → {words['verdict_after']} **{combined['verdict_after']}**"]
    for outcome, items in view.sections:
        out += ["", f"## {dict(_SECTIONS)[outcome][lang]}", ""]
        out.extend(f"- {_line(item, lang)}" for item in items)
    if view.outputs:
        out += ["", "| | |", "|---|---|"]
        for zh, en, value in view.outputs:
            out.append(f"| {_cell(zh if lang == 'zh' else en)} | {_cell(plain(value, lang))} |")
    if verbose:
        out += ["", f"## {words['findings']}", ""]
        for item in view.tree:
            indent = "  " * item.depth
            out.append(f"{indent}- {_line(item, lang, item.finding['title'][lang])}")
            facts = facts_text(item.finding, lang)
            if facts:
                out.append(f"{indent}  - {words['facts']}{sep}`{facts}`")
            if item.finding.get("missing"):
                out.append(f"{indent}  - {words['missing']}{sep}`{', '.join(item.finding['missing'])}`")
    return "\n".join(out) + "\n"


def _line(item: Item, lang: str, label: str | None = None) -> str:
    words = WORDS[lang]
    sep = "：" if lang == "zh" else ": "
    finding = item.finding
    mark = "–" if MARKS[item.outcome] == "-" else MARKS[item.outcome]
    text = f"{mark} **{label or item.label[lang]}** [{finding['cite']}]{sep}{finding['message'][lang]}"
    if finding.get("deadline"):
        text += f" ({words['deadline']} {finding['deadline']})"
    return text
