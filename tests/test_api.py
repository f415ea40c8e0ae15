"""The library's surface as the contract states it: load, evaluate, read the decision."""

from __future__ import annotations

import concurrent.futures
import datetime
import json
import math
import pickle
from pathlib import Path
from typing import Any

import attrs
import pytest

import titlerules
from titlerules import InputError, Outcome, Verdict

from .conftest import ROOT

CONTRACT_RULES = [
    ("applicant_scope", "一"),
    ("level_progression", "二"),
    ("qualification", "二"),
    ("route", "二, 附件3"),
    ("achievements_since_title", "二"),
    ("annual_assessment", "三(二)"),
    ("continuing_education", "三(三)"),
    ("social_security", "三(四)"),
    ("degree_verification", "三(五)"),
    ("prior_title_confirmation", "三(六)"),
    ("publicity", "三(八)1"),
    ("copies_verified", "三(八)2"),
    ("fraud", "三(九)"),
    ("deadlines", "五"),
    ("paper_materials", "四(二)"),
    ("fee", "六"),
]


@pytest.fixture(scope="module")
def eligible() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / "examples" / "eligible-intermediate.json").read_text("utf-8"))
    return document


def test_findings_follow_the_contract_table(lishui: titlerules.Policy, eligible: dict[str, Any]) -> None:
    decision = lishui.evaluate(eligible, as_of=datetime.date(2022, 1, 10))
    assert [(f.rule, f.cite) for f in decision.findings] == CONTRACT_RULES
    assert lishui.rule_ids == tuple(rule for rule, _ in CONTRACT_RULES)


def test_decision_json_has_the_contract_shape(lishui: titlerules.Policy, eligible: dict[str, Any]) -> None:
    produced = lishui.evaluate(eligible, as_of="2022-01-10").to_dict()
    assert list(produced) == [
        "applicant",
        "policy",
        "verdict",
        "findings",
        "fees",
        "committee",
        "consequences",
        "as_of",
        "provenance",
        "warnings",
    ]
    assert produced["applicant"] == "LS-2021-0001"
    assert produced["policy"] == "lishui-2021-crafts"
    assert produced["verdict"] == "eligible"
    assert produced["as_of"] == "2022-01-10"
    finding = produced["findings"][6]
    assert finding["rule"] == "continuing_education"
    assert set(finding) >= {"rule", "outcome", "cite", "message", "facts", "children"}
    assert set(finding["message"]) == {"zh", "en"}
    assert [c["rule"] for c in finding["children"]] == ["continuing_education.2020", "continuing_education.2021"]
    assert finding["children"][0]["facts"] == {
        "continuing_education.2020.professional": 64,
        "continuing_education.2020.general_public": 14,
        "continuing_education.2020.industry_public": 12,
        "total": 90,
    }
    assert json.loads(json.dumps(produced, ensure_ascii=False)) == produced


def test_provenance_identifies_policy_document_and_library(lishui: titlerules.Policy, eligible: dict[str, Any]) -> None:
    decision = lishui.evaluate(eligible)
    reordered = dict(reversed(list(eligible.items())))
    again = lishui.evaluate(reordered)
    assert decision.provenance == again.provenance  # key order does not change the canonical hash
    assert len(decision.provenance.policy_sha256) == 64
    assert decision.provenance.titlerules_version == titlerules.__version__
    changed = lishui.evaluate({**eligible, "work_area": "design"})
    assert changed.provenance.document_sha256 != decision.provenance.document_sha256


def test_decisions_are_immutable_values(lishui: titlerules.Policy, eligible: dict[str, Any]) -> None:
    decision = lishui.evaluate(eligible)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        decision.verdict = Verdict.INELIGIBLE  # type: ignore[misc]
    with pytest.raises(TypeError):
        decision.findings[0].facts["x"] = 1  # type: ignore[index]
    assert lishui.evaluate(eligible) == decision


def test_evaluate_does_not_change_the_document(lishui: titlerules.Policy, eligible: dict[str, Any]) -> None:
    before = json.dumps(eligible, sort_keys=True)
    lishui.evaluate(eligible, as_of="2021-12-01")
    assert json.dumps(eligible, sort_keys=True) == before


def test_policies_and_decisions_pickle(lishui: titlerules.Policy, eligible: dict[str, Any]) -> None:
    decision = lishui.evaluate(eligible, as_of="2022-01-10")
    assert pickle.loads(pickle.dumps(decision)) == decision
    policy = pickle.loads(pickle.dumps(lishui))
    assert policy.evaluate(eligible, as_of="2022-01-10") == decision


def test_evaluation_is_thread_safe(lishui: titlerules.Policy, eligible: dict[str, Any]) -> None:
    documents = [
        {**eligible, "id": f"A-{i}", "continuing_education": {"2020": {"professional": i % 80}}} for i in range(200)
    ]
    expected = [lishui.evaluate(d).to_dict() for d in documents]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda d: lishui.evaluate(d).to_dict(), documents))
    assert got == expected


def test_unknown_keys_are_warnings_not_facts(lishui: titlerules.Policy, eligible: dict[str, Any]) -> None:
    decision = lishui.evaluate({**eligible, "nickname": "x", "workplace": {**eligible["workplace"], "street": "y"}})
    assert decision.warnings == ("nickname: unknown key, ignored", "workplace.street: unknown key, ignored")


