"""``titlerules check``: every error and warning at once, located, in text or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from titlerules.analysis import diagnose

from .conftest import POLICY_DIR, ROOT
from .test_cli import run

BUNDLED = POLICY_DIR / "lishui-2021-crafts.policy"

WARNINGS = """\
policy "w" { year 2021 }
clause "一" { quote "a" }
clause "二" { quote "b" }
clause "三" { quote "c" unchecked zh "不能核验" en "not checkable" }
facts {
  id: string key
  hours: number in 0..100
  unused_fact: bool
  record: { used: bool, spare: integer }
  flag: bool = false
  history: list of { year: integer, note: string } = []
}
param high_bar = 100
param low_bar = 90
param spare = 1
param from_year = 2022
param to_year = 2021
param derived_bar = high_bar + 1
table unused_table by string { "a": 1 else 2 }
let unused_derived = hours + 1
rule r {
  cite "一"
  title zh "r" en "r"
  require hours >= high_bar and hours >= low_bar
  require hours > derived_bar
  require hours >= 0
  require record.used when 2021 in from_year .. to_year
  require flag
    fail zh "{record.spare}" en "x"
  require each h in history: h.year > 2000
    fail zh "{[h.note for h in history]}" en "x"
}
rule s {
  cite "一"
  title zh "s" en "s"
  require flag
  require hours < 50 when flag
  require hours < 50 when not flag
}
"""

EXPECTED = [
    (3, 8, "unaccounted-clause", "clause 二 has no rule citing it and no 'unchecked' note saying why"),
    (8, 3, "unused-fact", "fact 'unused_fact' is never read"),
    (15, 7, "unused-parameter", "parameter 'spare' is never used"),
    (19, 7, "unused-table", "table 'unused_table' is never used"),
    (20, 5, "unused-derived", "derived fact 'unused_derived' is never used"),
    (24, 33, "redundant-condition", "'hours >= low_bar' always holds when 'hours >= high_bar' does (redundant)"),
    (25, 3, "never-passes", "this requirement can never pass: 'hours > derived_bar' never holds here"),
    (26, 3, "never-fails", "this requirement can never fail: 'hours >= 0' always holds here"),
    (27, 28, "empty-range", "the range from_year .. to_year (2022 .. 2021) is empty"),
    (
        29,
        15,
        "message-fact",
        "this message shows record.spare, which rule 'r' does not read: "
        "it may show as unknown when the decision did not need it",
    ),
    (36, 3, "same-decision", "decides 'flag' as r does (line 28); keep one, or separate them with 'when'"),
]


def test_each_warning_is_located_with_its_exact_message(tmp_path: Path) -> None:
    diagnostics, checked = diagnose(WARNINGS, "w.policy")
    assert checked is not None
    assert [(d.line, d.column, d.code, d.message) for d in diagnostics] == EXPECTED
    assert all(d.severity == "warning" for d in diagnostics)


def test_the_bundled_policy_and_the_fixture_have_no_warnings() -> None:
    result = run("check", str(BUNDLED), str(ROOT / "tests" / "fixtures" / "lishui-2022-crafts.policy"))
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "2 files: 0 errors, 0 warnings\n"


def test_warnings_as_text_and_strict_exit(tmp_path: Path) -> None:
    path = tmp_path / "w.policy"
    path.write_text(WARNINGS, "utf-8")
    result = run("check", str(path))
    assert result.returncode == 0
    assert result.stdout.startswith(
        f"{path}:3:8: warning: clause 二 has no rule citing it and no 'unchecked' note saying why\n"
        '    clause "二" { quote "b" }\n'
        "           ^~~~\n"
    )
    assert result.stderr == "1 file: 0 errors, 11 warnings\n"
    assert run("check", "--strict", str(path)).returncode == 1


def test_json_for_editors(tmp_path: Path) -> None:
    path = tmp_path / "w.policy"
    path.write_text(WARNINGS, "utf-8")
    result = run("check", "--format", "json", str(path))
    report = json.loads(result.stdout)
    assert (report["errors"], report["warnings"], report["files"]) == (0, 11, 1)
    first = report["diagnostics"][0]
    assert first == {
        "file": str(path),
        "line": 3,
        "column": 8,
        "end_column": 11,
        "severity": "warning",
        "code": "unaccounted-clause",
        "message": "clause 二 has no rule citing it and no 'unchecked' note saying why",
        "hint": None,
    }


def test_every_syntax_error_at_once_one_per_declaration(tmp_path: Path) -> None:
    path = tmp_path / "s.policy"
    path.write_text(
        'policy "s" { year 2021 }\nparam a = (1 +\nrule r {\n  require n >= >= 2\n}\nrule q {\n  require n = 3\n}\n',
        "utf-8",
    )
    result = run("check", str(path))
    assert result.returncode == 3
    lines = [line for line in result.stdout.splitlines() if ": error: " in line]
    assert lines == [
        f"{path}:2:15: error: unexpected end of file; expected an expression",
        f"{path}:4:16: error: unexpected '>='; expected an expression",
        f"{path}:7:13: error: unexpected '='; expected 'action', 'by', 'child', 'cite', 'each', 'else', "
        "'exception', 'fail', 'let', 'note', 'pass', 'require', 'show', 'title' or one of 3 other tokens",
    ]
    assert result.stderr == "1 file: 3 errors, 0 warnings\n"


def test_every_checker_error_at_once_and_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "e.policy"
    path.write_text('policy "e" { year 2021 }\nfacts { id: string key }\nparam a = b\nparam c = "x" + 1\n', "utf-8")
    result = run("check", "--format", "json", str(path))
    assert result.returncode == 3
    codes = [(d["line"], d["code"]) for d in json.loads(result.stdout)["diagnostics"]]
    assert codes == [(3, "unknown-name"), (4, "type")]
    missing = run("check", str(tmp_path / "missing.policy"))
    assert missing.returncode == 3
    assert "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
