"""``titlerules doc``: a policy rendered for people who do not read code.

Each clause of the notice is quoted, followed by the rules that implement it: their
title, the interpretation note, the parameters they read with this year's values, every
message they can give, the rule's source, and the test cases that check it. A
traceability table maps clause -> rules -> test cases. Markdown and HTML are rendered
from one :class:`PolicyView`; the HTML highlights the source with the titlerules
Pygments lexer.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator

import attrs

from . import ir
from .analysis import _constant_text, blocks, describe, message_exprs, walk
from .cases import CaseFile
from .policy import Policy


@attrs.frozen
class MessageView:
    """One message a rule can give."""

    where: str  # rule id or child path
    outcome: str
    zh: str
    en: str


@attrs.frozen
class RuleView:
    """What the documentation says of one rule."""

    id: str
    title: tuple[str, str]
    cites: tuple[str, ...]
    note: tuple[str, str] | None
    parameters: tuple[tuple[str, str], ...]
    messages: tuple[MessageView, ...]
    source: str
    cases: tuple[str, ...]


@attrs.frozen
class ClauseView:
    """A clause of the notice and the rules that implement it."""

    id: str
    heading: str | None
    quote: str | None
    unchecked: tuple[tuple[str, str], ...]
    rules: tuple[str, ...]


@attrs.frozen
class PolicyView:
    """Everything the documentation shows, in the order it shows it."""

    id: str
    title: tuple[str, str] | None
    document: str | None
    issuer: str | None
    year: int | None
    parent: str | None
    clauses: tuple[ClauseView, ...]
    rules: tuple[RuleView, ...]
    uncited: tuple[str, ...]  # rules citing no declared clause
    cases_file: str | None

    def rule(self, rule_id: str) -> RuleView:
        """The view of one rule."""
        return next(r for r in self.rules if r.id == rule_id)


def template_text(template: ir.Interpolate) -> str:
    """A message template as written, ``{expression}`` parts shown by name."""
    return "".join(p if isinstance(p, str) else "{" + describe(p) + "}" for p in template.parts)


def _static(message: ir.Message | None) -> tuple[str, str] | None:
    if message is None:
        return None
    return template_text(message.zh), template_text(message.en)


def view(policy: Policy, cases: CaseFile | None = None) -> PolicyView:
    """The documentation's view of ``policy``, with ``cases`` (its case file) if given."""
    checked = policy.checked
    sources = {checked.filename: checked.source, **dict(checked.inherited)}
    parent = checked.inherited[-1][0] if checked.inherited else None
    rules = tuple(_rule_view(rule, checked, sources, cases) for rule in checked.rules)
    declared = {c.id for c in checked.clauses}
    clauses = tuple(
        ClauseView(
            c.id,
            c.heading,
            c.quote,
            tuple((template_text(u.zh), template_text(u.en)) for u in c.unchecked),
            tuple(r.id for r in checked.rules if c.id in r.cites),
        )
        for c in checked.clauses
    )
    return PolicyView(
        checked.id,
        _static(checked.title),
        checked.document,
        checked.issuer,
        checked.year,
        parent,
        clauses,
        rules,
        tuple(r.id for r in checked.rules if not set(r.cites) & declared),
        cases.path if cases else None,
    )


def _rule_view(rule: ir.Rule, checked: ir.CheckedPolicy, sources: dict[str, str], cases: CaseFile | None) -> RuleView:
    params: dict[str, str] = {}
    messages: list[MessageView] = []
    for site in blocks(rule):
        block = site.block
        exprs: list[ir.Expr] = [let.value for let in block.lets]
        for exception in block.exceptions:
            exprs.append(exception.condition)
            if exception.message is not None:
                messages.append(_message(site.path, exception.outcome, exception.message))
        for requirement in block.requirements:
            exprs += [
                x for x in (requirement.condition, requirement.deadline, requirement.when, requirement.until) if x
            ]
            for outcome, message in requirement.messages:
                messages.append(_message(site.path, outcome, message))
                exprs += message_exprs(message)
        exprs += [c.iterable for c in block.children if c.iterable is not None]
        if block.pass_message is not None:
            messages.append(_message(site.path, "pass", block.pass_message))
            exprs += message_exprs(block.pass_message)
        for expr in exprs:
            for e in walk(expr):
                if isinstance(e, ir.Param):
                    params[e.name] = _constant_text(e.value)
                elif isinstance(e, ir.TableGet):
                    params[e.table] = "; ".join(f"{k}: {_constant_text(v)}" for k, v in e.entries)
    span = rule.body.span
    text = sources.get(span.file or checked.filename, checked.source).splitlines()
    source = "\n".join(text[span.line - 1 : span.end_line])
    title = _static(rule.title) or (rule.id, rule.id)
    return RuleView(
        rule.id,
        title,
        rule.cites,
        _static(rule.note),
        tuple(sorted(params.items())),
        tuple(messages),
        source,
        tuple(_cases_of(rule.id, cases)),
    )


