"""Policy text to AST: the Lark parser and the transformer that builds :mod:`nodes`.

The parser is built once per process from the packaged grammar (``grammar.lark``) and
cached on disk by Lark, so a second process skips the LALR table construction. Lark's
exceptions never leave this module: they become :class:`~titlerules.errors.PolicyError`.
"""

from __future__ import annotations

import datetime
import functools
import re
from typing import Any

import attrs
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.tree import Meta

from . import characters
from . import nodes as n
from .errors import Diagnostic, PolicyError, SourceText
from .limits import MAX_EXPRESSION_DEPTH, MAX_NUMBER_DIGITS, MAX_POLICY_BYTES, MAX_POLICY_NESTING

_TERMINAL_NAMES = {
    "NAME": "a name",
    "STRING": "a string",
    "INT": "an integer",
    "DECIMAL": "a decimal number",
    "DATE": "a date",
    "$END": "the end of the file",
}


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark.open_from_package(
        "titlerules",
        "grammar.lark",
        parser="lalr",
        start=["start", "interpolation"],
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )


_NAME = re.compile(r"[^\W\d]\w*")


def _keyword_as_name(error: UnexpectedInput) -> bool:
    """Resume a parse where a keyword stands in a name's place (a fact called ``title``).

    The contextual lexer picks terminals from the parser state before reductions;
    after an expression, LALR's merged lookaheads let a rule keyword win over a name
    that the parser, once reduced, needs. Such a token is fed again as a name.
    """
    if (
        isinstance(error, UnexpectedToken)
        and error.token.type != "NAME"
        and "NAME" in error.expected
        and _NAME.fullmatch(str(error.token))
    ):
        error.interactive_parser.feed_token(Token.new_borrow_pos("NAME", str(error.token), error.token))
        return True
    return False


def _span(meta: Meta | Token) -> n.Span:
    if isinstance(meta, Token):
        return n.Span(meta.line or 0, meta.column or 0, meta.end_line or 0, meta.end_column or 0)
    if getattr(meta, "empty", True):
        return n.NO_SPAN
    return n.Span(meta.line, meta.column, meta.end_line, meta.end_column)


_EXPRESSION_START = {"NAME", "INT", "STRING", "DATE", "DECIMAL"}


def _describe_expected(parser: Lark, expected: set[str]) -> str:
    names = []
    if expected >= _EXPRESSION_START:
        # Listing every token that can start an expression says less than this.
        names.append("an expression")
        expected = {e for e in expected if e not in _EXPRESSION_START}
        expected -= {name for name in expected if _is_expression_keyword(parser, name)}
    for name in sorted(expected):
        if name in _TERMINAL_NAMES:
            names.append(_TERMINAL_NAMES[name])
            continue
        try:
            pattern = parser.get_terminal(name).pattern
        except KeyError:
            names.append(name)
            continue
        if pattern.type == "str":
            names.append(f"'{pattern.value}'")
        else:
            names.append(name.lower())
    names = sorted(set(names))
    if len(names) > 14:
        return ", ".join(names[:14]) + f" or one of {len(names) - 14} other tokens"
    return " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]


_EXPRESSION_KEYWORDS = {"(", "[", "{", "-", "not", "if", "each", "any", "no", "true", "false", "none"}


def _is_expression_keyword(parser: Lark, name: str) -> bool:
    try:
        pattern = parser.get_terminal(name).pattern
    except KeyError:
        return False
    return pattern.type == "str" and pattern.value in _EXPRESSION_KEYWORDS


def _character_hint(char: str) -> str:
    """What to type instead of a character the language does not use outside strings."""
    code = ord(char) if char else 0
    if 0xFF01 <= code <= 0xFF5E:
        return f" (a full-width character; type the ASCII {chr(code - 0xFEE0)!r})"
    if char == "\u3000":
        return " (a full-width space; type an ASCII space)"
    if char in "“”":
        return ' (strings are written between ASCII double quotes ")'
    if char in "、。":
        return " (Chinese punctuation belongs inside strings)"
    return ""


