"""Malformed policies: every kind of mistake gets a located error, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import titlerules
from titlerules import PolicyError, PolicyNotFoundError

HEAD = (
    'policy "t" { year 2021 }\n'
    "facts { id: string key  hours: number  level: Level  w: { city: string } }\n"
    "enum Level ordered { junior assistant }\n"
)
RULE = 'rule r { cite "一" title zh "a" en "b" '

MISTAKES = [
    # (kind, policy text, code, line, column, message)
    ("syntax", HEAD + RULE + "require hours >= }\n", "syntax", 4, 56, "unexpected '}'; expected an expression"),
    ("unknown name", HEAD + RULE + "require hour >= 90 }\n", "unknown-name", 4, 47, "unknown name 'hour'"),
    ("unknown field", HEAD + RULE + 'require w.ctiy == "丽水市" }\n', "unknown-field", 4, 47, "w has no field 'ctiy'"),
    (
        "type mismatch",
        HEAD + RULE + 'require hours >= "ninety" }\n',
        "type",
        4,
        47,
        "cannot compare number with string",
    ),
    (
        "duplicate rule id",
        HEAD + RULE + "require hours > 1 }\n" + RULE + "require hours > 2 }\n",
        "duplicate",
        5,
        6,
        "rule 'r' is declared twice (first at line 4)",
    ),
    (
        "rule without a citation",
        HEAD + 'rule r { title zh "a" en "b" require hours > 1 }\n',
        "no-cite",
        4,
        6,
        "rule 'r' cites no clause of the notice (add: cite \"...\")",
    ),
    (
        "citation of an undeclared clause",
        HEAD + 'clause "三(三)" { quote "x" }\nrule r { cite "三(二)" title zh "a" en "b" require hours > 1 }\n',
        "unknown-clause",
        5,
        15,
        "clause 三(二) is not declared",
    ),
    ("impossible date", HEAD + "param d = 2021-02-30\n", "bad-date", 4, 11, "2021-02-30 is not a calendar date"),
    (
        "order on an unordered enum",
        'policy "t" { year 2021 }\nenum R { a b }\nfacts { r: R }\n'
        'rule x { cite "一" title zh "a" en "b" require r > a }\n',
        "type",
        4,
        47,
        "R is not ordered (declare it 'enum R ordered')",
    ),
    (
        "unknown function",
        HEAD + RULE + "require workday(1, 2) > 1 }\n",
        "unknown-function",
        4,
        47,
        "unknown function 'workday'",
    ),
    (
        "unknown name inside a message",
        HEAD + RULE + 'require hours > 1 fail zh "{hors}" en "x" }\n',
        "unknown-name",
        4,
        67,
        "unknown name 'hors'",
    ),
    (
        "message for an outcome the requirement cannot decide",
        HEAD + RULE + 'require hours > 1 action zh "x" en "y" }\n',
        "outcome",
        4,
        57,
        "this requirement never decides 'action' (it can decide: fail, unknown)",
    ),
    (
        "table missing a row",
        HEAD + "table t by Level { junior: 1 }\n",
        "incomplete-table",
        4,
        7,
        "table 't' has no row for assistant (add the rows or an 'else')",
    ),
    ("no header", "facts { a: bool }\n", "no-header", 1, 1, 'a policy starts with a header: policy "id" { ... }'),
    ("empty file", "", "no-header", 1, 1, 'the policy is empty; a policy starts with a header: policy "id" { ... }'),
    (
        "cyclic parameters",
        HEAD + "param a = b\nparam b = a\n",
        "cycle",
        5,
        11,
        "parameter 'a' is defined in terms of itself",
    ),
    ("parameter reading a fact", HEAD + "param a = hours\n", "not-constant", 4, 11, "'hours' is not a constant"),
    ("unknown type", 'policy "t" {}\nfacts { a: strin }\n', "unknown-type", 2, 12, "unknown type 'strin'"),
    (
        "full-width digits",
        HEAD + RULE + "require hours >= ９０ }\n",
        "character",
        4,
        56,
        "full-width character '９' outside a string; type the ASCII '9'",
    ),
    (
        "unclosed interpolation",
        HEAD + RULE + 'require hours > 1 fail zh "{hours" en "x" }\n',
        "syntax",
        4,
        66,
        "unclosed '{' in a string (write '{{' for a literal brace)",
    ),
]


@pytest.mark.parametrize(
    ("text", "code", "line", "column", "message"),
    [pytest.param(*m[1:], id=m[0]) for m in MISTAKES],
)
def test_mistake_is_located(text: str, code: str, line: int, column: int, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        titlerules.Policy.from_source(text, "bad.policy")
    first = raised.value.diagnostics[0]
    assert (first.code, first.line, first.column) == (code, line, column)
    assert first.message == message
    rendered = str(raised.value)
    assert rendered.startswith(f"bad.policy:{line}:{column}: error: {message}")


def test_error_shows_source_line_caret_and_suggestion() -> None:
    with pytest.raises(PolicyError) as raised:
        titlerules.Policy.from_source(HEAD + RULE + "require hour >= 90 }\n", "bad.policy")
    assert str(raised.value) == (
        "bad.policy:4:47: error: unknown name 'hour' (did you mean 'hours'?)\n"
        '    rule r { cite "一" title zh "a" en "b" require hour >= 90 }\n'
        "                                                   ^~~~"
    )


def test_every_problem_is_reported_at_once() -> None:
    text = (
        HEAD + RULE + "require hour >= 90 and levle == junior }\n" + 'rule s { title zh "a" en "b" require w.ctiy }\n'
    )
    with pytest.raises(PolicyError) as raised:
        titlerules.Policy.from_source(text, "bad.policy")
    assert [d.code for d in raised.value.diagnostics] == ["unknown-name", "unknown-name", "no-cite", "unknown-field"]
    assert [d.hint for d in raised.value.diagnostics] == ["hours", "level", None, "city"]


def test_keywords_can_still_name_facts() -> None:
    policy = titlerules.Policy.from_source(
        'policy "t" { year 2021 }\n'
        "facts { id: string key  items: list of bool = []  title: bool  year: integer  note: string }\n"
        'rule r { cite "一" title zh "a" en "b" require title and year > 2000 }\n',
        "ok.policy",
    )
    assert policy.evaluate({"id": "x", "title": True, "year": 2001}).verdict == "eligible"


def test_missing_bundled_policy_suggests_a_name() -> None:
    with pytest.raises(PolicyNotFoundError, match="did you mean 'lishui-2021-crafts'"):
        titlerules.load_policy("lishui-2021-craft")


def test_non_utf8_policy_file_is_located(tmp_path: Path) -> None:
    path = tmp_path / "gbk.policy"
    path.write_bytes('policy "t" { year 2021 }\n# 中文\n'.encode("gbk"))
    with pytest.raises(PolicyError) as raised:
        titlerules.load_policy(path)
    first = raised.value.diagnostics[0]
    assert (first.code, first.line, first.column) == ("encoding", 2, 3)


@pytest.mark.parametrize(("kind", "text"), [(m[0], m[1]) for m in MISTAKES[:10]])
def test_cli_reports_policy_errors_without_traceback(tmp_path: Path, kind: str, text: str) -> None:
    policy = tmp_path / "bad.policy"
    policy.write_text(text, encoding="utf-8")
    document = tmp_path / "doc.json"
    document.write_text('{"id": "x"}', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "titlerules", "evaluate", "--policy", str(policy), str(document)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"{policy}:")
    assert "^" in result.stderr
