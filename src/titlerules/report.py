"""A batch of decisions summarised for an HR office: counts per verdict, per failing rule,
per outstanding action and per committee, and a table of applicants with links to their
explanations. Reads decision JSON (``titlerules evaluate|explain --format jsonl``), so a
batch decided yesterday is reported today. HTML pages are self-contained: the bar charts
are inline SVG."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

import attrs

from .decision import Outcome, Verdict
from .render import VERDICT_WORDS, reading
from .render_html import page, verdict_badge

_REPORT_WORDS = {
    "zh": {
        "title": "职称申报审查汇总",
        "decisions": "份决定",
        "errors": "份无法判定（输入错误）",
        "verdicts": "结论分布",
        "failing": "不符合的规则",
        "actions": "待办事项",
        "groups": "按评审组织",
        "applicants": "申请人",
        "applicant": "申请人",
        "verdict": "结论",
        "first": "首要事项",
        "deadline": "最近截止",
        "explanation": "说明",
        "none": "（无）",
        "unknown_group": "（无）",
        "total": "合计",
    },
    "en": {
        "title": "Title applications: batch summary",
        "decisions": "decisions",
        "errors": "rejected (input errors)",
        "verdicts": "Verdicts",
        "failing": "Failing rules",
        "actions": "Outstanding actions",
        "groups": "By committee",
        "applicants": "Applicants",
        "applicant": "Applicant",
        "verdict": "Verdict",
        "first": "First blocking item",
        "deadline": "Next deadline",
        "explanation": "Explanation",
        "none": "(none)",
        "unknown_group": "(none)",
        "total": "Total",
    },
}

_DECISION_KEYS = frozenset(
    {"applicant", "policy", "verdict", "findings", "as_of", "provenance", "warnings", "next_steps"}
)
_VERDICT_ORDER = (Verdict.INELIGIBLE, Verdict.UNDETERMINED, Verdict.PENDING, Verdict.ELIGIBLE)
_COLOURS = {
    Verdict.ELIGIBLE: "#1a7f37",
    Verdict.INELIGIBLE: "#b3261e",
    Verdict.PENDING: "#9a6700",
    Verdict.UNDETERMINED: "#5b5f97",
}


def file_stem(applicant: Any, position: int) -> str:
    """The file name (without suffix) of an applicant's explanation: the id with anything
    but letters, digits, ``.``, ``-`` and ``_`` replaced; the position when there is no id."""
    if not isinstance(applicant, str) or not applicant.strip():
        return f"decision-{position}"
    stem = re.sub(r"[^\w.-]", "_", applicant.strip())
    return stem.lstrip(".") or f"decision-{position}"


@attrs.frozen
class Row:
    """One applicant of the batch."""

    applicant: str | None
    verdict: Verdict | None
    first: Mapping[str, str] | None
    deadline: str | None
    link: str | None
    error: str | None = None


@attrs.frozen
class Summary:
    """The counts of a batch, each as ``(label, count)`` pairs, most first."""

    decisions: int
    errors: int
    verdicts: tuple[tuple[Verdict, int], ...]
    failing: tuple[tuple[str, Mapping[str, str], int], ...]
    actions: tuple[tuple[str, Mapping[str, str], int], ...]
    groups: tuple[tuple[str, tuple[tuple[str, Counter[Verdict]], ...]], ...]
    rows: tuple[Row, ...]

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON."""
        return {
            "decisions": self.decisions,
            "errors": self.errors,
            "verdicts": {str(v): n for v, n in self.verdicts},
            "failing_rules": [{"rule": r, "title": dict(t), "count": n} for r, t, n in self.failing],
            "outstanding_actions": [{"finding": r, "title": dict(t), "count": n} for r, t, n in self.actions],
            "groups": {
                key: {value: {str(v): n for v, n in counts.items()} for value, counts in values}
                for key, values in self.groups
            },
            "applicants": [
                {"applicant": r.applicant, "verdict": str(r.verdict) if r.verdict else None, "error": r.error}
                for r in self.rows
            ],
        }


def _string_fields(value: Any, prefix: str) -> Iterable[tuple[str, str | None]]:
    if isinstance(value, Mapping) and not {"zh", "en"} <= set(value):
        for key, item in value.items():
            if isinstance(item, str) or item is None:
                yield f"{prefix}.{key}", item


