"""``titlerules doc``, the Pygments lexer and the TextMate grammar."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Error

from titlerules import highlight

from .conftest import POLICY_DIR, ROOT
from .test_cli import run

POLICY = "policy/lishui-2021-crafts.policy"
RENDERED = ROOT / "docs" / "lishui-2021-crafts.md"
FIXTURE = ROOT / "tests" / "fixtures" / "lishui-2022-crafts.policy"


def _run_in_root(*args: str) -> str:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "titlerules", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_committed_rendering_is_the_current_one() -> None:
    """docs/lishui-2021-crafts.md is what `titlerules doc` makes of the bundled policy today."""
    assert _run_in_root("doc", POLICY) == RENDERED.read_text("utf-8")


def test_markdown_quotes_each_clause_next_to_its_rules() -> None:
    text = RENDERED.read_text("utf-8")
    assert "| 三(三) 继续教育要求 | `continuing_education` | 14 |" in text
    assert "| 三(一) 坚持德才兼备 | not checkable (see below) | 0 |" in text
    section = text[text.index("## 三(三) 继续教育要求") : text.index("## 三(四)")]
    assert section.index("> 专业技术人员每年参加继续教育") < section.index("### Rule `continuing_education`")
    assert "**Interpretation:** 员级：通知只写明中级" in section
    assert "| `ce_total_hours` | 90 |" in section
    assert "| continuing_education.y | exempt | {y}年度学时视同合格（2019年以前的学时都视同合格） |" in section
    assert "Test cases (14): " in section
    # A rule citing two clauses is shown once and referred to from the other.
    assert "Rule `route` (shown under clause 二) also implements this clause." in text


def test_html_is_highlighted_by_the_registered_lexer(tmp_path: Path) -> None:
    out = tmp_path / "doc.html"
    result = run("doc", "--format", "html", "-o", str(out), str(ROOT / POLICY))
    assert result.returncode == 0, result.stderr
    page = out.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert '<h3 id="rule-fee">Rule <code>fee</code>: 评审费缴纳 / Fees</h3>' in page
    assert '<span class="k">require</span>' in page  # a keyword, coloured by the titlerules lexer
    assert page.count("<h2>") == 21  # the traceability table and the 20 clauses


def test_a_derived_policy_without_cases(tmp_path: Path) -> None:
    text = run("doc", str(FIXTURE)).stdout
    assert "derived from `" in text
    assert "申报对象资历计算时间截止至 2022 年 12 月 31 日。" in text
    assert "No test case states an outcome of this rule." in text
    assert run("doc", str(tmp_path / "none.policy")).returncode == 3


# ---- editors ------------------------------------------------------------------------------------------------


def _grammar_keywords() -> set[str]:
    grammar = (resources.files("titlerules") / "grammar.lark").read_text("utf-8")
    code = "\n".join(line.split("//")[0] for line in grammar.splitlines())
    return set(re.findall(r'"([a-z_]+)"', code)) | {"ordered", "key"}


LEXER_WORDS = (
    set(highlight.DECLARATIONS)
    | set(highlight.STATEMENTS)
    | set(highlight.OUTCOMES)
    | set(highlight.OPERATORS)
    | set(highlight.TYPES)
    | set(highlight.CONSTANTS)
    | set(highlight.LANGUAGES)
)


def test_the_lexer_knows_every_keyword_of_the_grammar() -> None:
    assert _grammar_keywords() == LEXER_WORDS


@pytest.mark.parametrize("path", [POLICY_DIR / "lishui-2021-crafts.policy", FIXTURE])
def test_the_lexer_is_registered_and_lexes_policies_without_errors(path: Path) -> None:
    assert isinstance(get_lexer_by_name("titlerules"), highlight.PolicyLexer)
    lexer = get_lexer_for_filename(str(path))
    tokens = list(lexer.get_tokens(path.read_text("utf-8")))
    assert not [value for token, value in tokens if token is Error]
    assert "".join(value for _, value in tokens) == path.read_text("utf-8")


def test_the_textmate_grammar_matches_the_lexer() -> None:
    grammar = json.loads((resources.files("titlerules") / "editors" / "titlerules.tmLanguage.json").read_text("utf-8"))
    assert grammar["scopeName"] == "source.titlerules"
    assert grammar["fileTypes"] == ["policy"]
    words: set[str] = set()
    for pattern in grammar["repository"]["code"]["patterns"]:
        re.compile(pattern["match"])  # the patterns are plain regular expressions
        found = re.fullmatch(r"\\b\(\?:([a-z_|]+)\)\\b", pattern["match"])
        if found:
            words |= set(found.group(1).split("|"))
    assert words == LEXER_WORDS
    comment = re.compile(grammar["repository"]["comment"]["match"])
    assert comment.search("param a = 1  # why").group(0) == "# why"  # type: ignore[union-attr]