def _message(where: str, outcome: str, message: ir.Message) -> MessageView:
    return MessageView(where, outcome, template_text(message.zh), template_text(message.en))


def _cases_of(rule_id: str, cases: CaseFile | None) -> Iterator[str]:
    """The cases that state an outcome or a message of the rule or of its children."""
    if cases is None:
        return
    for case in cases.cases:
        named = [*case.outcomes, *case.messages]
        if any(key == rule_id or key.startswith(rule_id + ".") for key in named):
            yield case.name


# ---- Markdown --------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(v: PolicyView) -> str:
    """The policy as Markdown."""
    out: list[str] = []
    title = f"{v.title[0]} / {v.title[1]}" if v.title else v.id
    out += [f"# {title}", ""]
    facts = [f"policy `{v.id}`"]
    facts += [x for x in (v.document, v.issuer) if x]
    if v.year is not None:
        facts.append(f"application year {v.year}")
    if v.parent:
        facts.append(f"derived from `{v.parent}`")
    out += [" · ".join(facts), ""]
    out += [
        "This page is generated by `titlerules doc` from the policy"
        + (f" and its cases (`{v.cases_file}`)" if v.cases_file else "")
        + ": each clause of the notice, quoted, then the rules that implement it.",
        "",
        "## Traceability: clause -> rules -> test cases",
        "",
        "| clause | rules | test cases |",
        "|---|---|---|",
    ]
    for clause in v.clauses:
        rules = ", ".join(f"`{r}`" for r in clause.rules) or ("not checkable (see below)" if clause.unchecked else "-")
        count = len({case for r in clause.rules for case in v.rule(r).cases})
        out.append(f"| {_cell(clause.id)} {_cell(clause.heading or '')} | {rules} | {count} |")
    out.append("")
    shown: set[str] = set()
    for clause in v.clauses:
        out += [f"## {clause.id} {clause.heading or ''}".rstrip(), ""]
        if clause.quote:
            out += [f"> {clause.quote}", ""]
        for zh, en in clause.unchecked:
            out += [f"**Not checked by the policy:** {zh}  ", f"*{en}*", ""]
        for rule_id in clause.rules:
            if rule_id in shown:
                out += [
                    f"Rule `{rule_id}` (shown under clause {v.rule(rule_id).cites[0]}) also implements this clause.",
                    "",
                ]
                continue
            shown.add(rule_id)
            out += _rule_markdown(v.rule(rule_id))
    for rule_id in v.uncited:
        out += _rule_markdown(v.rule(rule_id))
    return "\n".join(out).rstrip() + "\n"


def _rule_markdown(rule: RuleView) -> list[str]:
    out = [f"### Rule `{rule.id}`: {rule.title[0]} / {rule.title[1]}", ""]
    out += [f"Cites {', '.join(rule.cites)}.", ""]
    if rule.note:
        out += [f"**Interpretation:** {rule.note[0]}  ", f"*{rule.note[1]}*", ""]
    if rule.parameters:
        out += ["| parameter | value |", "|---|---|"]
        out += [f"| `{name}` | {_cell(value)} |" for name, value in rule.parameters]
        out.append("")
    if rule.messages:
        out += ["| where | outcome | message (zh) | message (en) |", "|---|---|---|---|"]
        out += [f"| {m.where} | {m.outcome} | {_cell(m.zh)} | {_cell(m.en)} |" for m in rule.messages]
        out.append("")
    out += ["```titlerules", rule.source, "```", ""]
    if rule.cases:
        out += [f"Test cases ({len(rule.cases)}): " + "; ".join(rule.cases) + ".", ""]
    else:
        out += ["No test case states an outcome of this rule.", ""]
    return out


# ---- HTML ---------------------------------------------------------------------------------------------------


