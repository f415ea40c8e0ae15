"""What to do next: for every rule of the bundled policy and each outcome it can reach, the
next step an explanation gives, and the properties that make those steps trustworthy."""

from __future__ import annotations

import copy
import datetime
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import titlerules
from titlerules.cases import Case, load_case_file
from titlerules.explain import SATISFIED, apply_changes, parse_path

from .conftest import POLICY_DIR, ROOT

CASES = {c.name: c for c in load_case_file(POLICY_DIR / "lishui-2021-crafts.cases.yaml").cases}
EMPTY = "a document with nothing but its id is undetermined"

# (rule, outcome, case of the case file, kind of next step, advice in English). The advice
# is derived from the policy, not written per rule: these are the texts it derives.
NEXT_STEPS = [
    ("applicant_scope", "fail", "workplace outside Lishui fails the scope", "change",
     "change: workplace.city: 杭州市 -> 丽水市"),
    ("applicant_scope", "unknown", EMPTY, "missing", "supply: workplace.city, workplace.county, work_area"),
    ("level_progression", "fail", "a title at the declared level fails the progression", "blocked",
     "cannot be remedied: `prior_title.level < declared_level (intermediate < intermediate)` rests on fixed "
     "history (prior_title.level = intermediate), which cannot be changed"),
    ("level_progression", "unknown", EMPTY, "missing", "supply: prior_title, prior_title.level, declared_level"),
    ("qualification", "fail", "not meeting the 194 conditions fails", "blocked",
     "cannot be remedied: `qualification.meets_194_conditions` rests on fixed history "
     "(qualification.meets_194_conditions = false), which cannot be changed"),
    ("qualification", "unknown", EMPTY, "missing", "supply: qualification.meets_194_conditions"),
    ("route", "action", "the exceptional route without the approval form is an action", "todo",
     "to do: approval_form: false -> true"),
    ("route", "fail", "the direct route cannot lead to an assistant title", "change",
     "change: declared_level: assistant -> intermediate"),
    ("route", "unknown", "the direct route with an unknown level is unknown", "missing", "supply: declared_level"),
    ("achievements_since_title", "action", "an achievement before the current title does not count", "todo",
     'to do: achievements.0: {"name": "早年作品《溪山》", "date": "2015-05-01"} -> (remove)'),
    ("achievements_since_title", "unknown", "an absent prior title leaves the progression unknown", "missing",
     "supply: prior_title, prior_title.obtained"),
    ("annual_assessment", "fail", "a basically-qualified 2020 assessment fails", "blocked",
     "cannot be remedied: `annual_assessments[y] >= assessment_minimum (basically_qualified >= qualified)` "
     "rests on fixed history (annual_assessments.2020 = basically_qualified), which cannot be changed"),
    ("annual_assessment", "unknown", EMPTY, "missing", "supply: annual_assessments.2019, annual_assessments.2020"),
    ("continuing_education", "action", "short 2021 hours are an action before the online deadline", "todo",
     "to do by 2021-12-12: continuing_education.2021.professional: 40 -> 60"),
    ("continuing_education", "fail", "59 professional hours in 2020 fail", "change",
     "change: continuing_education.2020.professional: 59 -> 60"),
    ("continuing_education", "unknown", EMPTY, "missing", "supply: declared_level"),
    ("social_security", "action", "contributions outside Zhejiang without proof are an action", "todo",
     "to do: social_security.out_of_province_proof: false -> true"),
    ("social_security", "unknown", EMPTY, "missing", "supply: social_security.in_province"),
    ("degree_verification", "action", "a 2000 degree without certificates is an action", "todo",
     "to do: education.certificates_uploaded: false -> true"),
    ("degree_verification", "unknown", EMPTY, "missing", "supply: education.domestic, education.level, education.year"),
    ("prior_title_confirmation", "action", "a title from another province must be confirmed", "todo",
     "to do: prior_title.confirmed: false -> true"),
    ("prior_title_confirmation", "unknown", EMPTY, "missing", "supply: prior_title, prior_title.origin"),
    ("publicity", "action", "four working days of publicity are an action before the unit deadline", "todo",
     "to do by 2021-12-23: publicity.end: 2021-12-02 -> 2021-12-03"),
    ("publicity", "fail", "four working days of publicity fail after the unit deadline", "blocked",
     "cannot be remedied: the deadline 2021-12-23 has passed (as of 2021-12-24): `publicity.start is present and "
     "publicity.end is present and workdays(publicity.start, publicity.end) >= publicity_workdays` can no longer "
     "be met"),
    ("copies_verified", "action", "copies not yet checked are an action", "todo",
     "to do: copies_verified: false -> true"),
    ("fraud", "fail", "falsification in this application decides the verdict", "blocked",
     "cannot be remedied: `fraud.current_application` rests on fixed history (fraud.current_application = true), "
     "which cannot be changed"),
    ("fraud", "unknown", "a ban record whose scope is not given leaves the integrity rule unknown", "missing",
     "supply: fraud.history.0.scope"),
    ("deadlines", "action", "a county report not yet made is an action before its deadline", "todo",
     "to do by 2021-12-31: steps.county_reported: (none) -> (give ≤ 2021-12-31)"),
    ("deadlines", "fail", "an online application on 13 December fails", "blocked",
     "cannot be remedied: `steps.online_submitted` rests on fixed history (steps.online_submitted = 2021-12-13), "
     "which cannot be changed"),
    ("paper_materials", "action", "two copies of the form are an action", "todo", "to do: paper.copies: 2 -> 3"),
    ("paper_materials", "fail", "paper materials delivered on 8 January fail", "blocked",
     "cannot be remedied: `paper.submitted` rests on fixed history (paper.submitted = 2022-01-08), which cannot "
     "be changed"),
    ("paper_materials", "unknown", "an unknown number of copies is unknown", "missing", "supply: paper.copies"),
    ("fee", "action", "unpaid fees are an action before the SMS deadline", "todo",
     "to do by 2022-01-20: fee.paid: false -> true"),
    ("fee", "fail", "unpaid fees after the SMS deadline fail", "blocked",
     "cannot be remedied: the deadline 2022-01-20 has passed (as of 2022-01-21): `fee.paid` can no longer be met"),
]  # fmt: skip

