"""``titlerules fmt``: one canonical layout, comments kept, meaning unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from titlerules.errors import PolicyError
from titlerules.formatter import format_source
from titlerules.parser import lex, parse

from .conftest import POLICY_DIR, ROOT
from .test_cli import run

BUNDLED = POLICY_DIR / "lishui-2021-crafts.policy"
FIXTURE = ROOT / "tests" / "fixtures" / "lishui-2022-crafts.policy"


def comments(text: str) -> list[str]:
    return [value.rstrip() for kind, value, _ in lex(text) if kind == "COMMENT"]


@pytest.mark.parametrize("path", [BUNDLED, FIXTURE], ids=["bundled", "fixture"])
def test_shipped_policies_are_formatted(path: Path) -> None:
    text = path.read_text("utf-8")
    assert format_source(text, str(path)) == text


def test_layout_of_a_messy_policy() -> None:
    messy = (
        'policy "t"{year 2021}\n'
        "# the facts\n"
        "facts{id:string key n:number in 0..100   # hours\n"
        "  rec: {a: bool, b: bool}}\n"
        "param xs=[1,2,\n 3]\n\n\n\n"
        'rule r{cite "一" title zh "r" en "r"\n'
        "  require (n >= 1 and n<=2) or not (n == 3)  when n>0\n"
        '    fail zh "{n}小时" en "{n} hours"\n'
        "  # before the pass message\n"
        '  pass zh "好" en "ok"}  # after the rule\n'
    )
    assert format_source(messy) == (
        'policy "t" {\n'
        "  year 2021\n"
        "}\n"
        "\n"
        "# the facts\n"
        "facts {\n"
        "  id: string key\n"
        "  n: number in 0..100  # hours\n"
        "  rec: { a: bool, b: bool }\n"
        "}\n"
        "\n"
        "param xs = [1, 2, 3]\n"
        "\n"
        "rule r {\n"
        '  cite "一"\n'
        '  title zh "r" en "r"\n'
        "  require n >= 1 and n <= 2 or not n == 3 when n > 0\n"
        '    fail zh "{n}小时" en "{n} hours"\n'
        "  # before the pass message\n"
        '  pass zh "好" en "ok"\n'
        "}  # after the rule\n"
    )


def test_parentheses_stay_where_precedence_needs_them() -> None:
    source = 'policy "t" { year 2021 }\nparam a = (1 + 2) * 3 - (4 - 5) - -(6)\nparam b = (x and y) and z or (p or q)\n'
    formatted = format_source(source)
    assert "param a = (1 + 2) * 3 - (4 - 5) - -6\n" in formatted
    # (x and y) and z is not x and y and z to the parser: the nesting is kept.
    assert "param b = (x and y) and z or (p or q)\n" in formatted
    assert parse(formatted).declarations == parse(source).declarations


def test_long_conditions_break_before_and() -> None:
    names = " and ".join(f"condition_number_{i} >= threshold_{i}" for i in range(4))
    source = f'policy "t" {{ year 2021 }}\nrule r {{\n  require {names} else action until deadline\n}}\n'
    lines = format_source(source).splitlines()
    assert lines[5:10] == [
        "  require condition_number_0 >= threshold_0",
        "      and condition_number_1 >= threshold_1",
        "      and condition_number_2 >= threshold_2",
        "      and condition_number_3 >= threshold_3",
        "      else action until deadline",
    ]


def test_a_syntax_error_is_the_parsers_error() -> None:
    with pytest.raises(PolicyError, match=r"x\.policy:2:10: error: unexpected end of file"):
        format_source('policy "t" { year 2021 }\nparam a =', "x.policy")


# ---- the property: parse(fmt(x)) == parse(x), idempotent, comments kept --------------------------------

NAMES = st.sampled_from(["a", "b", "hours", "学时", "x_1", "level"])
SPACE = st.sampled_from([" ", "  ", "\n  ", " \n\n    "])


def spaced(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The parts joined by random whitespace (newlines included)."""
    gaps = [SPACE] * (len(parts) - 1)
    return st.tuples(*parts, *gaps).map(
        lambda t: t[0] + "".join(gap + part for gap, part in zip(t[len(parts) :], t[1 : len(parts)], strict=True))
    )


