"""Derived policies (``extends``) and ``titlerules diff``: next year's notice."""

from __future__ import annotations

import datetime
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

import titlerules
from titlerules import nodes as n
from titlerules.cases import load_case_file
from titlerules.policydiff import _without_texts, load

from .conftest import POLICY_DIR, ROOT
from .test_cli import run

OLD = POLICY_DIR / "lishui-2021-crafts.policy"
NEW = ROOT / "tests" / "fixtures" / "lishui-2022-crafts.policy"
CASES = POLICY_DIR / "lishui-2021-crafts.cases.yaml"

# What the fixture declares anew, and nothing else.
OVERRIDDEN = {
    ("header", "lishui-2022-crafts"),
    ("clause", "二"),
    ("clause", "三(三)"),
    ("clause", "四(二)"),
    ("value", "assessment_years"),
    ("value", "ce_exempt_through"),
    ("value", "ce_years"),
    ("value", "online_deadline"),
    ("value", "unit_deadline"),
    ("value", "county_deadline"),
    ("value", "paper_deadline"),
    ("rule", "qualification"),
    ("rule", "annual_assessment"),
    ("rule", "continuing_education"),
}


def _key(decl: n.Declaration) -> tuple[str, str]:
    if isinstance(decl, n.PolicyHeader):
        return ("header", decl.id)
    if isinstance(decl, (n.RuleDecl, n.ClauseDecl)):
        return ("rule" if isinstance(decl, n.RuleDecl) else "clause", decl.id)
    if isinstance(decl, (n.ParamDecl, n.TableDecl, n.LetDecl)):
        return ("value", decl.name)
    if isinstance(decl, n.FactsDecl):
        return ("facts", "")
    return (type(decl).__name__, str(getattr(decl, "name", "")))


def test_only_what_the_derived_policy_overrides_differs() -> None:
    old, new = load(str(OLD)), load(str(NEW))
    before = {_key(d): d for d in old.tree.declarations}
    after = {_key(d): d for d in new.tree.declarations}
    assert [k for k in after if k[0] != "header"] == [k for k in before if k[0] != "header"]  # same order
    changed = {k for k in after if k[0] == "header" or before.get(k) != after[k]}
    assert changed == OVERRIDDEN
    # The rules given new messages keep their logic: only their texts differ.
    for key in [("rule", "qualification"), ("rule", "annual_assessment"), ("rule", "continuing_education")]:
        assert _without_texts(after[key]) == _without_texts(before[key])


def test_the_derived_policy_decides_a_year_later_as_the_parent_did() -> None:
    """Each case of the 2021 file, moved one year on, gets the same outcomes in 2022.

    Publicity is left out: it counts working days by the official calendar, which differs
    from one year to the next (2021-11-29 is a Monday, 2022-11-29 a Tuesday).
    """
    old, new = titlerules.load_policy(OLD), titlerules.load_policy(NEW)
    compared = 0
    for case in load_case_file(CASES).cases:
        if case.error is not None:
            continue
        before = old.evaluate(case.document, as_of=case.as_of)
        after = new.evaluate(shifted(case.document), as_of=_later(case.as_of) if case.as_of else None)
        outcomes = {f.rule: f.outcome for f in before.findings if f.rule != "publicity"}
        assert {f.rule: f.outcome for f in after.findings if f.rule != "publicity"} == outcomes, case.name
        compared += 1
    assert compared > 80