# Outcomes that need no next step, one case each.
SATISFIED_CASES = [
    ("applicant_scope", "pass", "eligible intermediate applicant"),
    ("route", "not_applicable", "eligible intermediate applicant"),
    ("prior_title_confirmation", "not_applicable", "eligible intermediate applicant"),
    ("fraud", "pass", "a 2017 finding no longer bars 2021"),
]


def explain(policy: titlerules.Policy, case: Case) -> titlerules.Explanation:
    return policy.explain(case.document, as_of=case.as_of)


def test_the_table_covers_every_blocking_outcome_of_every_rule(lishui: titlerules.Policy) -> None:
    blocking = {(rule, outcome) for rule, outcome, *_ in NEXT_STEPS}
    reached = {
        (rule, str(outcome))
        for case in CASES.values()
        if case.error is None
        for rule, outcome in lishui.evaluate(case.document, as_of=case.as_of).outcomes.items()
        if outcome in ("fail", "action", "unknown")
    }
    assert reached == blocking


@pytest.mark.parametrize(
    ("rule", "outcome", "case", "kind", "advice"), NEXT_STEPS, ids=[f"{r}-{o}" for r, o, *_ in NEXT_STEPS]
)
def test_next_step_of_each_rule_and_outcome(
    lishui: titlerules.Policy, rule: str, outcome: str, case: str, kind: str, advice: str
) -> None:
    explanation = explain(lishui, CASES[case])
    finding = explanation.decision.finding(rule)
    assert finding.outcome == outcome
    step = explanation.step(rule)
    assert step.kind == kind
    assert step.advice is not None
    assert step.advice.en == advice
    assert step.advice.zh  # and in Chinese
    assert step.cite == finding.cite
    as_json = explanation.to_dict()
    shown = next(f for f in as_json["findings"] if f["rule"] == rule)
    assert shown["next"]["kind"] == kind
    if kind == "change":
        # Each remedy was re-evaluated: the rule passes with it.
        assert step.remedies[0].outcome in SATISFIED
        changed = apply_changes(CASES[case].document, step.remedies[0].changes, lishui.checked.schema)
        assert lishui.evaluate(changed, as_of=CASES[case].as_of).outcomes[rule] in SATISFIED
    if kind == "blocked":
        assert step.obstacles and not step.remedies
    if kind == "missing":
        assert [m.path for m in step.missing] == advice.removeprefix("supply: ").split(", ")
    if kind == "todo":
        assert step.deadline == finding.deadline


