"""``titlerules fmt``: one canonical layout for a policy, comments kept.

The formatter prints the AST, not the text: layout is decided by the printer alone,
so two policies that parse to the same AST print the same. Comments, which the parser
drops, are read from the token stream (:func:`parser.lex`) and put back by position:
a comment on a line of its own goes before the item that follows it, a comment after
code stays at the end of that code's line. Blank lines the author left between items
are kept (at most one); a blank line always separates declarations that span lines.

Long expressions are broken by a small Wadler-style layout engine: a group is printed
on one line when it fits in :data:`WIDTH` display columns (a Chinese character takes
two), else each of its line breaks is taken.
"""

from __future__ import annotations

import bisect
import datetime
import decimal
from collections.abc import Sequence

import attrs

from . import nodes as n
from .errors import PolicyError, SourceText, TitlerulesError, display_width
from .parser import lex, parse

WIDTH = 100
INDENT = "  "
CONTINUATION = 4


class FormatterError(TitlerulesError):
    """The formatted text would not mean what the original meant (a formatter bug)."""

    code = "formatter"


def format_source(text: str, filename: str = "<policy>") -> str:
    """The canonical layout of policy ``text``; raises :class:`PolicyError` if it does not parse.

    The result parses to the same AST as ``text`` (this is verified; a difference raises
    :class:`FormatterError` rather than return text that means something else).
    """
    tree = parse(text, filename)
    printer = _Printer(text, filename)
    formatted = printer.policy(tree)
    try:
        again = parse(formatted, filename)
    except PolicyError as error:
        raise FormatterError(f"{filename}: the formatted text does not parse: {error}") from None
    if again.declarations != tree.declarations:
        raise FormatterError(f"{filename}: the formatted text parses to a different policy")
    if printer.comments_in != printer.comments_out:
        raise FormatterError(f"{filename}: the formatter lost a comment")
    return formatted


# ---- the layout engine --------------------------------------------------------------------------


@attrs.frozen
class _Line:
    """A place to break: ``flat`` when the group fits, a newline otherwise."""

    flat: str = " "


@attrs.frozen
class _Nest:
    indent: int
    doc: Doc


@attrs.frozen
class _Group:
    doc: Doc


@attrs.frozen
class _IfBreak:
    broken: str
    flat: str = ""


Doc = str | list["Doc"] | _Line | _Nest | _Group | _IfBreak

_SOFT = _Line("")
_FLAT, _BREAK = 0, 1


def _render(doc: Doc, indent: int, column: int) -> list[str]:
    """Lay ``doc`` out starting at ``column``; breaks return to ``indent`` plus nesting."""
    lines: list[str] = [""]
    stack: list[tuple[int, int, Doc]] = [(indent, _BREAK, doc)]
    while stack:
        ind, mode, d = stack.pop()
        if isinstance(d, str):
            lines[-1] += d
            column += display_width(d)
        elif isinstance(d, list):
            stack.extend((ind, mode, item) for item in reversed(d))
        elif isinstance(d, _Nest):
            stack.append((ind + d.indent, mode, d.doc))
        elif isinstance(d, _Line):
            if mode == _FLAT:
                lines[-1] += d.flat
                column += len(d.flat)
            else:
                lines.append(" " * ind)
                column = ind
        elif isinstance(d, _IfBreak):
            text = d.broken if mode == _BREAK else d.flat
            lines[-1] += text
            column += len(text)
        elif mode == _FLAT or _fits(WIDTH - column, [(ind, _FLAT, d.doc), *reversed(stack)]):
            stack.append((ind, _FLAT, d.doc))
        else:
            stack.append((ind, _BREAK, d.doc))
    return lines


def _fits(room: int, items: list[tuple[int, int, Doc]]) -> bool:
    """Whether the text up to the next line break that will be taken fits in ``room``."""
    pending = list(reversed(items))
    while pending:
        if room < 0:
            return False
        ind, mode, d = pending.pop()
        if isinstance(d, str):
            room -= display_width(d)
        elif isinstance(d, list):
            pending.extend((ind, mode, item) for item in reversed(d))
        elif isinstance(d, _Nest):
            pending.append((ind + d.indent, mode, d.doc))
        elif isinstance(d, _Line):
            if mode == _BREAK:
                return True
            room -= len(d.flat)
        elif isinstance(d, _IfBreak):
            room -= len(d.broken if mode == _BREAK else d.flat)
        else:
            pending.append((ind, mode, d.doc))
    return room >= 0