def render_html(v: PolicyView) -> str:
    """The policy as one HTML page, its rules highlighted by the titlerules lexer."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name

    lexer = get_lexer_by_name("titlerules")  # found through the pygments.lexers entry point
    formatter = HtmlFormatter(cssclass="source")

    def colour(code: str) -> str:
        return str(highlight(code, lexer, formatter))

    e = html.escape
    title = f"{v.title[0]} / {v.title[1]}" if v.title else v.id
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{e(title)}</title>",
        "<style>",
        "body { font-family: sans-serif; max-width: 60rem; margin: 2rem auto; line-height: 1.5; }",
        "blockquote { border-left: 4px solid #ccc; margin-left: 0; padding-left: 1rem; color: #333; }",
        "table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 0.2rem 0.5rem; }",
        ".source pre { background: #f8f8f8; padding: 0.5rem; overflow-x: auto; }",
        formatter.get_style_defs(".source"),  # type: ignore[no-untyped-call]
        "</style>",
        "</head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
    ]
    facts = [f"policy <code>{e(v.id)}</code>", *(e(x) for x in (v.document, v.issuer) if x)]
    if v.year is not None:
        facts.append(f"application year {v.year}")
    if v.parent:
        facts.append(f"derived from <code>{e(v.parent)}</code>")
    parts.append(f"<p>{' · '.join(facts)}</p>")
    parts += ["<h2>Traceability: clause → rules → test cases</h2>", "<table>"]
    parts.append("<tr><th>clause</th><th>rules</th><th>test cases</th></tr>")
    for clause in v.clauses:
        rules = ", ".join(f'<a href="#rule-{e(r)}"><code>{e(r)}</code></a>' for r in clause.rules) or "—"
        count = len({case for r in clause.rules for case in v.rule(r).cases})
        parts.append(f"<tr><td>{e(clause.id)} {e(clause.heading or '')}</td><td>{rules}</td><td>{count}</td></tr>")
    parts.append("</table>")
    shown: set[str] = set()
    for clause in v.clauses:
        parts.append(f"<h2>{e(clause.id)} {e(clause.heading or '')}</h2>")
        if clause.quote:
            parts.append(f"<blockquote>{e(clause.quote)}</blockquote>")
        for zh, en in clause.unchecked:
            parts.append(f"<p><strong>Not checked by the policy:</strong> {e(zh)}<br><em>{e(en)}</em></p>")
        for rule_id in clause.rules:
            if rule_id in shown:
                parts.append(
                    f'<p>Rule <a href="#rule-{e(rule_id)}"><code>{e(rule_id)}</code></a> '
                    "also implements this clause.</p>"
                )
                continue
            shown.add(rule_id)
            parts += _rule_html(v.rule(rule_id), colour)
    for rule_id in v.uncited:
        parts += _rule_html(v.rule(rule_id), colour)
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _rule_html(rule: RuleView, highlighted: Callable[[str], str]) -> list[str]:
    e = html.escape
    out = [f'<h3 id="rule-{e(rule.id)}">Rule <code>{e(rule.id)}</code>: {e(rule.title[0])} / {e(rule.title[1])}</h3>']
    out.append(f"<p>Cites {e(', '.join(rule.cites))}.</p>")
    if rule.note:
        out.append(f"<p><strong>Interpretation:</strong> {e(rule.note[0])}<br><em>{e(rule.note[1])}</em></p>")
    if rule.parameters:
        out.append("<table><tr><th>parameter</th><th>value</th></tr>")
        out += [f"<tr><td><code>{e(n)}</code></td><td>{e(val)}</td></tr>" for n, val in rule.parameters]
        out.append("</table>")
    if rule.messages:
        out.append("<table><tr><th>where</th><th>outcome</th><th>message (zh)</th><th>message (en)</th></tr>")
        out += [
            f"<tr><td>{e(m.where)}</td><td>{e(m.outcome)}</td><td>{e(m.zh)}</td><td>{e(m.en)}</td></tr>"
            for m in rule.messages
        ]
        out.append("</table>")
    out.append(highlighted(rule.source))
    if rule.cases:
        items = "".join(f"<li>{e(name)}</li>" for name in rule.cases)
        out.append(f"<p>Test cases ({len(rule.cases)}):</p><ul>{items}</ul>")
    else:
        out.append("<p>No test case states an outcome of this rule.</p>")
    return out


def render(policy: Policy, cases: CaseFile | None, format_: str) -> str:
    """The documentation of ``policy`` in ``format_`` (``md`` or ``html``)."""
    v = view(policy, cases)
    return render_markdown(v) if format_ == "md" else render_html(v)