@pytest.mark.parametrize(("rule", "outcome", "case"), SATISFIED_CASES)
def test_satisfied_findings_have_no_next_step(lishui: titlerules.Policy, rule: str, outcome: str, case: str) -> None:
    explanation = explain(lishui, CASES[case])
    assert explanation.decision.outcomes[rule] == outcome
    with pytest.raises(KeyError):
        explanation.step(rule)
    shown = next(f for f in explanation.to_dict()["findings"] if f["rule"] == rule)
    assert "next" not in shown


def test_unknown_facts_say_which_outcome_each_value_leads_to(lishui: titlerules.Policy) -> None:
    step = explain(lishui, CASES["an unknown degree year without certificates is unknown"]).step("degree_verification")
    (year,) = step.missing
    assert year.path == "education.year"
    assert [(str(o), v) for o, v in year.leads_to] == [("action", (0, 2000)), ("pass", (2001,))]
    assert [str(o) for o in step.possible_outcomes] == ["action", "pass"]
    scope = explain(lishui, CASES[EMPTY]).step("applicant_scope")
    county = next(m for m in scope.missing if m.path == "workplace.county")
    outcomes = dict(county.leads_to)
    assert "(other)" in outcomes[titlerules.Outcome.FAIL]
    assert "莲都区" in outcomes[titlerules.Outcome.UNKNOWN]  # the city and work area are still missing
    assert [str(o) for o in scope.possible_outcomes] == ["fail", "pass"]


def test_a_sum_with_a_missing_part_tries_the_value_that_completes_it(lishui: titlerules.Policy) -> None:
    case = CASES["a sum with an absent part is unknown even where it is already reached"]
    (industry,) = explain(lishui, case).step("continuing_education.2021").missing
    values = {str(o): v for o, v in industry.leads_to}
    # 100 professional and 12 general public: 6 more public hours reach the 18; 5 do not.
    assert 6 in values["pass"] and 5 in values["action"]


def test_a_fail_spanning_several_items_is_removed_or_changed_item_by_item(lishui: titlerules.Policy) -> None:
    document = copy.deepcopy(CASES["eligible intermediate applicant"].document)
    document["achievements"] = [
        {"name": "a", "date": "2010-01-01"},
        {"name": "b", "date": "2020-01-01"},
        {"name": "c", "date": "2012-03-04"},
    ]
    step = lishui.explain(document, as_of="2021-12-01").step("achievements_since_title")
    assert [c.text() for c in step.remedies[0].changes] == [
        'achievements.0: {"name": "a", "date": "2010-01-01"} -> (remove)',
        'achievements.2: {"name": "c", "date": "2012-03-04"} -> (remove)',
    ]
    assert step.remedies[0].outcome is titlerules.Outcome.PASS


def test_a_past_date_is_never_moved(lishui: titlerules.Policy) -> None:
    # Publicity held 30 Sept to 9 Oct: 3 working days. Both dates are past on 1 December,
    # so no date is proposed; the policy's own words say what to do.
    step = explain(lishui, CASES["National Day holidays do not count"]).step("publicity")
    assert step.kind == "todo" and not step.remedies
    assert step.advice is not None and step.advice.en.startswith("to do by 2021-12-23: publicise at the unit")


def test_blocking_order_and_the_changes_together(lishui: titlerules.Policy) -> None:
    document = copy.deepcopy(CASES["eligible intermediate applicant"].document)
    document["fraud"] = {"history": [{"evaluation_year": 2019, "scope": "all"}]}
    document["continuing_education"]["2020"]["professional"] = 48
    document["workplace"]["city"] = "杭州市"
    del document["education"]["year"]
    document["paper"]["copies"] = 2
    del document["steps"]["county_reported"]
    explanation = lishui.explain(document, as_of="2021-12-20")
    assert [(s.finding, s.kind) for s in explanation.steps] == [
        ("fraud", "blocked"),
        ("applicant_scope", "change"),
        ("continuing_education.2020", "change"),
        ("degree_verification", "missing"),
        ("deadlines.county", "todo"),
        ("paper_materials", "todo"),
    ]
    combined = explanation.combined
    assert combined is not None
    assert [c.text() for c in combined.changes] == [
        "workplace.city: 杭州市 -> 丽水市",
        # 74 hours in all with 48 professional: 16 more professional hours meet both sums.
        "continuing_education.2020.professional: 48 -> 64",
    ]
    # Re-evaluated together: the ban still decides.
    assert combined.verdict is titlerules.Verdict.INELIGIBLE
    del document["fraud"]
    assert lishui.explain(document, as_of="2021-12-20").combined.verdict is titlerules.Verdict.UNDETERMINED  # type: ignore[union-attr]