def summarize(
    records: Sequence[Mapping[str, Any]],
    group_by: Sequence[str] | None = None,
    links: str | None = "explanations/",
) -> Summary:
    """Count a batch of decision records (error records, ``{"error": ...}``, counted apart).

    ``group_by`` names output fields (``committee.recommender``); by default every string
    field of a record-valued output that differs across the batch. ``links`` is the folder
    of the explanation pages (``None``: no links).
    """
    verdicts: Counter[Verdict] = Counter()
    failing: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    titles: dict[str, Mapping[str, str]] = {}
    grouped: dict[str, dict[str, Counter[Verdict]]] = {}
    rows: list[Row] = []
    errors = 0
    candidates: dict[str, set[str | None]] = {}
    decided = [r for r in records if "verdict" in r]
    for record in decided:
        for name, value in record.items():
            for key, text in _string_fields(value, name):
                candidates.setdefault(key, set()).add(text)
    # By default: the text fields of the policy's outputs that tell applicants apart into
    # a few groups (a committee, a county office), not the decision's own keys.
    keys = (
        list(group_by)
        if group_by
        else [k for k, values in candidates.items() if k.split(".")[0] not in _DECISION_KEYS and 1 < len(values) <= 40]
    )
    for position, record in enumerate(records, start=1):
        stem = file_stem(record.get("applicant"), position)
        if "verdict" not in record:
            errors += 1
            rows.append(Row(record.get("applicant"), None, None, None, None, str(record.get("error", ""))))
            continue
        view = reading(record)
        verdict = view.verdict
        verdicts[verdict] += 1
        for item in view.tree:
            rule = item.finding["rule"]
            titles.setdefault(rule, item.label)
            if item.depth == 0 and item.outcome is Outcome.FAIL:
                failing[rule] += 1
            if item.outcome is Outcome.ACTION and not any(
                c["outcome"] == "action" for c in item.finding.get("children", ())
            ):
                actions[rule] += 1
        for key in keys:
            name, _, field = key.partition(".")
            value = record.get(name)
            if field and isinstance(value, Mapping):
                value = value.get(field)
            label = value if isinstance(value, str) else None
            grouped.setdefault(key, {}).setdefault(label or "", Counter())[verdict] += 1
        first, deadline = _first_blocking(view)
        link = f"{links}{stem}.html" if links is not None else None
        rows.append(Row(record.get("applicant"), verdict, first, deadline, link))
    return Summary(
        decisions=len(decided),
        errors=errors,
        verdicts=tuple((v, verdicts[v]) for v in _VERDICT_ORDER if verdicts[v]),
        failing=tuple((r, titles[r], n) for r, n in failing.most_common()),
        actions=tuple((r, titles[r], n) for r, n in actions.most_common()),
        groups=tuple(
            (key, tuple(sorted(values.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))))
            for key, values in grouped.items()
        ),
        rows=tuple(rows),
    )


def _first_blocking(view: Any) -> tuple[Mapping[str, str] | None, str | None]:
    if view.blocking:
        items = list(view.blocking)
    else:
        items = [i for i in view.tree if i.outcome in (Outcome.FAIL, Outcome.UNKNOWN, Outcome.ACTION)]
        items = [i for i in items if not i.finding.get("children")] or items
        items.sort(key=lambda i: [Outcome.FAIL, Outcome.UNKNOWN, Outcome.ACTION].index(i.outcome))
    deadlines = sorted(i.finding["deadline"] for i in view.tree if i.finding.get("deadline"))
    if not items:
        return None, deadlines[0] if deadlines else None
    first = items[0]
    label = {lang: f"{first.label[lang]}: {first.finding['message'][lang]}" for lang in ("zh", "en")}
    return label, deadlines[0] if deadlines else None


# ---- charts --------------------------------------------------------------------------------------