def string_literal(interpolate: bool) -> st.SearchStrategy[str]:
    pieces = st.sampled_from(["学时", "hours", " ", '\\"', "\\\\", "{{", "}}", "\\n", "，"])
    parts = [pieces]
    if interpolate:
        parts.append(st.sampled_from(["{a}", "{hours + 1}", "{[x for x in b]}", "{level.name}"]))
    return st.lists(st.one_of(*parts), max_size=5).map(lambda ps: '"' + "".join(ps) + '"')


ATOMS = st.one_of(
    NAMES,
    st.integers(0, 10**6).map(str),
    st.sampled_from(["1.5", "0.25", "2021-12-12", "true", "false", "none", "Grade.qualified", "a.b.c", "count(b)"]),
    string_literal(interpolate=False),
)


def expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        wrapped = inner.map(lambda e: f"({e})")
        binary = spaced(
            wrapped,
            st.sampled_from(["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "and", "or", "in"]),
            wrapped,
        )
        return st.one_of(
            binary,
            spaced(st.just("not"), wrapped),
            wrapped.map(lambda e: f"-{e}"),
            spaced(wrapped, st.just("in"), wrapped, st.just(".."), wrapped),
            st.tuples(wrapped, st.sampled_from(["present", "absent", "none", "not none"])).map(
                lambda t: f"{t[0]} is {t[1]}"
            ),
            st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
            st.lists(st.tuples(NAMES, inner), max_size=3, unique_by=lambda p: p[0]).map(
                lambda items: "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
            ),
            spaced(st.just("if"), inner, st.just("then"), inner, st.just("else"), inner),
            st.tuples(st.sampled_from(["each", "any", "no"]), NAMES, wrapped, inner).map(
                lambda t: f"({t[0]} {t[1]} in {t[2]}: {t[3]})"
            ),
            st.tuples(inner, NAMES, wrapped, inner).map(lambda t: f"[{t[0]} for {t[1]} in {t[2]} where {t[3]}]"),
            st.tuples(wrapped, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
            wrapped.map(lambda e: f"{e}.field"),
            st.lists(inner, max_size=2).map(lambda args: f"workdays({', '.join(args)})"),
        )

    return st.recursive(ATOMS, extend, max_leaves=8)


COMMENT = st.sampled_from(["# 说明", "#", '# a comment with "quotes" and {braces}', "# ----"])


@st.composite
def items(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["param", "let", "rule", "comment", "enum", "table", "facts"]))
    name = draw(NAMES)
    if kind == "comment":
        return draw(COMMENT)
    if kind in ("param", "let"):
        return f"{kind} {name} = {draw(expressions())}" + (f"  {draw(COMMENT)}" if draw(st.booleans()) else "")
    if kind == "enum":
        return f'enum E{name} ordered {{ low "低" high {draw(COMMENT)}\n top }}'
    if kind == "table":
        return f'table t{name} by string {{ "a": {draw(expressions())}, {draw(COMMENT)}\n else {draw(expressions())} }}'
    if kind == "facts":
        return (
            f"facts {{ {name}: number in 0..{draw(st.integers(0, 99))} = 1 {draw(COMMENT)}\n"
            f"  r{name}: nullable {{ a: bool, b: list of {{ c: date }} = [] }} where a\n"
            f"  m{name}: map year -> integer }}"
        )
    statements = []
    for _ in range(draw(st.integers(0, 4))):
        statement = draw(
            st.sampled_from(["require", "require_full", "let", "show", "exception", "each", "child", "comment"])
        )
        if statement == "require":
            statements.append(f"require {draw(expressions())}")
        elif statement == "require_full":
            statements.append(
                f"require {draw(expressions())} by {draw(ATOMS)} when {draw(expressions())}\n"
                f"  fail zh {draw(string_literal(True))} en {draw(string_literal(True))}  {draw(COMMENT)}\n"
                f"  action zh {draw(string_literal(True))}\n en {draw(string_literal(False))}"
            )
        elif statement in ("let", "show"):
            statements.append(f"{statement} {draw(NAMES)} = {draw(expressions())}")
        elif statement == "exception":
            outcome = draw(st.sampled_from(["pass", "fail", "not_applicable", "exempt"]))
            statements.append(f'exception {outcome} when {draw(expressions())} zh "是" en "yes"')
        elif statement == "each":
            statements.append(f'each y in {draw(expressions())} {{ title zh "{{y}}" en "{{y}}" require y > 1 }}')
        elif statement == "child":
            statements.append(f"child c{draw(NAMES)} {{ {draw(COMMENT)}\n require {draw(expressions())} }}")
        else:
            statements.append(draw(COMMENT))
    body = "\n".join(statements)
    note = 'note zh "注" en "note"\n' if draw(st.booleans()) else ""
    return f'rule r{name} {{\n cite "一", "二"\n title zh "标题" en "title"\n{note}{body}\n pass zh "是" en "yes"\n}}'


@st.composite
def policies(draw: st.DrawFn) -> str:
    parts = ['policy "t" { year 2021 }']
    for item in draw(st.lists(items(), max_size=6)):
        parts.append(draw(st.sampled_from(["\n", "\n\n", "\n\n\n"])) + item)
    return "\n".join(parts) + draw(st.sampled_from(["", "\n", "\n# the end\n"]))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies())
def test_formatting_keeps_the_meaning_and_the_comments_and_is_idempotent(source: str) -> None:
    try:
        original = parse(source)
    except PolicyError:
        # The generator writes valid text; a refusal here would be a parser bug worth seeing.
        raise
    formatted = format_source(source)
    assert parse(formatted).declarations == original.declarations
    assert comments(formatted) == comments(source)
    assert format_source(formatted) == formatted


# ---- the command -----------------------------------------------------------------------------------------


def test_fmt_check_and_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "p.policy"
    path.write_text('policy "t" {year 2021}\nparam a=1 # one\n', "utf-8")
    result = run("fmt", "--check", "--diff", str(path))
    assert result.returncode == 1
    assert result.stderr == f"would reformat {path}\n"
    assert "+param a = 1  # one" in result.stdout
    assert path.read_text("utf-8") == 'policy "t" {year 2021}\nparam a=1 # one\n'
    result = run("fmt", str(path))
    assert (result.returncode, result.stderr) == (0, f"reformatted {path}\n")
    assert path.read_text("utf-8") == 'policy "t" {\n  year 2021\n}\n\nparam a = 1  # one\n'
    assert run("fmt", "--check", str(path)).returncode == 0


def test_fmt_reads_stdin_and_reports_syntax_errors(tmp_path: Path) -> None:
    result = run("fmt", "-", stdin='policy "t" {year 2021}\n')
    assert (result.returncode, result.stdout) == (0, 'policy "t" {\n  year 2021\n}\n')
    bad = tmp_path / "bad.policy"
    bad.write_text('policy "t" { year 2021 }\nparam a = = 1\n', "utf-8")
    good = tmp_path / "good.policy"
    good.write_text('policy "t" {\n  year 2021\n}\n', "utf-8")
    result = run("fmt", "--check", str(bad), str(good))
    assert result.returncode == 3
    assert re.match(rf"{re.escape(str(bad))}:2:11: error: unexpected '='", result.stderr)
    assert "Traceback" not in result.stderr
    missing = run("fmt", str(tmp_path / "none.policy"))
    assert missing.returncode == 3
    assert "no such file" in missing.stderr