def test_changes_that_help_one_rule_are_checked_against_the_others(lishui: titlerules.Policy) -> None:
    # An assistant on the direct route: declaring the intermediate level fixes the route,
    # but the intermediate level also needs 2020 hours, which this applicant has not given.
    document = copy.deepcopy(CASES["eligible intermediate applicant"].document)
    document.update(route="direct", declared_level="assistant", approval_form=True, prior_title=None)
    document["qualification"] = {"meets_direct_conditions": True}
    del document["continuing_education"]["2020"]
    explanation = lishui.explain(document, as_of="2022-01-10")
    route = explanation.step("route")
    assert [c.text() for c in route.remedies[0].changes] == ["declared_level: assistant -> intermediate"]
    assert route.remedies[0].outcome is titlerules.Outcome.PASS
    assert route.remedies[0].verdict is titlerules.Verdict.UNDETERMINED
    assert explanation.combined is not None and explanation.combined.verdict is titlerules.Verdict.UNDETERMINED


def test_evaluate_stays_lean_and_its_contract_keys_are_unchanged(lishui: titlerules.Policy) -> None:
    case = CASES["59 professional hours in 2020 fail"]
    decision = lishui.evaluate(case.document, as_of=case.as_of)
    plain = decision.to_dict()
    assert "next_steps" not in plain and all("next" not in f for f in plain["findings"])
    explained = lishui.explain(case.document, as_of=case.as_of, decision=decision).to_dict()
    assert {k: v for k, v in explained.items() if k != "next_steps"}.keys() == plain.keys()
    assert explained["verdict"] == plain["verdict"]
    assert explained["next_steps"]["order"] == ["continuing_education.2020"]


def test_a_decision_of_another_document_is_refused(lishui: titlerules.Policy) -> None:
    decision = lishui.evaluate(CASES[EMPTY].document)
    with pytest.raises(titlerules.InputError, match="not made by this policy on this document and day"):
        lishui.explain(CASES["eligible intermediate applicant"].document, decision=decision)
    with pytest.raises(titlerules.InputError, match="not made by this policy"):
        lishui.explain(CASES[EMPTY].document, as_of="2021-12-01", decision=decision)


def test_paths_parse_against_the_schema(lishui: titlerules.Policy) -> None:
    schema = lishui.checked.schema
    parsed = parse_path(schema, "continuing_education.2020.professional")
    assert parsed is not None and parsed[0] == ("continuing_education", 2020, "professional") and not parsed[2]
    fixed = parse_path(schema, "fraud.history.0.evaluation_year")
    assert fixed is not None and fixed[2]
    assert parse_path(schema, "continuing_education.twenty") is None
    assert parse_path(schema, "nonexistent") is None


def test_a_policy_without_fixed_facts_may_change_anything() -> None:
    from .conftest import compile_policy

    source = """
    facts { id: string key, score: integer in 0..100, banned: bool = false }
    param minimum = 60
    rule score { cite "1" title zh "分数" en "Score" require score >= minimum }
    rule ban { cite "2" title zh "禁止" en "Ban" require not banned }
    """
    policy = compile_policy(source)
    explanation = policy.explain({"id": "a", "score": 41, "banned": True})
    assert explanation.step("score").advice.en == "change: score: 41 -> 60"  # type: ignore[union-attr]
    assert explanation.step("ban").advice.en == "change: banned: true -> false"  # type: ignore[union-attr]
    fixed = compile_policy(source.replace("banned: bool = false", "banned: bool = false fixed"))
    step = fixed.explain({"id": "a", "score": 41, "banned": True}).step("ban")
    assert step.kind == "blocked" and step.obstacles[0].kind == "fixed"
    assert step.obstacles[0].facts == (("banned", True),)


# ---- the property: a suggested change makes its rule pass ----------------------------------------------

BASE = CASES["eligible intermediate applicant"].document
hours = st.one_of(st.integers(0, 150), st.floats(0, 150, allow_nan=False).map(lambda h: round(h, 1)))