def _lines(doc: Doc, indent: int) -> list[str]:
    """``doc`` laid out at block level ``indent``, without that indentation."""
    pad = len(INDENT) * indent
    return [line[pad:] if i else line for i, line in enumerate(_render(doc, pad, pad))]


def _flat(doc: Doc) -> str:
    """``doc`` on one line."""
    if isinstance(doc, str):
        return doc
    if isinstance(doc, list):
        return "".join(_flat(d) for d in doc)
    if isinstance(doc, _Line):
        return doc.flat
    if isinstance(doc, _IfBreak):
        return doc.flat
    return _flat(doc.doc)


def _join(items: Sequence[Doc], separator: Doc) -> list[Doc]:
    out: list[Doc] = []
    for i, item in enumerate(items):
        if i:
            out.append(separator)
        out.append(item)
    return out


def _bracketed(open_: str, items: Sequence[Doc], close: str, padded: bool = False, trailing: bool = True) -> Doc:
    """``[a, b]`` or ``{ a, b }`` on one line, else one item a line with a trailing comma
    (none in a call's arguments, where the grammar takes none)."""
    if not items:
        return open_ + close
    edge = _Line(" ") if padded else _SOFT
    last = [_IfBreak(",")] if trailing else []
    return _Group([open_, _Nest(2, [edge, *_join(items, [",", _Line()]), *last]), edge, close])


def _filled(open_: str, items: Sequence[Doc], close: str) -> Doc:
    """Like :func:`_bracketed`, but as many items a line as fit (a list of constants)."""
    if not items:
        return open_ + close
    body: list[Doc] = [_SOFT, items[0]]
    for item in items[1:]:
        body += [",", _Group([_Line(), item])]
    return _Group([open_, _Nest(2, [*body, _IfBreak(",")]), _SOFT, close])


# ---- literals ---------------------------------------------------------------------------------------


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "{": "{{", "}": "}}"}


def _quoted(text: str) -> str:
    """A string literal reading back as ``text``."""
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in text) + '"'


def _number(value: float) -> str:
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(decimal.Decimal(text), "f")
    return text if "." in text else text + ".0"


# ---- precedence of expressions (grammar.lark, lowest first) ---------------------------------------

_EXPR, _OR, _AND, _NOT, _COMPARISON, _SUM, _PRODUCT, _UNARY, _POSTFIX, _ATOM = range(10)


@attrs.frozen
class _Comment:
    line: int
    column: int
    text: str
    own_line: bool


def expression_text(expr: n.Expr) -> str:
    """An expression as the formatter writes it, on one line."""
    return _flat(_Expressions()._expr(expr))


def template_text(template: n.Template) -> str:
    """A string with its ``{expression}`` parts, as the formatter writes it (quoted)."""
    return _Expressions()._template(template)