def _syntax_diagnostic(source: SourceText, error: UnexpectedInput, parser: Lark) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        pos = error.pos_in_stream or 0
        char = source.text[pos] if pos < len(source.text) else ""
        message = f"unexpected character {char!r}{_character_hint(char)}"
        if char == '"':
            message = "unterminated string (a string must close on the line it opens)"
        return source.diagnostic(error.line, error.column, message, "syntax")
    if isinstance(error, UnexpectedEOF):
        lines = source.lines or [""]
        line = len(lines)
        column = len(lines[-1]) + 1
        expected = _describe_expected(parser, set(error.expected))
        return source.diagnostic(line, column, f"unexpected end of file; expected {expected}", "syntax")
    assert isinstance(error, UnexpectedToken)
    token = error.token
    if token.type == "$END":
        lines = source.lines or [""]
        expected = _describe_expected(parser, set(error.expected))
        return source.diagnostic(
            len(lines), len(lines[-1]) + 1, f"unexpected end of file; expected {expected}", "syntax"
        )
    expected = _describe_expected(parser, set(error.expected))
    return source.diagnostic(
        token.line or 1,
        token.column or 1,
        f"unexpected {token.value!r}; expected {expected}",
        "syntax",
        end_column=token.end_column,
    )


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


class _Builder(Transformer[Token, Any]):
    """Turns the Lark tree into AST nodes; records problems instead of raising."""

    def __init__(self, source: SourceText) -> None:
        super().__init__()
        self.source = source
        self.problems: list[Diagnostic] = []

    # ---- numbers --------------------------------------------------------------------

    def _digits(self, token: Token) -> str:
        """The number's text; past MAX_NUMBER_DIGITS digits (not a real amount, and Python
        would refuse or make it infinite) a problem is recorded and ``0`` stands in."""
        text = str(token)
        if sum(c.isdigit() for c in text) > MAX_NUMBER_DIGITS:
            self.problems.append(
                self.source.at(
                    _span(token),
                    f"a number of {len(text)} characters; the limit is MAX_NUMBER_DIGITS = {MAX_NUMBER_DIGITS} digits",
                    "too-large",
                )
            )
            return "0"
        return text

    def _int(self, token: Token) -> int:
        return int(self._digits(token))

    # ---- strings --------------------------------------------------------------------

    def _template(self, token: Token) -> n.Template:
        """Unescape a STRING token and split out its ``{expression}`` parts."""
        raw = str(token)[1:-1]
        span = _span(token)
        parts: list[str | n.Expr] = []
        buf: list[str] = []
        i = 0
        while i < len(raw):
            ch = raw[i]
            if ch == "\\":
                nxt = raw[i + 1] if i + 1 < len(raw) else ""
                if nxt not in _ESCAPES:
                    self.problems.append(
                        self.source.diagnostic(
                            span.line,
                            span.column + 1 + i,
                            f"unknown escape '\\{nxt}' (known: \\\" \\\\ \\n \\t)",
                            "syntax",
                        )
                    )
                buf.append(_ESCAPES.get(nxt, nxt))
                i += 2
                continue
            if ch in "{}" and raw[i + 1 : i + 2] == ch:
                buf.append(ch)
                i += 2
                continue
            if ch == "}":
                self.problems.append(
                    self.source.diagnostic(
                        span.line,
                        span.column + 1 + i,
                        "unmatched '}' in a string (write '}}' for a literal brace)",
                        "syntax",
                    )
                )
                i += 1
                continue
            if ch == "{":
                close = raw.find("}", i + 1)
                if close < 0:
                    self.problems.append(
                        self.source.diagnostic(
                            span.line,
                            span.column + 1 + i,
                            "unclosed '{' in a string (write '{{' for a literal brace)",
                            "syntax",
                        )
                    )
                    break
                if buf:
                    parts.append("".join(buf))
                    buf = []
                inner = self._interpolation(raw[i + 1 : close], span.line, span.column + 2 + i)
                if inner is not None:
                    parts.append(inner)
                i = close + 1
                continue
            buf.append(ch)
            i += 1
        if buf or not parts:
            parts.append("".join(buf))
        return n.Template(tuple(parts), span)

    def _interpolation(self, text: str, line: int, column: int) -> n.Expr | None:
        if not text.strip():
            self.problems.append(self.source.diagnostic(line, column, "empty '{}' in a string", "syntax"))
            return None
        try:
            tree = _lark().parse(text, start="interpolation", on_error=_keyword_as_name)
        except UnexpectedInput as error:
            inner = _syntax_diagnostic(SourceText(text, self.source.filename), error, _lark())
            self.problems.append(self.source.diagnostic(line, column + inner.column - 1, inner.message, "syntax"))
            return None
        builder = _Builder(SourceText(text, self.source.filename))
        expr: n.Expr = builder.transform(tree)
        self.problems.extend(builder.problems)
        shifted: n.Expr = _shift(expr, line - 1, column - 1)
        return shifted

    def _plain(self, token: Token) -> str:
        template = self._template(token)
        if any(not isinstance(p, str) for p in template.parts):
            self.problems.append(self.source.at(template.span, "this string cannot interpolate '{...}'", "syntax"))
        return "".join(p for p in template.parts if isinstance(p, str))

    def _joined(self, tokens: list[Token]) -> n.Template:
        templates = [self._template(t) for t in tokens]
        parts: list[str | n.Expr] = []
        for template in templates:
            for part in template.parts:
                if isinstance(part, str) and parts and isinstance(parts[-1], str):
                    parts[-1] = parts[-1] + part
                else:
                    parts.append(part)
        first, last = templates[0].span, templates[-1].span
        return n.Template(tuple(parts), n.Span(first.line, first.column, last.end_line, last.end_column))

    # ---- file structure -----------------------------------------------------------

    @v_args(inline=True)
    def interpolation(self, expr: n.Expr) -> n.Expr:
        return expr

    def start(self, items: list[n.Declaration]) -> list[n.Declaration]:
        return items

    @v_args(meta=True, inline=True)
    def text(self, meta: Meta, zh: list[Token], en: list[Token]) -> n.Text:
        return n.Text(self._joined(zh), self._joined(en), _span(meta))

    def strings(self, tokens: list[Token]) -> list[Token]:
        return tokens

    @v_args(meta=True)
    def policy_decl(self, meta: Meta, children: list[Any]) -> n.PolicyHeader:
        ident = self._plain(children[0])
        parent = children[1]
        fields: dict[str, Any] = {}
        for kind, value, span in children[2:]:
            if kind in fields:
                self.problems.append(self.source.at(span, f"'{kind}' is given twice in the header", "duplicate"))
            fields[kind] = value
        return n.PolicyHeader(
            ident,
            fields.get("title"),
            fields.get("document"),
            fields.get("issuer"),
            fields.get("year"),
            _span(meta),
            parent,
        )

    @v_args(inline=True)
    def extends(self, token: Token) -> str:
        return self._plain(token)

    @v_args(meta=True, inline=True)
    def meta_title(self, meta: Meta, text: n.Text) -> tuple[str, Any, n.Span]:
        return ("title", text, _span(meta))

    @v_args(meta=True, inline=True)
    def meta_document(self, meta: Meta, token: Token) -> tuple[str, Any, n.Span]:
        return ("document", self._plain(token), _span(meta))

    @v_args(meta=True, inline=True)
    def meta_issuer(self, meta: Meta, token: Token) -> tuple[str, Any, n.Span]:
        return ("issuer", self._plain(token), _span(meta))

    @v_args(meta=True, inline=True)
    def meta_year(self, meta: Meta, token: Token) -> tuple[str, Any, n.Span]:
        return ("year", self._int(token), _span(meta))

    @v_args(meta=True)
    def enum_decl(self, meta: Meta, children: list[Any]) -> n.EnumDecl:
        name, ordered, *members = children
        return n.EnumDecl(str(name), ordered is not None, tuple(members), _span(meta))

    @v_args(meta=True, inline=True)
    def enum_member(self, meta: Meta, name: Token, label: Token | None) -> n.EnumMember:
        return n.EnumMember(str(name), self._plain(label) if label else None, _span(name))

    @v_args(meta=True, inline=True)
    def type_decl(self, meta: Meta, name: Token, type_: n.TypeExpr) -> n.TypeDecl:
        return n.TypeDecl(str(name), type_, _span(name))

    @v_args(meta=True)
    def facts_decl(self, meta: Meta, fields: list[n.FieldDecl]) -> n.FactsDecl:
        return n.FactsDecl(tuple(fields), _span(meta))

    @v_args(meta=True, inline=True)
    def field(
        self,
        meta: Meta,
        name: Token,
        type_: n.TypeExpr,
        default: n.Expr | None,
        key: Token | None,
        fixed: Token | None,
    ) -> n.FieldDecl:
        return n.FieldDecl(str(name), type_, default, key is not None, _span(name), fixed=fixed is not None)

    @v_args(inline=True)
    def field_default(self, expr: n.Expr) -> n.Expr:
        return expr

    # ---- types --------------------------------------------------------------------

    @v_args(meta=True, inline=True)
    def bool_type(self, meta: Meta) -> n.TypeExpr:
        return n.PrimitiveTypeExpr("bool", None, None, _span(meta))

    @v_args(meta=True, inline=True)
    def integer_type(self, meta: Meta, bounds: tuple[n.Expr, n.Expr] | None) -> n.TypeExpr:
        low, high = bounds if bounds else (None, None)
        return n.PrimitiveTypeExpr("integer", low, high, _span(meta))

    @v_args(meta=True, inline=True)
    def number_type(self, meta: Meta, bounds: tuple[n.Expr, n.Expr] | None) -> n.TypeExpr:
        low, high = bounds if bounds else (None, None)
        return n.PrimitiveTypeExpr("number", low, high, _span(meta))

    @v_args(meta=True, inline=True)
    def string_type(self, meta: Meta) -> n.TypeExpr:
        return n.PrimitiveTypeExpr("string", None, None, _span(meta))

    @v_args(meta=True, inline=True)
    def date_type(self, meta: Meta) -> n.TypeExpr:
        return n.PrimitiveTypeExpr("date", None, None, _span(meta))

    @v_args(meta=True, inline=True)
    def named_type(self, meta: Meta, name: Token) -> n.TypeExpr:
        return n.NamedTypeExpr(str(name), None, _span(name))

    @v_args(meta=True)
    def restricted_type(self, meta: Meta, names: list[Token]) -> n.TypeExpr:
        return n.NamedTypeExpr(str(names[0]), tuple(str(m) for m in names[1:]), _span(meta))

    @v_args(inline=True)
    def record_type(self, body: n.RecordTypeExpr) -> n.TypeExpr:
        return body

    @v_args(meta=True, inline=True)
    def list_type(self, meta: Meta, item: n.TypeExpr) -> n.TypeExpr:
        return n.ListTypeExpr(item, _span(meta))

    @v_args(meta=True, inline=True)
    def map_type(self, meta: Meta, value: n.TypeExpr) -> n.TypeExpr:
        return n.MapTypeExpr(value, _span(meta))

    @v_args(meta=True, inline=True)
    def nullable_type(self, meta: Meta, inner: n.TypeExpr) -> n.TypeExpr:
        return n.NullableTypeExpr(inner, _span(meta))

    @v_args(inline=True)
    def bounds(self, low: n.Expr, high: n.Expr) -> tuple[n.Expr, n.Expr]:
        return (low, high)

    @v_args(meta=True)
    def record_body(self, meta: Meta, children: list[Any]) -> n.RecordTypeExpr:
        *fields, invariant = children
        return n.RecordTypeExpr(tuple(fields), invariant, _span(meta))

    # ---- parameters, tables, lets, clauses, outputs -----------------------------------

    @v_args(meta=True, inline=True)
    def param_decl(self, meta: Meta, name: Token, value: n.Expr) -> n.ParamDecl:
        return n.ParamDecl(str(name), value, _span(name))

    @v_args(meta=True)
    def table_decl(self, meta: Meta, children: list[Any]) -> n.TableDecl:
        name, key_type, *entries, otherwise = children
        return n.TableDecl(str(name), key_type, tuple(entries), otherwise, _span(name))

    def table_key_type(self, names: list[Token]) -> n.TypeExpr:
        name, *members = names
        listed = tuple(str(m) for m in members if m is not None)
        return n.NamedTypeExpr(str(name), listed or None, _span(name))

    @v_args(meta=True)
    def string_key(self, meta: Meta, _: list[Any]) -> n.TypeExpr:
        return n.PrimitiveTypeExpr("string", None, None, _span(meta))

    @v_args(meta=True)
    def integer_key(self, meta: Meta, _: list[Any]) -> n.TypeExpr:
        return n.PrimitiveTypeExpr("integer", None, None, _span(meta))

    @v_args(meta=True, inline=True)
    def table_entry(self, meta: Meta, key: tuple[str | int, bool, n.Span], value: n.Expr) -> n.TableEntry:
        return n.TableEntry(key[0], key[1], value, key[2])

    @v_args(inline=True)
    def table_key(self, token: Token) -> tuple[str | int, bool, n.Span]:
        if token.type == "INT":
            return (self._int(token), False, _span(token))
        if token.type == "STRING":
            return (self._plain(token), False, _span(token))
        return (str(token), True, _span(token))

    @v_args(inline=True)
    def table_else(self, expr: n.Expr) -> n.Expr:
        return expr

    @v_args(meta=True, inline=True)
    def let_decl(self, meta: Meta, name: Token, value: n.Expr) -> n.LetDecl:
        return n.LetDecl(str(name), value, _span(name))

    let_stmt = let_decl

    @v_args(meta=True, inline=True)
    def show_stmt(self, meta: Meta, name: Token, value: n.Expr) -> n.ShowStmt:
        return n.ShowStmt(str(name), value, _span(name))

    @v_args(meta=True)
    def clause_decl(self, meta: Meta, children: list[Any]) -> n.ClauseDecl:
        ident, heading, *fields = children
        quote: str | None = None
        unchecked: list[n.Text] = []
        for kind, value in fields:
            if kind == "quote":
                quote = value if quote is None else quote + value
            else:
                unchecked.append(value)
        return n.ClauseDecl(
            self._plain(ident),
            self._plain(heading) if heading else None,
            quote,
            tuple(unchecked),
            _span(ident),
        )

    @v_args(inline=True)
    def clause_quote(self, tokens: list[Token]) -> tuple[str, str]:
        return ("quote", "".join(self._plain(t) for t in tokens))

    @v_args(inline=True)
    def clause_unchecked(self, text: n.Text) -> tuple[str, n.Text]:
        return ("unchecked", text)

    @v_args(meta=True, inline=True)
    def output_decl(self, meta: Meta, name: Token, label: n.Text | None, value: n.Expr) -> n.OutputDecl:
        return n.OutputDecl(str(name), label, value, _span(name))

    @v_args(meta=True)
    def messages_decl(self, meta: Meta, children: list[Any]) -> n.MessagesDecl:
        names = [c for c in children if isinstance(c, Token)]
        overrides = [c for c in children if isinstance(c, n.MessageOverride)]
        return n.MessagesDecl(tuple(str(t) for t in names), tuple(overrides), _span(meta))

    @v_args(meta=True, inline=True)
    def override_note(self, meta: Meta, text: n.Text) -> n.MessageOverride:
        return n.MessageOverride("note", None, text, _span(meta))

    @v_args(meta=True, inline=True)
    def override_title(self, meta: Meta, text: n.Text) -> n.MessageOverride:
        return n.MessageOverride("title", None, text, _span(meta))

    @v_args(meta=True, inline=True)
    def override_pass(self, meta: Meta, text: n.Text) -> n.MessageOverride:
        return n.MessageOverride("pass", None, text, _span(meta))

    @v_args(meta=True, inline=True)
    def override_exception(self, meta: Meta, outcome: str, text: n.Text) -> n.MessageOverride:
        return n.MessageOverride("exception", outcome, text, _span(meta))

    @v_args(meta=True, inline=True)
    def override_requirement(self, meta: Meta, outcome: str, text: n.Text) -> n.MessageOverride:
        return n.MessageOverride("require", outcome, text, _span(meta))

    # ---- rules --------------------------------------------------------------------

    @v_args(meta=True)
    def rule_decl(self, meta: Meta, children: list[Any]) -> n.RuleDecl:
        name, *stmts = children
        cites: list[str] = []
        cite_spans: list[n.Span] = []
        note: n.Text | None = None
        for stmt in stmts:
            if isinstance(stmt, tuple) and stmt[0] == "cite":
                cites.extend(stmt[1])
                cite_spans.extend(stmt[2])
            elif isinstance(stmt, tuple) and stmt[0] == "note":
                if note is not None:
                    self.problems.append(self.source.at(stmt[1].span, "a rule has one 'note'", "duplicate"))
                note = stmt[1]
        body = self._block(stmts, _span(meta))
        return n.RuleDecl(str(name), tuple(cites), note, body, _span(name), tuple(cite_spans))

    def _block(self, stmts: list[Any], span: n.Span) -> n.Block:
        title: n.Text | None = None
        pass_message: n.Text | None = None
        statements: list[n.Statement] = []
        for stmt in stmts:
            if isinstance(stmt, tuple):
                kind, value = stmt[0], stmt[1]
                if kind == "title":
                    if title is not None:
                        self.problems.append(self.source.at(value.span, "'title' is given twice", "duplicate"))
                    title = value
                elif kind == "pass":
                    if pass_message is not None:
                        self.problems.append(self.source.at(value.span, "'pass' message is given twice", "duplicate"))
                    pass_message = value
            else:
                statements.append(stmt)
        return n.Block(title, tuple(statements), pass_message, span)

    @v_args(meta=True)
    def cite_stmt(self, meta: Meta, tokens: list[Token]) -> tuple[str, list[str], list[n.Span]]:
        return ("cite", [self._plain(t) for t in tokens], [_span(t) for t in tokens])

    @v_args(inline=True)
    def title_stmt(self, text: n.Text) -> tuple[str, n.Text]:
        return ("title", text)

    @v_args(inline=True)
    def note_stmt(self, text: n.Text) -> tuple[str, n.Text]:
        return ("note", text)

    @v_args(inline=True)
    def pass_message(self, text: n.Text) -> tuple[str, n.Text]:
        return ("pass", text)

    @v_args(meta=True)
    def require_stmt(self, meta: Meta, children: list[Any]) -> n.RequireStmt:
        condition, by, when, else_clause, *messages = children
        else_action = else_clause is not None
        until = else_clause[0] if else_clause else None
        return n.RequireStmt(condition, by, when, else_action, until, tuple(messages), _span(meta))

    @v_args(inline=True)
    def by_clause(self, expr: n.Expr) -> n.Expr:
        return expr

    @v_args(inline=True)
    def when_clause(self, expr: n.Expr) -> n.Expr:
        return expr

    @v_args(inline=True)
    def else_clause(self, until: n.Expr | None) -> tuple[n.Expr | None]:
        return (until,)

    @v_args(inline=True)
    def until_clause(self, expr: n.Expr) -> n.Expr:
        return expr

    @v_args(meta=True, inline=True)
    def requirement_message(self, meta: Meta, outcome: str, text: n.Text) -> n.OutcomeMessage:
        return n.OutcomeMessage(outcome, text, _span(meta))

    @v_args(inline=True)
    def req_outcome(self, token: Token) -> str:
        return str(token)

    exc_outcome = req_outcome

    @v_args(meta=True, inline=True)
    def exception_stmt(self, meta: Meta, outcome: str, condition: n.Expr, text: n.Text | None) -> n.ExceptionStmt:
        return n.ExceptionStmt(outcome, condition, text, _span(meta))

    @v_args(meta=True)
    def each_child(self, meta: Meta, children: list[Any]) -> n.EachChild:
        var, iterable, *stmts = children
        return n.EachChild(str(var), iterable, self._block(stmts, _span(meta)), _span(meta))

    @v_args(meta=True)
    def named_child(self, meta: Meta, children: list[Any]) -> n.NamedChild:
        name, *stmts = children
        return n.NamedChild(str(name), self._block(stmts, _span(meta)), _span(meta))

    # ---- expressions ------------------------------------------------------------------

    @v_args(meta=True, inline=True)
    def conditional(self, meta: Meta, c: n.Expr, a: n.Expr, b: n.Expr) -> n.Expr:
        return n.Conditional(c, a, b, _span(meta))

    @v_args(meta=True, inline=True)
    def quantified(self, meta: Meta, quantifier: str, var: Token, iterable: n.Expr, body: n.Expr) -> n.Expr:
        return n.Quantified(quantifier, str(var), iterable, body, _span(meta))

    @v_args(inline=True)
    def quantifier(self, token: Token) -> str:
        return str(token)

    @v_args(meta=True, inline=True)
    def comprehension(self, meta: Meta, element: n.Expr, var: Token, iterable: n.Expr, cond: n.Expr | None) -> n.Expr:
        return n.Comprehension(element, str(var), iterable, cond, _span(meta))

    @v_args(meta=True)
    def or_expr(self, meta: Meta, operands: list[n.Expr]) -> n.Expr:
        if len(operands) == 1:
            return operands[0]
        return n.Logical("or", tuple(operands), _span(meta))

    @v_args(meta=True)
    def and_expr(self, meta: Meta, operands: list[n.Expr]) -> n.Expr:
        if len(operands) == 1:
            return operands[0]
        return n.Logical("and", tuple(operands), _span(meta))

    @v_args(meta=True, inline=True)
    def not_expr(self, meta: Meta, operand: n.Expr) -> n.Expr:
        return n.Unary("not", operand, _span(meta))

    @v_args(meta=True, inline=True)
    def compare(self, meta: Meta, left: n.Expr, op: str, right: n.Expr) -> n.Expr:
        return n.Binary(op, left, right, _span(meta))

    @v_args(inline=True)
    def comparator(self, token: Token) -> str:
        return str(token)

    @v_args(meta=True, inline=True)
    def member(self, meta: Meta, left: n.Expr, right: n.Expr) -> n.Expr:
        return n.Binary("in", left, right, _span(meta))

    @v_args(meta=True, inline=True)
    def not_member(self, meta: Meta, left: n.Expr, right: n.Expr) -> n.Expr:
        return n.Binary("not in", left, right, _span(meta))

    @v_args(meta=True, inline=True)
    def in_range(self, meta: Meta, operand: n.Expr, low: n.Expr, high: n.Expr) -> n.Expr:
        return n.InRange(operand, low, high, _span(meta))

    @v_args(meta=True, inline=True)
    def is_present(self, meta: Meta, operand: n.Expr) -> n.Expr:
        return n.Test(operand, "present", _span(meta))

    @v_args(meta=True, inline=True)
    def is_absent(self, meta: Meta, operand: n.Expr) -> n.Expr:
        return n.Test(operand, "absent", _span(meta))

    @v_args(meta=True, inline=True)
    def is_none(self, meta: Meta, operand: n.Expr) -> n.Expr:
        return n.Test(operand, "none", _span(meta))

    @v_args(meta=True, inline=True)
    def is_not_none(self, meta: Meta, operand: n.Expr) -> n.Expr:
        return n.Test(operand, "not none", _span(meta))

    @v_args(meta=True, inline=True)
    def add(self, meta: Meta, left: n.Expr, right: n.Expr) -> n.Expr:
        return n.Binary("+", left, right, _span(meta))

    @v_args(meta=True, inline=True)
    def subtract(self, meta: Meta, left: n.Expr, right: n.Expr) -> n.Expr:
        return n.Binary("-", left, right, _span(meta))

    @v_args(meta=True, inline=True)
    def multiply(self, meta: Meta, left: n.Expr, right: n.Expr) -> n.Expr:
        return n.Binary("*", left, right, _span(meta))

    @v_args(meta=True, inline=True)
    def divide(self, meta: Meta, left: n.Expr, right: n.Expr) -> n.Expr:
        return n.Binary("/", left, right, _span(meta))

    @v_args(meta=True, inline=True)
    def neg(self, meta: Meta, operand: n.Expr) -> n.Expr:
        return n.Unary("-", operand, _span(meta))

    @v_args(meta=True, inline=True)
    def field_access(self, meta: Meta, obj: n.Expr, name: Token) -> n.Expr:
        return n.FieldAccess(obj, str(name), _span(meta))

    @v_args(meta=True, inline=True)
    def index(self, meta: Meta, obj: n.Expr, key: n.Expr) -> n.Expr:
        return n.Index(obj, key, _span(meta))

    @v_args(meta=True)
    def call(self, meta: Meta, children: list[Any]) -> n.Expr:
        name, *args = children
        return n.Call(str(name), tuple(a for a in args if a is not None), _span(meta))

    @v_args(inline=True)
    def int_literal(self, token: Token) -> n.Expr:
        return n.Literal(self._int(token), _span(token))

    @v_args(inline=True)
    def decimal_literal(self, token: Token) -> n.Expr:
        return n.Literal(float(self._digits(token)), _span(token))

    @v_args(inline=True)
    def date_literal(self, token: Token) -> n.Expr:
        try:
            value = datetime.date.fromisoformat(str(token))
        except ValueError:
            self.problems.append(self.source.at(_span(token), f"{token} is not a calendar date", "bad-date"))
            value = datetime.date(1, 1, 1)
        return n.Literal(value, _span(token))

    @v_args(inline=True)
    def string_literal(self, token: Token) -> n.Expr:
        template = self._template(token)
        if all(isinstance(p, str) for p in template.parts):
            return n.Literal("".join(p for p in template.parts if isinstance(p, str)), template.span)
        return template

    @v_args(meta=True, inline=True)
    def true_literal(self, meta: Meta) -> n.Expr:
        return n.Literal(True, _span(meta))

    @v_args(meta=True, inline=True)
    def false_literal(self, meta: Meta) -> n.Expr:
        return n.Literal(False, _span(meta))

    @v_args(meta=True, inline=True)
    def none_literal(self, meta: Meta) -> n.Expr:
        return n.Literal(None, _span(meta))

    @v_args(inline=True)
    def name(self, token: Token) -> n.Expr:
        return n.Name(str(token), _span(token))

    @v_args(meta=True)
    def list_literal(self, meta: Meta, items: list[n.Expr | None]) -> n.Expr:
        return n.ListExpr(tuple(i for i in items if i is not None), _span(meta))

    @v_args(meta=True)
    def record_literal(self, meta: Meta, items: list[Any]) -> n.Expr:
        pairs = tuple(i for i in items if i is not None)
        seen: set[str] = set()
        for key, value in pairs:
            if key in seen:
                self.problems.append(self.source.at(value.span, f"field '{key}' is given twice", "duplicate"))
            seen.add(key)
        return n.RecordExpr(pairs, _span(meta))

    @v_args(inline=True)
    def record_item(self, name: Token, value: n.Expr) -> tuple[str, n.Expr]:
        return (str(name), value)


