"""The bundled case file as a whole, and how case failures are reported."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import titlerules
from titlerules.cases import CaseFileError, check_case, load_case_file

from .conftest import POLICY_DIR

_POLICIES: dict[str, titlerules.Policy] = {}


def _policy(path: str) -> titlerules.Policy:
    if path not in _POLICIES:
        _POLICIES[path] = titlerules.load_policy(path)
    return _POLICIES[path]


# Each case of policy/*.cases.yaml is a test of its own: the titlerules pytest plugin
# (titlerules.pytest_plugin) collects case files; see tests/test_tooling.py for the plugin.


def test_bundled_case_file_exercises_every_rule_outcome_of_the_contract() -> None:
    """Each contract rule is seen with each outcome it can produce."""
    expected = {
        "applicant_scope": {"pass", "fail", "unknown"},
        "level_progression": {"pass", "fail", "unknown"},
        "qualification": {"pass", "fail", "unknown"},
        "route": {"not_applicable", "fail", "pass", "action", "unknown"},
        "achievements_since_title": {"pass", "action", "unknown"},
        "annual_assessment": {"pass", "fail", "unknown"},
        "continuing_education": {"pass", "fail", "action", "unknown"},
        "social_security": {"pass", "action", "unknown"},
        "degree_verification": {"pass", "action", "unknown"},
        "prior_title_confirmation": {"not_applicable", "pass", "action", "unknown"},
        "publicity": {"pass", "action", "fail"},
        "copies_verified": {"pass", "action"},
        "fraud": {"pass", "fail", "unknown"},
        "deadlines": {"pass", "fail", "action"},
        "paper_materials": {"pass", "fail", "action", "unknown"},
        "fee": {"pass", "action", "fail"},
    }
    loaded = load_case_file(POLICY_DIR / "lishui-2021-crafts.cases.yaml")
    policy = _policy(loaded.policy_path)
    seen: dict[str, set[str]] = {rule: set() for rule in expected}
    for case in loaded.cases:
        if case.error is not None:
            continue
        decision = policy.evaluate(case.document, as_of=case.as_of)
        for finding in decision.findings:
            seen[finding.rule].add(str(finding.outcome))
    assert seen == expected


def test_a_wrong_expectation_is_reported(lishui: titlerules.Policy) -> None:
    loaded = load_case_file(POLICY_DIR / "lishui-2021-crafts.cases.yaml")
    case = next(c for c in loaded.cases if c.name == "unpaid fees after the SMS deadline fail")
    wrong = copy.copy(case)
    object.__setattr__(wrong, "outcomes", {"fee": "pass", "nonexistent_rule": "pass"})
    object.__setattr__(wrong, "verdict", "eligible")
    problems = check_case(lishui, wrong)
    assert problems[0] == "verdict: expected eligible, got ineligible"
    assert problems[1].startswith("fee: expected pass, got fail (not paid by 2022-01-20")
    assert problems[2] == "nonexistent_rule: no such finding"


def test_an_expected_error_that_does_not_come_is_reported(lishui: titlerules.Policy) -> None:
    loaded = load_case_file(POLICY_DIR / "lishui-2021-crafts.cases.yaml")
    case = loaded.cases[0]
    object.__setattr__(case := copy.copy(case), "error", "declared_level")
    assert check_case(lishui, case) == ["expected an error at 'declared_level', got verdict eligible"]


def test_case_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.cases.yaml"
    bad.write_text("cases:\n  - name: a\n    verdict: eligible\n    bogus: 1\n", encoding="utf-8")
    with pytest.raises(CaseFileError, match=r"x\.cases\.yaml:2: unknown case key\(s\): bogus"):
        load_case_file(bad)
    bad.write_text("cases:\n  - name: a\n    document: nope\n    verdict: eligible\n", encoding="utf-8")
    with pytest.raises(CaseFileError, match="no document named 'nope'"):
        load_case_file(bad)
    bad.write_text("cases: [\n", encoding="utf-8")
    with pytest.raises(CaseFileError, match="invalid YAML"):
        load_case_file(bad)