class _Expressions:
    """Prints expressions and templates (no source needed; see :func:`expression_text`)."""

    def _range(self, low: n.Expr, high: n.Expr) -> str:
        lo, hi = _flat(self._expr(low, _SUM)), _flat(self._expr(high, _SUM))
        simple = all(isinstance(b, (n.Literal, n.Name)) or _is_negative_literal(b) for b in (low, high))
        return f"{lo}..{hi}" if simple else f"{lo} .. {hi}"

    # ---- rules ----------------------------------------------------------------------------------------

    def _template(self, template: n.Template) -> str:
        """A string literal with its ``{expression}`` parts."""
        out = []
        for part in template.parts:
            if isinstance(part, str):
                out.append("".join(_ESCAPES.get(ch, ch) for ch in part))
            else:
                out.append("{" + _flat(self._expr(part)) + "}")
        return '"' + "".join(out) + '"'

    def _expr(self, e: n.Expr, minimum: int = _EXPR) -> Doc:
        doc, precedence = self._expr_doc(e)
        if precedence < minimum:
            return _Group(["(", _Nest(1, doc), ")"])
        return doc

    def _expr_doc(self, e: n.Expr) -> tuple[Doc, int]:
        if isinstance(e, n.Literal):
            return _literal(e.value), _ATOM
        if isinstance(e, n.Template):
            return self._template(e), _ATOM
        if isinstance(e, n.Name):
            return e.name, _ATOM
        if isinstance(e, n.FieldAccess):
            return [self._expr(e.obj, _POSTFIX), ".", e.name], _POSTFIX
        if isinstance(e, n.Index):
            return [self._expr(e.obj, _POSTFIX), "[", self._expr(e.key), "]"], _POSTFIX
        if isinstance(e, n.Call):
            return [e.function, _bracketed("(", [self._expr(a) for a in e.args], ")", trailing=False)], _POSTFIX
        if isinstance(e, n.Unary):
            if e.op == "not":
                return ["not ", self._expr(e.operand, _NOT)], _NOT
            return ["-", self._expr(e.operand, _UNARY)], _UNARY
        if isinstance(e, n.Binary):
            return self._binary(e)
        if isinstance(e, n.Logical):
            level = _OR if e.op == "or" else _AND
            operands = [self._expr(o, level + 1) for o in e.operands]
            rest: list[Doc] = []
            for operand in operands[1:]:
                rest += [_Line(), f"{e.op} ", operand]
            return _Group([operands[0], _Nest(CONTINUATION, rest)]), level
        if isinstance(e, n.InRange):
            operand = self._expr(e.operand, _SUM)
            return [operand, " in ", self._range(e.low, e.high)], _COMPARISON
        if isinstance(e, n.Test):
            return [self._expr(e.operand, _SUM), f" is {e.test}"], _COMPARISON
        if isinstance(e, n.ListExpr):
            if all(isinstance(i, n.Literal) for i in e.items):
                return _filled("[", [self._expr(i) for i in e.items], "]"), _ATOM
            return _bracketed("[", [self._expr(i) for i in e.items], "]"), _ATOM
        if isinstance(e, n.RecordExpr):
            items: list[Doc] = [[name, ": ", self._expr(value)] for name, value in e.items]
            return _bracketed("{", items, "}", padded=True), _ATOM
        if isinstance(e, n.Quantified):
            head = f"{e.quantifier} {e.var} in "
            body = _Group(_Nest(CONTINUATION, [_Line(), self._expr(e.body)]))
            return [head, self._expr(e.iterable, _OR), ":", body], _EXPR
        if isinstance(e, n.Comprehension):
            parts = [self._expr(e.element), _Line(), f"for {e.var} in ", self._expr(e.iterable, _OR)]
            if e.condition is not None:
                parts += [_Line(), "where ", self._expr(e.condition)]
            return _Group(["[", _Nest(2, [_SOFT, *parts]), _SOFT, "]"]), _ATOM
        assert isinstance(e, n.Conditional)
        parts = [
            "if ",
            self._expr(e.condition),
            _Line(),
            "then ",
            self._expr(e.then),
            _Line(),
            "else ",
            self._expr(e.otherwise),
        ]
        return _Group(_Nest(CONTINUATION, parts)), _EXPR

    def _binary(self, e: n.Binary) -> tuple[Doc, int]:
        if e.op in ("+", "-"):
            return [self._expr(e.left, _SUM), f" {e.op} ", self._expr(e.right, _PRODUCT)], _SUM
        if e.op in ("*", "/"):
            return [self._expr(e.left, _PRODUCT), f" {e.op} ", self._expr(e.right, _UNARY)], _PRODUCT
        return [self._expr(e.left, _SUM), f" {e.op} ", self._expr(e.right, _SUM)], _COMPARISON