@st.composite
def failing_documents(draw: st.DrawFn) -> tuple[dict[str, Any], datetime.date]:
    document = json.loads(json.dumps(BASE))
    for year in ("2020", "2021"):
        document["continuing_education"][year] = {
            key: draw(hours) for key in ("professional", "general_public", "industry_public")
        }
    document["declared_level"] = draw(st.sampled_from(["junior", "assistant", "intermediate"]))
    document["route"] = draw(st.sampled_from(["standard", "direct", "exceptional"]))
    document["approval_form"] = draw(st.booleans())
    document["qualification"] = {
        "meets_194_conditions": True,
        "meets_direct_conditions": True,
        "meets_exceptional_conditions": True,
    }
    document["workplace"] = {
        "city": draw(st.sampled_from(["丽水市", "杭州市"])),
        "county": draw(st.sampled_from(["莲都区", "青田县", "市直", "西湖区"])),
    }
    document["work_area"] = draw(st.sampled_from(["creation", "design", "marketing"]))
    document["prior_title"] = draw(
        st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "level": st.sampled_from(["junior", "assistant"]),
                    "obtained": st.sampled_from(["2015-01-01", "2019-06-01"]),
                    "origin": st.sampled_from(["local", "other_province"]),
                    "confirmed": st.booleans(),
                }
            ),
        )
    )
    document["paper"] = {"copies": draw(st.integers(0, 4)), "watermark": draw(st.booleans()), "submitted": "2021-12-28"}
    document["publicity"] = {"start": "2021-12-13", "end": draw(st.sampled_from(["2021-12-14", "2021-12-17"]))}
    document["copies_verified"] = draw(st.booleans())
    document["fee"] = {"paid": draw(st.booleans()), "deadline": "2022-01-20"}
    as_of = draw(st.sampled_from([datetime.date(2021, 12, 1), datetime.date(2021, 12, 15)]))
    return document, as_of


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(failing_documents())
def test_applying_a_suggested_change_makes_its_rule_pass(lishui: titlerules.Policy, drawn: Any) -> None:
    document, as_of = drawn
    explanation = lishui.explain(document, as_of=as_of)
    for finding, step in explanation.by_finding:
        for remedy in step.remedies:
            for change in remedy.changes:
                parsed = parse_path(lishui.checked.schema, change.path)
                assert parsed is not None and not parsed[2], f"{change.path} is fixed history"
        if step.kind == "todo":
            # A to-do whose changes are all concrete was re-evaluated: doing it completes the step.
            for remedy in step.remedies:
                if remedy.verified:
                    changed = apply_changes(document, remedy.changes, lishui.checked.schema)
                    assert lishui.evaluate(changed, as_of=as_of).finding(finding).outcome in SATISFIED
        if step.kind != "change":
            continue
        remedy = step.remedies[0]
        changed = apply_changes(document, remedy.changes, lishui.checked.schema)
        after = lishui.evaluate(changed, as_of=as_of)
        outcome = after.finding(finding).outcome
        assert outcome is remedy.outcome
        assert outcome is not titlerules.Outcome.FAIL
        # Every fact of these documents is known, so "no longer failing" means passing.
        if not after.finding(finding).missing:
            assert outcome in SATISFIED, (finding, [c.text() for c in remedy.changes], str(outcome))


@settings(max_examples=40, deadline=None)
@given(failing_documents())
def test_the_combined_changes_are_what_re_evaluation_gives(lishui: titlerules.Policy, drawn: Any) -> None:
    document, as_of = drawn
    explanation = lishui.explain(document, as_of=as_of)
    if explanation.combined is None:
        assert not any(s.kind == "change" for s in explanation.steps)
        return
    changed = apply_changes(document, explanation.combined.changes, lishui.checked.schema)
    assert lishui.evaluate(changed, as_of=as_of).verdict is explanation.combined.verdict


def test_examples_in_the_repository_explain(lishui: titlerules.Policy) -> None:
    document = json.loads((ROOT / "examples" / "eligible-intermediate.json").read_text("utf-8"))
    explanation = lishui.explain(document, as_of="2022-01-10")
    assert explanation.steps == () and explanation.combined is None
    assert explanation.summary.en == "nothing outstanding"