def _later(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def shifted(document: Any) -> Any:
    """A document one year later: year keys, dates and ban years (not graduation years)."""
    out = json.loads(json.dumps(document))
    for key in ("annual_assessments", "continuing_education"):
        if isinstance(out.get(key), dict):
            out[key] = {str(int(year) + 1): value for year, value in out[key].items()}
    for record, fields in {
        "publicity": ("start", "end"),
        "paper": ("submitted",),
        "steps": ("online_submitted", "unit_reviewed", "county_reported"),
        "fee": ("deadline",),
        "prior_title": ("obtained",),
    }.items():
        for field in fields:
            if isinstance(out.get(record), dict) and isinstance(out[record].get(field), str):
                out[record][field] = _later(datetime.date.fromisoformat(out[record][field])).isoformat()
    for achievement in out.get("achievements") or []:
        achievement["date"] = _later(datetime.date.fromisoformat(achievement["date"])).isoformat()
    for record in (out.get("fraud") or {}).get("history") or []:
        if "evaluation_year" in record:
            record["evaluation_year"] += 1
    return out


def test_diff_reports_exactly_the_overrides() -> None:
    result = run("diff", "--format", "json", "--cases", str(CASES), str(OLD), str(NEW))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(c["kind"], c["name"], c["change"]) for c in report["changes"]] == [
        ("header", "id", "changed"),
        ("header", "document", "changed"),
        ("header", "year", "changed"),
        ("header", "title", "changed"),
        ("parameter", "assessment_years", "changed"),
        ("parameter", "ce_exempt_through", "changed"),
        ("parameter", "online_deadline", "changed"),
        ("parameter", "unit_deadline", "changed"),
        ("parameter", "county_deadline", "changed"),
        ("parameter", "paper_deadline", "changed"),
        ("table", "ce_years", "changed"),
        ("clause", "二", "changed"),
        ("clause", "三(三)", "changed"),
        ("clause", "四(二)", "changed"),
        ("message", "qualification note", "changed"),
        ("rule", "annual_assessment", "affected"),
        ("message", "annual_assessment note", "changed"),
        ("rule", "continuing_education", "affected"),
        ("message", "continuing_education note", "changed"),
        ("message", "continuing_education.y exception exempt", "changed"),
        ("rule", "publicity", "affected"),
        ("rule", "fraud", "affected"),
        ("rule", "deadlines", "affected"),
        ("rule", "paper_materials", "affected"),
    ]
    affected = {c["name"]: c["new"] for c in report["changes"] if c["change"] == "affected"}
    assert affected["continuing_education"] == "application_year, ce_exempt_through, ce_years, online_deadline"
    # The 2021 applicants, evaluated under the 2022 policy on their 2021 dates:
    changes = report["verdict_changes"]
    eligible = next(c for c in changes if c["source"].endswith("eligible intermediate applicant"))
    assert (eligible["old"], eligible["new"]) == ("eligible", "undetermined")
    assert {r["rule"] for r in eligible["rules"]} == {"annual_assessment", "continuing_education"}


def test_diff_search_finds_a_changed_verdict_and_reduces_the_document(tmp_path: Path) -> None:
    raised = tmp_path / "raised.policy"
    raised.write_text(
        'policy "raised" extends "lishui-2021-crafts" { year 2021 }\nparam ce_total_hours = 100\n', "utf-8"
    )
    result = run("diff", "--format", "json", "lishui-2021-crafts", str(raised))
    report = json.loads(result.stdout)
    assert [(c["kind"], c["name"], c["change"]) for c in report["changes"]] == [
        ("header", "id", "changed"),
        ("parameter", "ce_total_hours", "changed"),
        ("rule", "continuing_education", "affected"),
    ]
    (found,) = report["verdict_changes"]
    assert report["applicants"]["searched"] is True
    assert found["rules"][0]["rule"] == "continuing_education"
    # Every fact left in the document is needed to tell the verdicts apart.
    old, new = titlerules.load_policy("lishui-2021-crafts"), titlerules.load_policy(raised)
    for name in found["document"]:
        if name == "id":
            continue
        less = {k: v for k, v in found["document"].items() if k != name}
        as_of = found["as_of"]
        assert old.evaluate(less, as_of=as_of).verdict == new.evaluate(less, as_of=as_of).verdict


def test_diff_of_a_policy_with_itself(tmp_path: Path) -> None:
    result = run("diff", "--examples", "50", str(OLD), str(OLD))
    assert result.returncode == 0
    assert "no change to the text of the policy" in result.stdout
    assert "no applicant found whose verdict changes (50 searched" in result.stdout


def test_diff_over_json_lines(tmp_path: Path) -> None:
    documents = tmp_path / "applicants.jsonl"
    example = json.loads((ROOT / "examples" / "eligible-intermediate.json").read_text("utf-8"))
    documents.write_text(json.dumps(example, ensure_ascii=False) + '\n{"id": "empty"}\n', "utf-8")
    result = run("diff", "--as-of", "2022-01-10", "--cases", str(documents), str(OLD), str(NEW))
    assert result.returncode == 0
    # After 2021's deadlines, an empty 2021 document fails them; under 2022 they are to come.
    assert "2 of 2 applicants change verdict" in result.stdout
    assert f"{documents}:2 as of 2022-01-10: ineligible -> undetermined" in result.stdout
    assert f"{documents}:1 as of 2022-01-10: eligible -> undetermined" in result.stdout


