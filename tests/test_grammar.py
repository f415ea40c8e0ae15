"""The grammar stays LALR(1) without conflicts or terminal collisions."""

from __future__ import annotations

from importlib import resources

from lark import Lark


def test_grammar_builds_in_strict_mode() -> None:
    # strict=True refuses shift/reduce conflicts and regex collisions between terminals.
    grammar = (resources.files("titlerules") / "grammar.lark").read_text(encoding="utf-8")
    Lark(grammar, parser="lalr", strict=True, start=["start", "interpolation"])
