"""Hostile and broken policy text: every case is a located PolicyError, refused quickly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import titlerules
from titlerules import characters, limits
from titlerules.errors import ERROR_CODES, EvaluationLimitError, InputError, PolicyError, TitlerulesError

ROOT = Path(__file__).resolve().parents[1]
HEAD = 'policy "t" { year 2021 }\nfacts {\n  id: string key\n  hours: number\n}\n'
RULE = 'rule r { cite "1" title zh "学时" en "hours" '


def _policy_error(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        titlerules.Policy.from_source(text, "t.policy")
    return caught.value


def _doc_tables() -> dict[str, set[str]]:
    """The codes in each table under '## Codes' of docs/errors.md, by table."""
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    codes_part = text.split("\n## Codes\n", 1)[1]
    titles = {
        "Policy diagnostics": "policy",
        "Warnings": "warning",
        "Input problems": "input",
        "Evaluation errors": "evaluation",
        "Evaluation limits": "limit",
        "Other codes": "other",
    }
    found: dict[str, set[str]] = {}
    for section in codes_part.split("\n### ")[1:]:
        title, body = section.split("\n", 1)
        kind = next(v for k, v in titles.items() if title.startswith(k))
        rows = [line for line in body.splitlines() if line.startswith("| `")]
        found[kind] = {code for row in rows for code in re.findall(r"`([a-z-]+)`", row.split("|")[1])}
    return found


def test_error_code_registry_matches_the_documented_tables() -> None:
    assert _doc_tables() == {kind: set(codes) for kind, codes in ERROR_CODES.items()}


def test_every_error_has_structured_fields() -> None:
    policy_error = _policy_error(HEAD + RULE + "require hour >= 90 }\n")
    assert (policy_error.code, policy_error.line, policy_error.column, policy_error.path) == (
        "unknown-name",
        6,
        len(RULE) + len("require ") + 1,
        None,
    )
    with pytest.raises(InputError) as caught:
        titlerules.Policy.from_source(HEAD, "t.policy").evaluate({"id": "a", "hours": "90"})
    assert (caught.value.code, caught.value.path, caught.value.line, caught.value.column) == (
        "type",
        "hours",
        None,
        None,
    )
    for error in (policy_error, caught.value):
        assert isinstance(error, TitlerulesError)
        assert any(error.code in codes for codes in ERROR_CODES.values())


@pytest.mark.parametrize(
    ("text", "char", "message"),
    [
        (RULE + "require hours >= ９０ }", "９", "full-width character '９' outside a string; type the ASCII '9'"),
        (RULE + "require （hours >= 90） }", "（", "full-width character '（' outside a string; type the ASCII '('"),
        (RULE + "require hours >= 1，}", "，", "full-width character '，' outside a string; type the ASCII ','"),
        (RULE + "require\u3000hours >= 1 }", "\u3000", "full-width space outside a string; type an ASCII space"),
        (RULE + "require ｈｏｕｒｓ >= 1 }", "ｈ", "full-width character 'ｈ' outside a string; type the ASCII 'h'"),
        (RULE + "require hours\u00a0>= 1 }", "\u00a0", "non-ASCII space U+00A0 NO-BREAK SPACE outside a string"),
        (RULE + "require hou\u200brs >= 1 }", "\u200b", "invisible character U+200B ZERO WIDTH SPACE; remove it"),
        (
            RULE + "require hours >= 1 \u202e}",
            "\u202e",
            "bidirectional control character U+202E RIGHT-TO-LEFT OVERRIDE",
        ),
        (
            'rule r { cite "1" title zh "学\u2067时" en "h" require hours >= 1 }',
            "\u2067",
            "U+2067 RIGHT-TO-LEFT ISOLATE",
        ),
        (RULE + "require hours >= 1 } # \u202e comment", "\u202e", "bidirectional control character U+202E"),
        (
            RULE + "require hоurs >= 1 }",
            "о",
            "the name 'hоurs' mixes Latin letters with U+043E CYRILLIC SMALL LETTER O",
        ),
        (RULE + "require hours >= 1\x00 }", "\x00", "control character U+0000"),
    ],
    ids=[
        "digits",
        "parens",
        "comma",
        "ideographic space",
        "letters",
        "nbsp",
        "zwsp",
        "bidi",
        "bidi in string",
        "bidi in comment",
        "mixed script",
        "nul",
    ],
)
def test_unusual_characters_are_refused_with_a_location(text: str, char: str, message: str) -> None:
    error = _policy_error(HEAD + text + "\n")
    assert error.code == "character"
    assert (error.line, error.column) == (6, text.index(char) + 1)
    assert message in error.diagnostics[0].message


def test_full_width_text_inside_strings_and_comments_is_kept() -> None:
    text = (
        HEAD
        + "# 学时（年度）：９０，见第２条\n"
        + RULE
        + 'require hours >= 90\n fail zh "学时不足９０（{hours}）" en "x" }\n'
    )
    policy = titlerules.Policy.from_source(text, "t.policy")
    finding = policy.evaluate({"id": "a", "hours": 1}).finding("r")
    assert finding.message.zh == "学时不足９０（1）"


def test_every_full_width_character_is_reported_at_once() -> None:
    error = _policy_error(HEAD + RULE + "require （hours >= ９０） }\n")
    line = RULE + "require （hours >= ９０） }"
    assert [d.column for d in error.diagnostics] == [line.index(c) + 1 for c in "（９０）"]


def test_han_and_latin_in_one_name_are_allowed() -> None:
    text = 'policy "t" { year 2021 }\nfacts {\n  id: string key\n  学时_2020: number\n}\n'
    policy = titlerules.Policy.from_source(text + RULE + "require 学时_2020 >= 1 }\n", "t.policy")
    assert policy.evaluate({"id": "a", "学时_2020": 2}).verdict == titlerules.Verdict.ELIGIBLE


def test_a_byte_order_mark_at_the_start_of_a_file_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.policy"
    path.write_bytes(b"\xef\xbb\xbf" + (HEAD + RULE + "require hours >= 1 }\n").encode())
    assert titlerules.load_policy(path).id == "t"


@pytest.mark.parametrize(
    "expression",
    [
        "(" * 10_000 + "hours" + ")" * 10_000 + " >= 1",
        "hours in " + "[" * 10_000 + "1" + "]" * 10_000,
        "not " * 10_000 + "hours >= 1",
        "1 + " * 10_000 + "hours >= 1",
        "- " * 10_000 + "hours >= 1",
    ],
    ids=["parens", "lists", "not", "plus", "minus"],
)
def test_deep_nesting_is_refused_naming_the_limit(expression: str) -> None:
    error = _policy_error(HEAD + RULE + "require " + expression + " }\n")
    assert error.code == "too-deep"
    assert "MAX_POLICY_NESTING" in str(error) or "MAX_EXPRESSION_DEPTH" in str(error)
    assert error.line == 6


_DEEPEST = limits.MAX_POLICY_NESTING - 1  # the rule's braces are one level


@pytest.mark.parametrize(
    "body",
    [
        RULE + "require " + "(" * _DEEPEST + "hours" + ")" * _DEEPEST + " >= 1 }",
        "param p = "
        + "[" * limits.MAX_POLICY_NESTING
        + "]" * limits.MAX_POLICY_NESTING
        + "\n"
        + RULE
        + "require hours >= 1 }",
        RULE + "require " + "max(" * _DEEPEST + "hours" + ", 1)" * _DEEPEST + " >= 1 }",
        RULE + "require " + "not " * 200 + "hours >= 1 }",
        RULE + "require " + "1 + " * 200 + "hours >= 1 }",
        RULE + "require " + " and ".join(["hours >= 1"] * 2_000) + " }",
    ],
    ids=["parens", "lists", "calls", "not", "plus", "long and"],
)
def test_nesting_within_the_limits_works_end_to_end(body: str) -> None:
    from titlerules.formatter import format_source

    text = HEAD + body + "\n"
    policy = titlerules.Policy.from_source(text, "t.policy")
    decision = policy.evaluate({"id": "a", "hours": 3})
    assert decision.verdict in set(titlerules.Verdict)
    policy.explain({"id": "a", "hours": 0})
    assert titlerules.Policy.from_source(format_source(text), "t.policy").rule_ids == ("r",)


def test_a_ten_megabyte_policy_is_refused_before_parsing() -> None:
    text = HEAD + ("# " + "x" * 1000 + "\n") * 10_500
    error = _policy_error(text)
    assert error.code == "too-large"
    assert f"MAX_POLICY_BYTES = {limits.MAX_POLICY_BYTES}" in str(error)


@pytest.mark.parametrize("text", ["", "   \n\n\t\n"], ids=["empty", "blank"])
def test_an_empty_policy_says_so(text: str) -> None:
    error = _policy_error(text)
    assert (error.code, error.line, error.column) == ("no-header", 1, 1)
    assert "the policy is empty" in str(error)


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.policy"
    path.write_bytes((HEAD + RULE + "require hours >= 1 }\n# caf").encode() + b"\xe9\n")
    with pytest.raises(PolicyError) as caught:
        titlerules.load_policy(path)
    assert (caught.value.code, caught.value.line, caught.value.column) == ("encoding", 7, 6)


def test_evaluation_limit_error_is_an_evaluation_error() -> None:
    error = EvaluationLimitError("the document holds 5 values", "MAX_DOCUMENT_VALUES", 4)
    assert isinstance(error, titlerules.EvaluationError)
    assert (error.code, error.limit, error.maximum) == ("too-large", "MAX_DOCUMENT_VALUES", 4)
    assert "MAX_DOCUMENT_VALUES = 4" in str(error)


NUMERIC_HEAD = 'policy "t" { year 2021 }\nfacts {\n  id: string key\n  d: date\n  n: integer\n  x: number\n}\n'
NUMERIC_RULE = 'rule r { cite "1" title zh "学时" en "hours" require '


@pytest.mark.parametrize(
    ("condition", "document", "code", "message"),
    [
        ("add_days(d, n) > d", {"d": "2021-01-01", "n": 10**9}, "date-range", "2021-01-01 plus 1000000000 days"),
        ("add_days(d, n) > d", {"d": "2021-01-01", "n": 10**30}, "date-range", "is not a date"),
        ("add_days(d, n) > d", {"d": "0001-01-01", "n": -1}, "date-range", "0001-01-01 plus -1 days is not a date"),
        ("add_years(d, n) > d", {"d": "2021-01-01", "n": 10**6}, "date-range", "plus 1000000 years is not a date"),
        ("n + x > 1", {"n": 10**400, "x": 1.0}, "overflow", "arithmetic overflow"),
        ("x * x > 1", {"x": 1e200}, "overflow", "arithmetic overflow"),
    ],
)
def test_arithmetic_out_of_range_is_an_evaluation_error(
    condition: str, document: dict[str, object], code: str, message: str
) -> None:
    """Regressions: these raised OverflowError or ValueError out of the evaluator."""
    policy = titlerules.Policy.from_source(NUMERIC_HEAD + NUMERIC_RULE + condition + " }\n", "t.policy")
    for decide in (policy.evaluate, policy.verdict):
        with pytest.raises(titlerules.EvaluationError) as caught:
            decide({"id": "a", **document})
        assert (caught.value.code, caught.value.where) == (code, "r")
        assert message in str(caught.value)


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ("param p = add_days(2021-01-01, 1000000000)", "2021-01-01 plus 1000000000 days is not a date"),
        ("param p = add_years(2021-01-01, 100000)", "2021-01-01 plus 100000 years is not a date"),
        ("param p = 1 / 0", "division by zero"),
        ("param p = 1" + "0" * 29 + " * 1" + "0" * 29 + " * 1" + "0" * 29 + " * 1.5" + "0" * 28, None),
    ],
)
def test_a_constant_that_cannot_be_computed_is_a_policy_error(declaration: str, message: str | None) -> None:
    """Regressions: an EvaluationError escaped from loading the policy, without a location."""
    text = NUMERIC_HEAD + declaration + "\n" + NUMERIC_RULE + "n > 1 or p == p }\n"
    try:
        titlerules.Policy.from_source(text, "t.policy")
    except PolicyError as error:
        assert (error.code, error.line, error.column) == ("bad-constant", 8, 11)
        assert message is None or message in str(error)
    else:
        assert message is None  # a large product that stays finite is a valid constant


@pytest.mark.parametrize(
    "text",
    [
        NUMERIC_HEAD + NUMERIC_RULE + "x > " + "9" * 5000 + " }\n",
        NUMERIC_HEAD + NUMERIC_RULE + "x > " + "9" * 400 + ".5 }\n",
        'policy "t" { year ' + "9" * 5000 + " }\nfacts { id: string key }\n",
    ],
    ids=["integer", "decimal", "year"],
)
def test_a_number_with_too_many_digits_is_refused(text: str) -> None:
    """Regressions: Python's 4,300-digit limit escaped as a Lark VisitError; a long decimal
    became infinity without a word."""
    error = _policy_error(text)
    assert error.code == "too-large"
    assert f"MAX_NUMBER_DIGITS = {limits.MAX_NUMBER_DIGITS}" in str(error)


@given(st.text(alphabet=st.sampled_from(list('ab "\\#\n()[]{}学９（\u202e\u200bо\x00\u3000')), max_size=60))
@settings(max_examples=200, deadline=None)
def test_the_fast_character_scan_agrees_with_the_exact_one(text: str) -> None:
    """Most policies take the regular-expression path; it must find what the exact,
    character-by-character scan finds (which it falls back to whenever there is a problem)."""
    assert characters.scan(text) == characters._scan_exact(text)


def test_the_bundled_policy_is_well_inside_the_limits() -> None:
    text = (ROOT / "policy" / "lishui-2021-crafts.policy").read_text("utf-8")
    problems, deepest, _ = characters.scan(text)
    assert problems == []
    assert len(text.encode()) * 10 < limits.MAX_POLICY_BYTES
    assert deepest * 10 < limits.MAX_POLICY_NESTING


def _raised(call: Any) -> TitlerulesError:
    try:
        call()
    except TitlerulesError as error:
        return error
    raise AssertionError("nothing raised")


def test_errors_pickle_with_their_fields() -> None:
    """Errors cross process boundaries (worker pools): they rebuild with every field.
    Regression: PolicyError, InputError, PolicyNotFoundError and EvaluationLimitError did not."""
    import pickle

    from titlerules.cases import CaseFileError
    from titlerules.inputs import InputFileError

    errors = [
        _raised(lambda: titlerules.Policy.from_source(HEAD + RULE + "require hour >= 9 }\n", "t.policy")),
        _raised(lambda: titlerules.Policy.from_source(HEAD, "t.policy").evaluate({"id": 5, "hours": "x"})),
        _raised(lambda: titlerules.load_policy("lishui-2021-craft")),
        titlerules.EvaluationError("division by zero", "division-by-zero", "r"),
        EvaluationLimitError("the document holds more than 3 JSON values", "MAX_DOCUMENT_VALUES", 3),
        CaseFileError("x.cases.yaml:2: unknown case key(s): bogus"),
        InputFileError("x.json: no such file"),
    ]
    for error in errors:
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error)
        assert str(again) == str(error)
        assert vars(again) == vars(error)
        assert (again.code, again.path, again.line, again.column) == (error.code, error.path, error.line, error.column)