# ---- extends: loading and its errors -------------------------------------------------------------------


def test_a_derived_policy_loads_evaluates_and_pickles() -> None:
    policy = titlerules.load_policy(NEW)
    assert policy.id == "lishui-2022-crafts"
    assert policy.checked.year == 2022
    assert policy.checked.inherited[0][0] == str(OLD) or policy.checked.inherited[0][0].endswith(
        "lishui-2021-crafts.policy"
    )
    again = pickle.loads(pickle.dumps(policy))
    assert again.source_sha256 == policy.source_sha256 != titlerules.load_policy(OLD).source_sha256
    decision = policy.evaluate({"id": "x", "declared_level": "assistant"}, as_of="2022-12-01")
    assert decision.finding("continuing_education.2022").outcome == "unknown"


def derived(tmp_path: Path, body: str, header: str = 'policy "d" extends "base" { year 2022 }') -> Path:
    (tmp_path / "base.policy").write_text(
        'policy "base" { year 2021 }\n'
        'clause "一" { quote "q" }\n'
        "facts { id: string key  n: number }\n"
        "param bar = 1\n"
        "rule r {\n"
        '  cite "一"\n'
        '  title zh "r" en "r"\n'
        "  require n >= bar\n"
        '    fail zh "少" en "short"\n'
        "  require n < 100\n"
        '    fail zh "多" en "long"\n'
        "}\n",
        "utf-8",
    )
    path = tmp_path / "d.policy"
    path.write_text(header + "\n" + body, "utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "header", "line", "message"),
    [
        ("", 'policy "d" extends "nowhere" { year 2022 }', 1, "cannot load the parent policy 'nowhere'"),
        ('messages rr {\n  note zh "a" en "b"\n}\n', None, 2, "no rule 'rr' to give messages to (did you mean 'r'?)"),
        ('messages r {\n  fail zh "a" en "b"\n}\n', None, 3, "r: 2 requirements could take this 'fail' message"),
        ('messages r.c {\n  pass zh "a" en "b"\n}\n', None, 2, "'r.c': no child 'c'"),
        ('messages r {\n  exception pass zh "a" en "b"\n}\n', None, 3, "r has 0 'pass' exceptions, not one"),
        ('messages r {\n  title zh "a" en "b"\n}\n', 'policy "d" { year 2022 }', 2, "this policy extends none"),
        ("", 'policy "d" extends "d" { year 2022 }', 1, "extends itself"),
    ],
)
def test_extends_errors_point_into_the_derived_file(
    tmp_path: Path, body: str, header: str | None, line: int, message: str
) -> None:
    path = derived(tmp_path, body, header) if header else derived(tmp_path, body)
    with pytest.raises(titlerules.PolicyError) as raised:
        titlerules.load_policy(path)
    diagnostic = raised.value.diagnostics[0]
    assert (diagnostic.filename, diagnostic.line) == (str(path), line)
    assert message in str(raised.value)


def test_an_error_in_an_inherited_rule_points_into_the_parent(tmp_path: Path) -> None:
    path = derived(tmp_path, 'param bar = "one"\n')
    with pytest.raises(titlerules.PolicyError) as raised:
        titlerules.load_policy(path)
    (diagnostic,) = raised.value.diagnostics
    assert (diagnostic.filename, diagnostic.line) == (str(tmp_path / "base.policy"), 8)
    assert diagnostic.source_line == "  require n >= bar"
    result = run("check", str(path))
    assert result.returncode == 3
    assert f"{tmp_path / 'base.policy'}:8:11: error: cannot compare number with string" in result.stdout


def test_messages_replace_one_requirement_message_and_rules_replace_in_place(tmp_path: Path) -> None:
    path = derived(
        tmp_path,
        'rule extra {\n  cite "一"\n  title zh "e" en "e"\n  require n > 0\n}\n'
        'messages r {\n  note zh "注" en "note"\n  pass zh "好" en "good"\n}\n'
        "param bar = 5\n",
    )
    policy = titlerules.load_policy(path)
    assert policy.rule_ids == ("r", "extra")
    decision = policy.evaluate({"id": "x", "n": 3})
    finding = decision.finding("r")
    assert (finding.outcome, finding.message.en, finding.note and finding.note.en) == ("fail", "short", "note")
    assert titlerules.load_policy(path).evaluate({"id": "x", "n": 7}).finding("r").message.en == "good"