def _shift(expr: Any, lines: int, columns: int) -> Any:
    """Move the spans of an interpolated expression to where it stands in the file."""
    if not attrs.has(type(expr)):
        if isinstance(expr, tuple):
            return tuple(_shift(e, lines, columns) for e in expr)
        return expr
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(expr)):
        value = getattr(expr, field.name)
        if isinstance(value, n.Span):
            changes[field.name] = n.Span(
                value.line + lines,
                value.column + (columns if value.line == 1 else 0),
                value.end_line + lines,
                value.end_column + (columns if value.end_line == 1 else 0),
            )
        elif attrs.has(type(value)) or isinstance(value, tuple):
            changes[field.name] = _shift(value, lines, columns)
    return attrs.evolve(expr, **changes)


def _check_text(source: SourceText) -> None:
    """Refuse, before parsing, text past the size and nesting limits and the characters
    :mod:`titlerules.characters` refuses."""
    size = len(source.text.encode("utf-8", "surrogatepass"))
    if size > MAX_POLICY_BYTES:
        raise PolicyError(
            [
                source.diagnostic(
                    1,
                    1,
                    f"the policy is {size} bytes; the limit is MAX_POLICY_BYTES = {MAX_POLICY_BYTES}",
                    "too-large",
                )
            ]
        )
    if not source.text.strip():
        message = 'the policy is empty; a policy starts with a header: policy "id" { ... }'
        raise PolicyError([source.diagnostic(1, 1, message, "no-header")])
    problems, deepest, (line, column) = characters.scan(source.text)
    if problems:
        raise PolicyError([source.diagnostic(p.line, p.column, p.message, "character") for p in problems])
    if deepest > MAX_POLICY_NESTING:
        raise PolicyError(
            [
                source.diagnostic(
                    line,
                    column,
                    f"brackets nested {deepest} deep; the limit is MAX_POLICY_NESTING = {MAX_POLICY_NESTING}; "
                    "split the expression with let or param",
                    "too-deep",
                )
            ]
        )