def test_a_search_past_the_official_calendar_is_no_remedy_not_an_error() -> None:
    from .conftest import compile_policy

    policy = compile_policy(
        """
        facts { id: string key, start: date, end: date }
        rule publicity {
          cite "1" title zh "公示" en "Publicity"
          require workdays(start, end) >= 400
        }
        """
    )
    # Moving the end forward leaves the official calendar (it ends with 2026): those tries
    # are unknown, not errors. Moving the start back stays inside it and is the remedy.
    step = policy.explain({"id": "a", "start": "2026-12-01", "end": "2026-12-03"}).step("publicity")
    assert step.kind == "change"
    assert [c.path for c in step.remedies[0].changes] == ["start"]
    assert step.remedies[0].outcome is titlerules.Outcome.PASS


def test_derived_facts_are_worked_through() -> None:
    from .conftest import compile_policy

    policy = compile_policy(
        """
        facts { id: string key, a: integer in 0..100, b: integer in 0..100 }
        let both = a + b
        rule sum {
          cite "1" title zh "合计" en "Sum"
          require { total: both }.total >= 50 and both >= 40
        }
        """
    )
    step = policy.explain({"id": "x", "a": 10, "b": 5}).step("sum")
    assert step.kind == "change"
    assert step.remedies[0].outcome is titlerules.Outcome.PASS


FACT_PATHS = [
    "declared_level", "route", "approval_form", "workplace.city", "workplace.county", "work_area",
    "qualification.meets_194_conditions", "annual_assessments.2019", "annual_assessments.2020",
    "continuing_education.2020", "continuing_education.2021.industry_public", "education.year", "education.level",
    "social_security.in_province", "prior_title", "prior_title.level", "prior_title.obtained", "prior_title.origin",
    "publicity", "publicity.end", "paper.copies", "paper.submitted", "steps.online_submitted", "steps.unit_reviewed",
    "fee.deadline", "fraud",
]  # fmt: skip


def _remove(document: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    node: Any = document
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        node.pop(last, None)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    failing_documents(),
    st.sets(st.sampled_from(FACT_PATHS), max_size=6),
    st.none() | st.just(datetime.date(2022, 1, 8)),
)
def test_every_blocking_finding_gets_a_next_step(
    lishui: titlerules.Policy, drawn: Any, removed: set[str], late: datetime.date | None
) -> None:
    document, as_of = drawn
    for path in sorted(removed):
        _remove(document, path)
    explanation = lishui.explain(document, as_of=late or as_of)
    blocking = []
    stack = list(explanation.decision.findings)
    while stack:
        finding = stack.pop()
        stack.extend(finding.children)
        if finding.outcome in (titlerules.Outcome.FAIL, titlerules.Outcome.ACTION, titlerules.Outcome.UNKNOWN):
            blocking.append(finding.rule)
    assert sorted(rule for rule, _ in explanation.by_finding) == sorted(blocking)
    kinds = {"fail": {"change", "blocked"}, "action": {"todo"}, "unknown": {"missing"}}
    for rule, step in explanation.by_finding:
        assert step.kind in kinds[str(step.outcome)], rule
        if step.kind == "missing":
            assert [m.path for m in step.missing] == list(explanation.decision.finding(rule).missing)
    assert explanation.to_dict()["next_steps"]["order"] == [s.finding for s in explanation.steps]


def test_the_interpreter_agrees_with_the_evaluator_on_outputs_and_shown_values(lishui: titlerules.Policy) -> None:
    """Explanations read the IR through their own interpreter (so they do not depend on how
    the compiler makes code): on every case document it computes what evaluation reports."""
    from titlerules._counterfactual import Analyzer, sites
    from titlerules._interpret import Interpreter
    from titlerules.runtime import to_json

    compared = 0
    for case in CASES.values():
        if case.error is not None:
            continue
        decision = lishui.evaluate(case.document, as_of=case.as_of)
        analyzer = Analyzer(lishui, case.document, decision)
        interpreter = Interpreter(analyzer.normalised, decision.as_of, analyzer.derived)
        for output in lishui.checked.outputs:
            assert to_json(interpreter.value(output.value, lambda name: None)) == to_json(decision.outputs[output.name])
            compared += 1
        for site in sites(analyzer):
            if site.block is None:
                continue
            for let in site.block.lets:
                if let.shown and let.name in site.finding.facts:  # not shown when an exception decides
                    value = analyzer.eval(let.value, site.env, analyzer.normalised)
                    assert to_json(value) == site.finding.facts[let.name], (case.name, site.finding.rule, let.name)
                    compared += 1
    assert compared > 300