class _Printer(_Expressions):
    """Prints one policy file; keeps the comments of its source in order."""

    def __init__(self, source: str, filename: str) -> None:
        self.source = SourceText(source, filename)
        tokens = lex(source, filename)
        self.comments = [
            _Comment(span.line, span.column, text.rstrip(), self._own_line(span))
            for kind, text, span in tokens
            if kind == "COMMENT"
        ]
        self.comments_in = len(self.comments)
        self.comments_out = 0
        self.code = [(span.line, span.column) for kind, _, span in tokens if kind != "COMMENT"]
        self.closing = _match_braces([(kind, (span.line, span.column)) for kind, _, span in tokens])
        self.openings = sorted(self.closing)
        self.out: list[str] = []
        self.trailing: dict[int, str] = {}  # output line -> the comment at its end
        self.next_comment = 0

    def _own_line(self, span: n.Span) -> bool:
        line = self.source.line(span.line) or ""
        return not line[: span.column - 1].strip()

    # ---- positions ----------------------------------------------------------------------------

    def _token_before(self, pos: tuple[int, int], count: int = 1) -> tuple[int, int]:
        """The position of the ``count``-th code token before ``pos`` (a keyword before a name)."""
        index = bisect.bisect_left(self.code, pos) - count
        return self.code[max(index, 0)]

    def _last_before(self, bound: tuple[int, int]) -> tuple[int, int]:
        """The start of the last code token before ``bound``."""
        index = bisect.bisect_left(self.code, bound) - 1
        return self.code[max(index, 0)]

    def _close_after(self, pos: tuple[int, int]) -> tuple[int, int]:
        """The closing brace of the first ``{`` at or after ``pos``."""
        index = bisect.bisect_left(self.openings, pos)
        return self.closing[self.openings[index]]

    # ---- output and comments -------------------------------------------------------------------

    def _emit(self, indent: int, lines: Sequence[str]) -> None:
        pad = INDENT * indent
        self.out.extend((pad + line if line else "") for line in lines)

    def _blank(self) -> None:
        if self.out and self.out[-1] != "" and not self.out[-1].endswith("{"):
            self.out.append("")

    def _blank_above(self, line: int) -> bool:
        above = self.source.line(line - 1)
        return above is not None and not above.strip()

    def _comments_before(self, pos: tuple[int, int], indent: int, force_blank: bool = False) -> None:
        """Put out every comment before ``pos``: trailing ones on the last line, others alone."""
        first = True
        while self.next_comment < len(self.comments):
            comment = self.comments[self.next_comment]
            if (comment.line, comment.column) >= pos:
                break
            self.next_comment += 1
            self.comments_out += 1
            last = len(self.out) - 1
            if not comment.own_line and self.out and self.out[-1] and last not in self.trailing:
                self.trailing[last] = comment.text
                continue
            if (first and force_blank) or self._blank_above(comment.line):
                self._blank()
            first = False
            self._emit(indent, [comment.text])
        if (first and force_blank) or (self._starts_line(pos) and self._blank_above(pos[0])):
            self._blank()

    def _starts_line(self, pos: tuple[int, int]) -> bool:
        """Whether ``pos`` is the first thing on its source line."""
        return not (self.source.line(pos[0]) or "")[: pos[1] - 1].strip()

    def _inner_comments(self, end: tuple[int, int], indent: int) -> None:
        """Comments inside an item that is printed anew: they go before it, alone."""
        while self.next_comment < len(self.comments):
            comment = self.comments[self.next_comment]
            if (comment.line, comment.column) >= end:
                break
            self.next_comment += 1
            self.comments_out += 1
            self._emit(indent, [comment.text])

    def _item(
        self,
        start: tuple[int, int],
        bound: tuple[int, int],
        indent: int,
        lines: Sequence[str],
        force_blank: bool = False,
    ) -> None:
        """A leaf item from ``start`` to before ``bound`` (the next item or the closing brace)."""
        self._comments_before(start, indent, force_blank)
        self._inner_comments(self._last_before(bound), indent)
        self._emit(indent, lines)

    def _close(self, close: tuple[int, int], indent: int, text: str = "}") -> None:
        self._comments_before(close, indent + 1)
        self._emit(indent, [text])

    # ---- the file ---------------------------------------------------------------------------------

    def policy(self, tree: n.PolicyFile) -> str:
        decls = tree.declarations
        end = (len(self.source.lines) + 1, 1)
        starts = [self._decl_start(d) for d in decls]
        previous_block = False
        for i, decl in enumerate(decls):
            bound = starts[i + 1] if i + 1 < len(decls) else end
            block = self._is_block(decl)
            force = bool(i) and (block or previous_block)
            self._declaration(decl, starts[i], bound, force)
            previous_block = block
        self._comments_before(end, 0)
        while self.out and self.out[-1] == "":
            self.out.pop()
        return "\n".join(self._with_trailing_comments()) + "\n"

    def _with_trailing_comments(self) -> list[str]:
        """The output with trailing comments aligned across consecutive commented lines."""
        lines = list(self.out)
        index = 0
        while index < len(lines):
            if index not in self.trailing:
                index += 1
                continue
            run = [index]
            while run[-1] + 1 in self.trailing:
                run.append(run[-1] + 1)
            column = max(display_width(lines[i]) for i in run) + 2
            for i in run:
                lines[i] += " " * (column - display_width(lines[i])) + self.trailing[i]
            index = run[-1] + 1
        return lines

    def _decl_start(self, decl: n.Declaration) -> tuple[int, int]:
        if isinstance(decl, n.RuleDecl):
            return (decl.body.span.line, decl.body.span.column)
        pos = (decl.span.line, decl.span.column)
        if isinstance(decl, (n.TypeDecl, n.ParamDecl, n.TableDecl, n.LetDecl, n.ClauseDecl, n.OutputDecl)):
            return self._token_before(pos)
        return pos

    def _is_block(self, decl: n.Declaration) -> bool:
        if isinstance(decl, (n.ParamDecl, n.LetDecl)):
            return False
        if isinstance(decl, n.TypeDecl):
            return isinstance(decl.type, n.RecordTypeExpr)
        if isinstance(decl, n.OutputDecl):
            return len(self._output_lines(decl)) > 1
        return True

    def _declaration(self, decl: n.Declaration, start: tuple[int, int], bound: tuple[int, int], force: bool) -> None:
        if isinstance(decl, n.ParamDecl):
            self._item(start, bound, 0, self._statement(f"param {decl.name} = ", self._expr(decl.value), 0), force)
        elif isinstance(decl, n.LetDecl):
            self._item(start, bound, 0, self._statement(f"let {decl.name} = ", self._expr(decl.value), 0), force)
        elif isinstance(decl, n.OutputDecl):
            self._item(start, bound, 0, self._output_lines(decl), force)
        elif isinstance(decl, n.TypeDecl):
            if isinstance(decl.type, n.RecordTypeExpr):
                self._comments_before(start, 0, force)
                self._record_block(f"type {decl.name} = ", decl.type, "", 0)
            else:
                self._item(start, bound, 0, [f"type {decl.name} = {self._type_inline(decl.type)}"], force)
        else:
            self._comments_before(start, 0, force)
            self._block_declaration(decl)

    def _block_declaration(self, decl: n.Declaration) -> None:
        if isinstance(decl, n.PolicyHeader):
            self._header(decl)
        elif isinstance(decl, n.EnumDecl):
            self._enum(decl)
        elif isinstance(decl, n.FactsDecl):
            self._emit(0, ["facts {"])
            close = self._close_after((decl.span.line, decl.span.column))
            self._fields(decl.fields, close, 1)
            self._close(close, 0)
        elif isinstance(decl, n.TableDecl):
            self._table(decl)
        elif isinstance(decl, n.ClauseDecl):
            self._clause(decl)
        elif isinstance(decl, n.RuleDecl):
            self._rule(decl)
        elif isinstance(decl, n.MessagesDecl):
            self._messages(decl)

    def _messages(self, decl: n.MessagesDecl) -> None:
        self._emit(0, [f"messages {'.'.join(decl.target)} {{"])
        close = self._close_after((decl.span.line, decl.span.column))
        for override in decl.overrides:
            self._comments_before((override.span.line, override.span.column), 1)
            if override.kind == "exception":
                keyword = f"exception {override.outcome} "
            elif override.kind == "require":
                keyword = f"{override.outcome} "
            else:
                keyword = f"{override.kind} "
            self._emit(1, self._text(keyword, override.text, 1))
        self._close(close, 0)

    # ---- declarations ------------------------------------------------------------------------------

    def _header(self, decl: n.PolicyHeader) -> None:
        parent = f" extends {_quoted(decl.extends)}" if decl.extends is not None else ""
        self._emit(0, [f"policy {_quoted(decl.id)}{parent} {{"])
        close = self._close_after((decl.span.line, decl.span.column))
        if decl.title is not None:
            self._emit(1, self._text("title ", decl.title, 1))
        if decl.document is not None:
            self._emit(1, [f"document {_quoted(decl.document)}"])
        if decl.issuer is not None:
            self._emit(1, [f"issuer {_quoted(decl.issuer)}"])
        if decl.year is not None:
            self._emit(1, [f"year {decl.year}"])
        self._close(close, 0)

    def _enum(self, decl: n.EnumDecl) -> None:
        self._emit(0, [f"enum {decl.name}{' ordered' if decl.ordered else ''} {{"])
        close = self._close_after((decl.span.line, decl.span.column))
        width = max(len(m.name) for m in decl.members)
        starts = [(m.span.line, m.span.column) for m in decl.members]
        for i, member in enumerate(decl.members):
            bound = starts[i + 1] if i + 1 < len(starts) else close
            label = f" {_quoted(member.label)}" if member.label is not None else ""
            line = (member.name.ljust(width) + label).rstrip() if label else member.name
            self._item(starts[i], bound, 1, [line])
        self._close(close, 0)

    def _table(self, decl: n.TableDecl) -> None:
        self._emit(0, [f"table {decl.name} by {self._table_key_type(decl.key_type)} {{"])
        close = self._close_after((decl.span.line, decl.span.column))
        keys = [self._table_key(e) + ":" for e in decl.entries]
        width = max((len(k) for k in keys), default=0)
        starts = [(e.span.line, e.span.column) for e in decl.entries]
        else_start = (
            self._token_before((decl.otherwise.span.line, decl.otherwise.span.column)) if decl.otherwise else close
        )
        for i, entry in enumerate(decl.entries):
            bound = starts[i + 1] if i + 1 < len(starts) else else_start
            prefix = keys[i].ljust(width) + " "
            self._item(starts[i], bound, 1, self._statement(prefix, self._expr(entry.value), 1))
        if decl.otherwise is not None:
            self._item(else_start, close, 1, self._statement("else ", self._expr(decl.otherwise), 1))
        self._close(close, 0)

    def _table_key_type(self, key: n.TypeExpr) -> str:
        return self._type_inline(key)

    @staticmethod
    def _table_key(entry: n.TableEntry) -> str:
        if entry.key_is_name:
            return str(entry.key)
        return _quoted(entry.key) if isinstance(entry.key, str) else str(entry.key)

    def _clause(self, decl: n.ClauseDecl) -> None:
        heading = f" {_quoted(decl.heading)}" if decl.heading is not None else ""
        self._emit(0, [f"clause {_quoted(decl.id)}{heading} {{"])
        close = self._close_after((decl.span.line, decl.span.column))
        if decl.quote is not None:
            sentences = _sentences(decl.quote)
            lines = ["quote " + _quoted(sentences[0])] + ["      " + _quoted(s) for s in sentences[1:]]
            self._emit(1, lines)
        for text in decl.unchecked:
            start = self._token_before((text.span.line, text.span.column))
            self._comments_before(start, 1)
            self._emit(1, self._text("unchecked ", text, 1))
        self._close(close, 0)

    def _output_lines(self, decl: n.OutputDecl) -> list[str]:
        head = f"output {decl.name}"
        if decl.label is not None:
            head += f" zh {self._template(decl.label.zh)} en {self._template(decl.label.en)}"
        return self._statement(head + " = ", self._expr(decl.value), 0)

    # ---- the fact schema ------------------------------------------------------------------------------

    def _fields(self, fields: Sequence[n.FieldDecl], close: tuple[int, int], indent: int) -> None:
        starts = [(f.span.line, f.span.column) for f in fields]
        for i, field in enumerate(fields):
            bound = starts[i + 1] if i + 1 < len(starts) else close
            record, wrapper = _record_of(field.type)
            suffix = self._field_suffix(field)
            if record is not None and not self._record_fits_inline(record, f"{field.name}: {wrapper}", suffix, indent):
                self._comments_before(starts[i], indent)
                self._record_block(f"{field.name}: {wrapper}", record, suffix, indent)
            else:
                self._item(starts[i], bound, indent, [f"{field.name}: {self._type_inline(field.type)}{suffix}"])

    def _field_suffix(self, field: n.FieldDecl) -> str:
        suffix = f" = {_flat(self._expr(field.default))}" if field.default is not None else ""
        return suffix + (" key" if field.is_key else "") + (" fixed" if field.fixed else "")

    def _record_fits_inline(
        self,
        record: n.RecordTypeExpr,
        prefix: str,
        suffix: str,
        indent: int,
    ) -> bool:
        if any(_record_of(f.type)[0] is not None for f in record.fields):
            return False
        open_ = (record.span.line, record.span.column)
        close = self._close_after(open_)
        if any(open_ < (c.line, c.column) < close for c in self.comments[self.next_comment :]):
            return False
        line = INDENT * indent + prefix + self._record_inline(record) + suffix
        return display_width(line) <= WIDTH

    def _record_block(self, prefix: str, record: n.RecordTypeExpr, suffix: str, indent: int) -> None:
        self._emit(indent, [prefix + "{"])
        close = self._close_after((record.span.line, record.span.column))
        self._fields(record.fields, close, indent + 1)
        where = f" where {_flat(self._expr(record.invariant))}" if record.invariant is not None else ""
        self._close(close, indent, "}" + where + suffix)

    def _record_inline(self, record: n.RecordTypeExpr) -> str:
        fields = ", ".join(f"{f.name}: {self._type_inline(f.type)}{self._field_suffix(f)}" for f in record.fields)
        body = f"{{ {fields} }}" if fields else "{}"
        if record.invariant is not None:
            body += f" where {_flat(self._expr(record.invariant))}"
        return body

    def _type_inline(self, type_: n.TypeExpr) -> str:
        if isinstance(type_, n.PrimitiveTypeExpr):
            if type_.low is not None and type_.high is not None:
                return f"{type_.name} in {self._range(type_.low, type_.high)}"
            return type_.name
        if isinstance(type_, n.NamedTypeExpr):
            if type_.members is None:
                return type_.name
            return f"{type_.name}({', '.join(type_.members)})"
        if isinstance(type_, n.RecordTypeExpr):
            return self._record_inline(type_)
        if isinstance(type_, n.ListTypeExpr):
            return f"list of {self._type_inline(type_.item)}"
        if isinstance(type_, n.MapTypeExpr):
            return f"map year -> {self._type_inline(type_.value)}"
        return f"nullable {self._type_inline(type_.inner)}"

    def _rule(self, decl: n.RuleDecl) -> None:
        self._emit(0, [f"rule {decl.id} {{"])
        close = self._close_after((decl.span.line, decl.span.column))
        if decl.cites:
            start = self._token_before((decl.cite_spans[0].line, decl.cite_spans[0].column))
            self._comments_before(start, 1)
            self._emit(1, ["cite " + ", ".join(_quoted(c) for c in decl.cites)])
        self._block_body(decl.body, close, 1, note=decl.note)
        self._close(close, 0)

    def _block_body(self, block: n.Block, close: tuple[int, int], indent: int, note: n.Text | None = None) -> None:
        if block.title is not None:
            self._keyword_text("title ", block.title, indent)
        if note is not None:
            self._keyword_text("note ", note, indent)
        pass_start = (
            self._token_before((block.pass_message.span.line, block.pass_message.span.column))
            if block.pass_message is not None
            else None
        )
        starts = [self._statement_start(s) for s in block.statements]
        for i, stmt in enumerate(block.statements):
            following = [p for p in (*starts[i + 1 :], pass_start, close) if p is not None and p > starts[i]]
            bound = min(following)
            self._block_statement(stmt, starts[i], bound, indent)
        if block.pass_message is not None:
            self._keyword_text("pass ", block.pass_message, indent)

    def _keyword_text(self, keyword: str, text: n.Text, indent: int) -> None:
        start = self._token_before((text.span.line, text.span.column))
        self._comments_before(start, indent)
        self._emit(indent, self._text(keyword, text, indent))

    def _statement_start(self, stmt: n.Statement) -> tuple[int, int]:
        pos = (stmt.span.line, stmt.span.column)
        if isinstance(stmt, (n.LetDecl, n.ShowStmt)):
            return self._token_before(pos)
        return pos

    def _block_statement(self, stmt: n.Statement, start: tuple[int, int], bound: tuple[int, int], indent: int) -> None:
        if isinstance(stmt, n.LetDecl):
            self._item(start, bound, indent, self._statement(f"let {stmt.name} = ", self._expr(stmt.value), indent))
        elif isinstance(stmt, n.ShowStmt):
            self._item(start, bound, indent, self._statement(f"show {stmt.name} = ", self._expr(stmt.value), indent))
        elif isinstance(stmt, n.RequireStmt):
            self._require(stmt, start, bound, indent)
        elif isinstance(stmt, n.ExceptionStmt):
            self._exception(stmt, start, bound, indent)
        elif isinstance(stmt, n.EachChild):
            self._comments_before(start, indent)
            head = self._statement(f"each {stmt.var} in ", [self._expr(stmt.iterable), " {"], indent)
            self._emit(indent, head)
            end = (stmt.iterable.span.end_line, stmt.iterable.span.end_column)
            close = self._close_after(end)
            self._block_body(stmt.body, close, indent + 1)
            self._close(close, indent)
        elif isinstance(stmt, n.NamedChild):
            self._comments_before(start, indent)
            self._emit(indent, [f"child {stmt.name} {{"])
            close = self._close_after(start)
            self._block_body(stmt.body, close, indent + 1)
            self._close(close, indent)

    def _require(self, stmt: n.RequireStmt, start: tuple[int, int], bound: tuple[int, int], indent: int) -> None:
        tail: list[Doc] = []
        if stmt.by is not None:
            tail += [_Line(), "by ", self._expr(stmt.by)]
        if stmt.when is not None:
            tail += [_Line(), "when ", self._expr(stmt.when)]
        if stmt.else_action:
            tail += [_Line(), "else action"]
            if stmt.until is not None:
                tail += [" until ", self._expr(stmt.until)]
        doc = _Group(["require ", self._expr(stmt.condition), _Nest(CONTINUATION, tail)])
        messages = [(m.span.line, m.span.column) for m in stmt.messages]
        head_bound = messages[0] if messages else bound
        self._item(start, head_bound, indent, _lines(doc, indent))
        for i, message in enumerate(stmt.messages):
            message_bound = messages[i + 1] if i + 1 < len(messages) else bound
            lines = self._text(message.outcome + " ", message.text, indent + 1)
            self._item(messages[i], message_bound, indent + 1, lines)

    def _exception(self, stmt: n.ExceptionStmt, start: tuple[int, int], bound: tuple[int, int], indent: int) -> None:
        head = _lines([f"exception {stmt.outcome} when ", self._expr(stmt.condition)], indent)
        if stmt.message is None:
            self._item(start, bound, indent, head)
            return
        message_start = (stmt.message.span.line, stmt.message.span.column)
        one_line = head[-1] + " " + self._text("", stmt.message, indent)[0]
        if len(head) == 1 and len(self._text("", stmt.message, indent)) == 1 and self._fits(indent, one_line):
            self._item(start, bound, indent, [one_line])
            return
        self._item(start, message_start, indent, head)
        self._item(message_start, bound, indent + 1, self._text("", stmt.message, indent + 1))

    # ---- text -------------------------------------------------------------------------------------------

    @staticmethod
    def _fits(indent: int, line: str) -> bool:
        return display_width(INDENT * indent + line) <= WIDTH

    def _text(self, keyword: str, text: n.Text, indent: int) -> list[str]:
        """``keyword zh "..." en "..."`` on one line, or ``en`` under ``zh`` when too long."""
        zh, en = self._template(text.zh), self._template(text.en)
        line = f"{keyword}zh {zh} en {en}"
        if self._fits(indent, line):
            return [line]
        return [f"{keyword}zh {zh}", " " * len(keyword) + f"en {en}"]

    def _statement(self, prefix: str, doc: Doc, indent: int) -> list[str]:
        """``prefix`` then ``doc``, continuation lines indented further."""
        return _lines([prefix, doc], indent)

    # ---- expressions ------------------------------------------------------------------------------------


