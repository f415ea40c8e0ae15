"""A decision as one self-contained HTML page: no scripts, fonts, images or links to
anything outside it, and a print style sheet, so it can be attached to an applicant's file
or printed as it is. :func:`page` is shared with the batch report."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from .decision import Decision, Outcome, Verdict
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

STYLE = """
:root { --fail: #b3261e; --action: #9a6700; --unknown: #5b5f97; --pass: #1a7f37; --muted: #57606a; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui,
       sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1f2328; line-height: 1.5; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
.meta, .muted { color: var(--muted); font-size: .9rem; }
.verdict { display: inline-block; padding: .2rem .6rem; border-radius: .3rem; color: #fff; font-weight: 600; }
.verdict.eligible { background: var(--pass); } .verdict.ineligible { background: var(--fail); }
.verdict.pending { background: var(--action); } .verdict.undetermined { background: var(--unknown); }
ol.blocking, ul.findings { padding-left: 1.4rem; }
li { margin: .35rem 0; }
.mark { font-weight: 700; display: inline-block; width: 1.1em; }
.fail .mark { color: var(--fail); } .action .mark { color: var(--action); }
.unknown .mark { color: var(--unknown); } .pass .mark { color: var(--pass); }
.cite { color: var(--muted); font-size: .85rem; }
.due { font-weight: 600; color: var(--action); white-space: nowrap; }
ul.next { margin: .2rem 0 .4rem; padding-left: 1.2rem; list-style: "→ "; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85rem; background: #f6f8fa;
       padding: 0 .2rem; border-radius: .2rem; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; }
th, td { border: 1px solid #d0d7de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td a { white-space: nowrap; }
.facts { color: var(--muted); font-size: .85rem; }
svg text { font-family: inherit; font-size: 12px; }
@media print {
  body { margin: 0; max-width: none; font-size: 10.5pt; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; } li, tr, figure { break-inside: avoid; }
  .verdict { border: 1px solid #000; color: #000; background: none !important; }
}
"""


def page(title: str, body: str, lang: str) -> str:
    """A complete HTML document around ``body``, with the shared style sheet."""
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def verdict_badge(verdict: Verdict, lang: str) -> str:
    """The verdict as a coloured label."""
    return f'<span class="verdict {verdict}">{escape(VERDICT_WORDS[lang][verdict])}</span>'


def render_html(
    decision: Decision | Explanation | Mapping[str, Any],
    lang: str = "zh",
    output_labels: Mapping[str, tuple[str, str]] | None = None,
    document_number: str | None = None,
    verbose: bool = False,
) -> str:
    """A decision (object or JSON) as a self-contained HTML page in ``lang``."""
    view = reading(decision, output_labels)
    words = WORDS[lang]
    parts = [
        f"<header><h1>{escape(headline(view, lang))}</h1>",
        f'<p class="meta">{escape(meta_line(view, lang, document_number))}</p>',
        f"<p>{verdict_badge(view.verdict, lang)}</p>",
    ]
    if view.explained:
        parts.append(f'<p id="summary">{escape(view.decision["next_steps"]["summary"][lang])}</p>')
    parts.append("</header>")
    if view.blocking:
        parts.append(f'<section id="blocking"><h2>{escape(words["blocking"])}</h2><ol class="blocking">')
        for item in view.blocking:
            parts.append(f'<li class="{item.outcome}" data-rule="{escape(item.finding["rule"])}">{_line(item, lang)}')
            lines = next_lines(item.next or {"kind": ""}, lang)
            if lines:
                parts.append('<ul class="next">' + "".join(f"<li>{_code(line)}</li>" for line in lines) + "</ul>")
            parts.append("</li>")
        parts.append("</ol>")
        combined = view.decision["next_steps"].get("combined")
        if combined:
            changes = "; ".join(change_text(c, lang) for c in combined["changes"])
            parts.append(
                f'<p id="combined">{escape(words["combined"])}: <code>{escape(changes)}</code> → '
                f"{escape(words['verdict_after'])} <strong>{escape(str(combined['verdict_after']))}</strong></p>"
            )
        parts.append("</section>")
    for outcome, items in view.sections:
        parts.append(f'<section class="{outcome}"><h2>{escape(dict(_SECTIONS)[outcome][lang])}</h2>')
        parts.append('<ul class="findings">')
        parts.extend(
            f'<li class="{i.outcome}" data-rule="{escape(i.finding["rule"])}">{_line(i, lang)}</li>' for i in items
        )
        parts.append("</ul></section>")
    if view.outputs:
        rows = "".join(
            f"<tr><th>{escape(zh if lang == 'zh' else en)}</th><td>{escape(plain(value, lang))}</td></tr>"
            for zh, en, value in view.outputs
        )
        parts.append(f'<section id="outputs"><table>{rows}</table></section>')
    if verbose:
        parts.append(f'<section id="tree"><h2>{escape(words["findings"])}</h2><ul class="findings">')
        for item in view.tree:
            style = f' style="margin-left:{item.depth * 1.5}rem"' if item.depth else ""
            facts = facts_text(item.finding, lang)
            extra = f'<div class="facts">{escape(words["facts"])}: <code>{escape(facts)}</code></div>' if facts else ""
            label = item.finding["title"][lang]
            parts.append(f'<li class="{item.outcome}"{style}>{_line(item, lang, label)}{extra}</li>')
        parts.append("</ul></section>")
    return page(headline(view, lang), "\n".join(parts), lang)


def _code(line: str) -> str:
    # A change reads as code (a key path and values); an obstacle as prose.
    return f"<code>{escape(line)}</code>" if "->" in line else escape(line)


def _line(item: Item, lang: str, label: str | None = None) -> str:
    finding = item.finding
    sep = "：" if lang == "zh" else ": "
    due = ""
    if finding.get("deadline"):
        due = f' <span class="due">({escape(WORDS[lang]["deadline"])} {escape(finding["deadline"])})</span>'
    mark = "–" if item.outcome in (Outcome.NOT_APPLICABLE, Outcome.EXEMPT) else MARKS[item.outcome]
    return (
        f'<span class="mark">{mark}</span><strong>{escape(label or item.label[lang])}</strong> '
        f'<span class="cite">[{escape(finding["cite"])}]</span>{sep}{escape(finding["message"][lang])}{due}'
    )
