"""Syntax highlighting of ``.policy`` files with Pygments.

Registered as a Pygments lexer (entry point ``pygments.lexers``), so any tool that uses
Pygments (``pygmentize -l titlerules``, Sphinx, MkDocs) highlights policies once
titlerules is installed; ``titlerules doc --format html`` uses it. The keyword lists
must name every keyword of ``grammar.lark`` (a test holds them to it).
"""

from __future__ import annotations

from typing import ClassVar

from pygments.lexer import RegexLexer, bygroups, include, words
from pygments.token import (
    Comment,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

DECLARATIONS = (
    "policy",
    "extends",
    "enum",
    "type",
    "facts",
    "param",
    "table",
    "let",
    "clause",
    "rule",
    "output",
    "messages",
)
STATEMENTS = (
    "cite",
    "title",
    "note",
    "quote",
    "unchecked",
    "document",
    "issuer",
    "year",
    "require",
    "exception",
    "child",
    "show",
    "by",
    "when",
    "else",
    "until",
    "where",
    "key",
    "fixed",
    "ordered",
)
OUTCOMES = ("pass", "fail", "action", "unknown", "not_applicable", "exempt")
OPERATORS = ("and", "or", "not", "in", "is", "present", "absent", "each", "any", "no", "if", "then", "for", "of")
TYPES = ("bool", "integer", "number", "string", "date", "list", "map", "nullable")
CONSTANTS = ("true", "false", "none")
LANGUAGES = ("zh", "en")


class PolicyLexer(RegexLexer):
    """Lexer for titlerules ``.policy`` files."""

    name = "titlerules"
    aliases: ClassVar[list[str]] = ["titlerules", "policy"]
    filenames: ClassVar[list[str]] = ["*.policy"]
    url = "https://pypi.org/project/titlerules/"

    tokens: ClassVar[dict[str, list[object]]] = {
        "root": [
            (r"\s+", Whitespace),
            (r"#.*?$", Comment.Single),
            (
                r"(rule|enum|type|table|param|let|output|messages)(\s+)([^\W\d][\w.]*)",
                bygroups(Keyword.Declaration, Whitespace, Name.Function),  # type: ignore[no-untyped-call]
            ),
            (words(DECLARATIONS, suffix=r"\b"), Keyword.Declaration),
            (words(OUTCOMES, suffix=r"\b"), Name.Builtin),
            (words(STATEMENTS, suffix=r"\b"), Keyword),
            (words(OPERATORS, suffix=r"\b"), Operator.Word),
            (words(TYPES, suffix=r"\b"), Keyword.Type),
            (words(CONSTANTS, suffix=r"\b"), Keyword.Constant),
            (words(LANGUAGES, suffix=r"\b"), Name.Attribute),
            (r"\d{4}-\d{2}-\d{2}", Literal.Date),
            (r"\d+\.\d+", Number.Float),
            (r"\d+", Number.Integer),
            (r'"', String.Double, "string"),
            (r"==|!=|<=|>=|->|\.\.|[<>=+\-*/]", Operator),
            (r"[{}()\[\],.:]", Punctuation),
            (r"[^\W\d]\w*", Name),
        ],
        "string": [
            (r'\\[\\"nt]', String.Escape),
            (r"\{\{|\}\}", String.Escape),
            (r"\{", String.Interpol, "interpolation"),
            (r'"', String.Double, "#pop"),
            (r'[^"\\{}]+', String.Double),
            (r"[\\}]", String.Double),
        ],
        "interpolation": [
            (r"\}", String.Interpol, "#pop"),
            include("root"),
        ],
    }