def _literal(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return _quoted(str(value))


def _is_negative_literal(e: n.Expr) -> bool:
    return isinstance(e, n.Unary) and e.op == "-" and isinstance(e.operand, n.Literal)


def _record_of(type_: n.TypeExpr) -> tuple[n.RecordTypeExpr | None, str]:
    """The record a field's type holds directly, and the words before it (``list of``)."""
    words = ""
    while True:
        if isinstance(type_, n.RecordTypeExpr):
            return type_, words
        if isinstance(type_, n.ListTypeExpr):
            words += "list of "
            type_ = type_.item
        elif isinstance(type_, n.NullableTypeExpr):
            words += "nullable "
            type_ = type_.inner
        else:
            return None, words


def _sentences(text: str) -> list[str]:
    """A quote split after each full stop, one string a line."""
    out: list[str] = []
    current = ""
    for ch in text:
        current += ch
        if ch in "。！？":
            out.append(current)
            current = ""
    if current or not out:
        out.append(current)
    return out


def _match_braces(tokens: Sequence[tuple[str, tuple[int, int]]]) -> dict[tuple[int, int], tuple[int, int]]:
    """Each ``{`` position mapped to the position of its ``}``."""
    stack: list[tuple[int, int]] = []
    pairs: dict[tuple[int, int], tuple[int, int]] = {}
    for kind, pos in tokens:
        if kind == "LBRACE":
            stack.append(pos)
        elif kind == "RBRACE" and stack:
            pairs[stack.pop()] = pos
    return pairs