def bar_chart(bars: Sequence[tuple[str, int, str]], chart_id: str, label: str) -> str:
    """A horizontal bar chart as inline SVG: ``(label, count, colour)`` per bar."""
    if not bars:
        return ""
    row, label_width, bar_width = 24, 260, 360
    height = row * len(bars) + 8
    most = max(count for _, count, _ in bars) or 1
    parts = [
        f'<svg id="{escape(chart_id)}" role="img" aria-label="{escape(label)}" width="{label_width + bar_width + 60}" '
        f'height="{height}" viewBox="0 0 {label_width + bar_width + 60} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (name, count, colour) in enumerate(bars):
        y = 4 + i * row
        width = max(2, round(bar_width * count / most))
        shown = name if len(name) <= 34 else name[:33] + "…"
        parts.append(
            f'<g class="bar"><title>{escape(name)}: {count}</title>'
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{escape(shown)}</text>'
            f'<rect x="{label_width}" y="{y + 2}" width="{width}" height="{row - 8}" fill="{colour}"></rect>'
            f'<text x="{label_width + width + 6}" y="{y + 15}" class="count">{count}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


# ---- formats -------------------------------------------------------------------------------------------


def render_report_html(summary: Summary, lang: str = "zh", document_number: str | None = None) -> str:
    """The summary as one self-contained HTML page."""
    words = _REPORT_WORDS[lang]
    heading = words["title"] + (f" · {document_number}" if document_number else "")
    parts = [f"<header><h1>{escape(heading)}</h1>"]
    totals = f"{summary.decisions} {words['decisions']}"
    if summary.errors:
        totals += f" · {summary.errors} {words['errors']}"
    parts.append(f'<p class="meta" id="counts">{escape(totals)}</p></header>')
    verdict_bars = [(VERDICT_WORDS[lang][v], n, _COLOURS[v]) for v, n in summary.verdicts]
    failing_bars = [(f"{t[lang]} ({r})", n, _COLOURS[Verdict.INELIGIBLE]) for r, t, n in summary.failing]
    action_bars = [(t[lang], n, _COLOURS[Verdict.PENDING]) for r, t, n in summary.actions]
    for section, title, bars in (
        ("verdicts", words["verdicts"], verdict_bars),
        ("failing", words["failing"], failing_bars),
        ("actions", words["actions"], action_bars),
    ):
        chart = bar_chart(bars, f"chart-{section}", title) or f'<p class="muted">{escape(words["none"])}</p>'
        parts.append(f'<section id="{section}"><h2>{escape(title)}</h2><figure>{chart}</figure></section>')
    if summary.groups:
        parts.append(f'<section id="groups"><h2>{escape(words["groups"])}</h2>')
        verdicts = [v for v in _VERDICT_ORDER if any(v == s for s, _ in summary.verdicts)]
        for key, values in summary.groups:
            head = "".join(f"<th>{escape(VERDICT_WORDS[lang][v])}</th>" for v in verdicts)
            parts.append(f"<h3>{escape(key)}</h3><table><tr><th></th>{head}<th>{escape(words['total'])}</th></tr>")
            for value, counts in values:
                cells = "".join(f'<td class="num">{counts[v]}</td>' for v in verdicts)
                name = value or words["unknown_group"]
                parts.append(f'<tr><th>{escape(name)}</th>{cells}<td class="num">{sum(counts.values())}</td></tr>')
            parts.append("</table>")
        parts.append("</section>")
    parts.append(f'<section id="applicants"><h2>{escape(words["applicants"])}</h2><table>')
    parts.append(
        f"<tr><th>{escape(words['applicant'])}</th><th>{escape(words['verdict'])}</th>"
        f"<th>{escape(words['first'])}</th><th>{escape(words['deadline'])}</th></tr>"
    )
    for row in summary.rows:
        name = escape(row.applicant or "-")
        if row.link:
            name = f'<a href="{escape(row.link)}">{name}</a>'
        if row.verdict is None:
            parts.append(f'<tr class="error"><td>{name}</td><td>—</td><td>{escape(row.error or "")}</td><td></td></tr>')
            continue
        first = escape(row.first[lang]) if row.first else ""
        parts.append(
            f'<tr class="{row.verdict}"><td>{name}</td><td>{verdict_badge(row.verdict, lang)}</td>'
            f"<td>{first}</td><td>{escape(row.deadline or '')}</td></tr>"
        )
    parts.append("</table></section>")
    return page(heading, "\n".join(parts), lang)


def render_report_text(summary: Summary, lang: str = "zh") -> str:
    """The summary as plain text."""
    words = _REPORT_WORDS[lang]
    sep = "：" if lang == "zh" else ": "
    lines = [words["title"], f"{summary.decisions} {words['decisions']}"]
    if summary.errors:
        lines[-1] += f" · {summary.errors} {words['errors']}"
    lines += ["", words["verdicts"]]
    lines += [f"  {VERDICT_WORDS[lang][v]}{sep}{n}" for v, n in summary.verdicts]
    for title, counted in ((words["failing"], summary.failing), (words["actions"], summary.actions)):
        lines += ["", title]
        lines += [f"  {label[lang]} ({rule}){sep}{n}" for rule, label, n in counted] or [f"  {words['none']}"]
    for key, values in summary.groups:
        lines += ["", f"{words['groups']} · {key}"]
        for value, counts in values:
            shown = ", ".join(f"{v} {counts[v]}" for v in _VERDICT_ORDER if counts[v])
            lines.append(f"  {value or words['unknown_group']}{sep}{shown}")
    return "\n".join(lines) + "\n"