def _check_depth(source: SourceText, tree: Tree[Token]) -> None:
    """Refuse a syntax tree deeper than the limit (long chains of operators nest without
    brackets), before anything walks it recursively."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_EXPRESSION_DEPTH:
            meta = node.meta
            line = getattr(meta, "line", 1) if not getattr(meta, "empty", True) else 1
            column = getattr(meta, "column", 1) if not getattr(meta, "empty", True) else 1
            raise PolicyError(
                [
                    source.diagnostic(
                        line,
                        column,
                        f"an expression nested more than {MAX_EXPRESSION_DEPTH} deep (long chains of operators "
                        f"count too); the limit is MAX_EXPRESSION_DEPTH = {MAX_EXPRESSION_DEPTH}; "
                        "split it with let or param",
                        "too-deep",
                    )
                ]
            )
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def parse(text: str, filename: str = "<policy>") -> n.PolicyFile:
    """Parse policy text into a :class:`~titlerules.nodes.PolicyFile`.

    Raises :class:`~titlerules.errors.PolicyError` with every problem found.
    """
    source = SourceText(text, filename)
    _check_text(source)
    parser = _lark()
    try:
        tree = parser.parse(text, start="start", on_error=_keyword_as_name)
    except UnexpectedInput as error:
        raise PolicyError([_syntax_diagnostic(source, error, parser)]) from None
    _check_depth(source, tree)
    builder = _Builder(source)
    declarations = builder.transform(tree)
    if builder.problems:
        raise PolicyError(builder.problems)
    return n.PolicyFile(filename, tuple(declarations))


def lex(text: str, filename: str = "<policy>") -> list[tuple[str, str, n.Span]]:
    """Every token of ``text``, comments included, as (terminal name, text, span).

    For tools that need what the AST leaves out: the formatter keeps comments and
    finds closing braces with it. Whitespace is not returned.
    """
    try:
        return [
            (token.type, str(token), _span(token))
            for token in _lark().lex(text, dont_ignore=True)
            if token.type != "WS"
        ]
    except UnexpectedInput as error:
        raise PolicyError([_syntax_diagnostic(SourceText(text, filename), error, _lark())]) from None