@pytest.mark.parametrize(
    ("patch", "path", "message"),
    [
        (
            {"continuing_education": {"2020": {"professional": "sixty"}}},
            "continuing_education.2020.professional",
            'expected a number >= 0 and <= 10000, got "sixty"',
        ),
        (
            {"continuing_education": {"2020": {"professional": math.nan}}},
            "continuing_education.2020.professional",
            "expected a finite number, got NaN",
        ),
        (
            {"continuing_education": {"2020": {"professional": True}}},
            "continuing_education.2020.professional",
            "expected a number >= 0 and <= 10000, got true",
        ),
        (
            {"continuing_education": {"twenty": {}}},
            "continuing_education.twenty",
            "expected a four-digit year as the key",
        ),
        (
            {"declared_level": "expert"},
            "declared_level",
            'expected one of junior, assistant, intermediate, got "expert"',
        ),
        (
            {"steps": {"online_submitted": "2021/12/01"}},
            "steps.online_submitted",
            'expected a date as YYYY-MM-DD, got "2021/12/01"',
        ),
        ({"steps": {"online_submitted": "2021-02-30"}}, "steps.online_submitted", "2021-02-30 is not a calendar date"),
        ({"achievements": [{"name": "a", "date": 5}]}, "achievements.0.date", "expected a date as YYYY-MM-DD, got 5"),
        ({"prior_title": "none"}, "prior_title", 'expected an object, got "none"'),
        ({"copies_verified": None}, "copies_verified", "expected true or false, got null"),
        ({"paper": {"copies": 2.5}}, "paper.copies", "expected an integer >= 0 and <= 1000, got 2.5"),
        (
            {"publicity": {"start": "2021-12-03", "end": "2021-11-29"}},
            "publicity",
            'expected start <= end, got start "2021-12-03", end "2021-11-29"',
        ),
    ],
)
def test_input_errors_name_the_key_path(
    lishui: titlerules.Policy, eligible: dict[str, Any], patch: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(InputError) as raised:
        lishui.evaluate({**eligible, **patch})
    assert raised.value.path == path
    assert str(raised.value) == f"{path}: {message}"


def test_every_input_problem_is_reported(lishui: titlerules.Policy) -> None:
    with pytest.raises(InputError) as raised:
        lishui.evaluate({"id": 7, "route": "side", "fee": {"paid": "yes"}})
    assert [p.path for p in raised.value.problems] == ["id", "route", "fee.paid"]


@pytest.mark.parametrize("document", [[], "x", 3, None])
def test_a_document_that_is_not_an_object_is_an_input_error(lishui: titlerules.Policy, document: Any) -> None:
    with pytest.raises(InputError, match="expected a JSON object"):
        lishui.evaluate(document)


@pytest.mark.parametrize("as_of", ["2021-13-01", "yesterday", 20211201, "2021-12-1"])
def test_a_bad_as_of_is_an_input_error(lishui: titlerules.Policy, as_of: Any) -> None:
    with pytest.raises(InputError) as raised:
        lishui.evaluate({"id": "x"}, as_of=as_of)
    assert raised.value.path == "as_of"


def test_as_of_accepts_dates_datetimes_and_iso_strings(lishui: titlerules.Policy) -> None:
    day = datetime.date(2021, 12, 13)
    for as_of in (day, datetime.datetime(2021, 12, 13, 9, 30), "2021-12-13"):
        assert lishui.evaluate({"id": "x"}, as_of=as_of).as_of == day


def test_outcomes_and_finding_lookup(lishui: titlerules.Policy, eligible: dict[str, Any]) -> None:
    decision = lishui.evaluate(eligible)
    assert decision.outcomes["route"] is Outcome.NOT_APPLICABLE
    assert decision.finding("fraud").cite == "三(九)"
    with pytest.raises(KeyError):
        decision.finding("nope")


def test_interpretation_notes_travel_with_findings(lishui: titlerules.Policy, eligible: dict[str, Any]) -> None:
    decision = lishui.evaluate(eligible)
    note = decision.finding("fraud").note
    assert note is not None and "高级" in note.zh and "senior" in note.en
    assert decision.finding("copies_verified").note is None


def test_bundled_policy_is_found_by_name_and_by_path() -> None:
    by_name = titlerules.load_policy("lishui-2021-crafts")
    by_path = titlerules.load_policy(ROOT / "policy" / "lishui-2021-crafts.policy")
    assert by_name.source_sha256 == by_path.source_sha256
    assert "lishui-2021-crafts" in titlerules.bundled_policies()


def test_only_library_errors_escape(lishui: titlerules.Policy, tmp_path: Path) -> None:
    odd_documents: list[Any] = [
        {"id": "x", "continuing_education": []},
        {"id": "x", "continuing_education": {"2020": []}},
        {"id": "x", "achievements": {}},
        {"id": "x", "fraud": {"history": [None]}},
        {"id": "x", "publicity": {"start": None}},
        {"id": ["x"]},
        {1: 2},
        {"id": "x", "workplace": {"city": float("inf")}},
    ]
    for document in odd_documents:
        with pytest.raises(titlerules.TitlerulesError):
            lishui.evaluate(document)
