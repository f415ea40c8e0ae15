"""Properties of the bundled policy (lishui-2021-crafts): what the notice says must hold
for every applicant, checked on documents drawn by titlerules.testing. Budgets come from
the Hypothesis profile (tests/conftest.py)."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import titlerules
from titlerules import testing
from titlerules.decision import Decision, Finding, Outcome, Verdict

SLOW = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
LISHUI = titlerules.load_policy("lishui-2021-crafts")
AS_OF = st.one_of(st.none(), testing.as_of_dates(LISHUI))
HOURS = st.fixed_dictionaries(
    {},
    optional={k: st.integers(0, 200) for k in ("professional", "general_public", "industry_public")},
)
# How far an outcome is from meeting a requirement, in the truth order of its condition:
# false (fail, or action while there is time) below unknown below true. More hours, or an
# earlier step, may only move a condition up: 0 general public hours is known to fall
# short (action); 12, with the other figures absent, is unknown, and that is no worse.
BADNESS = {
    Outcome.PASS: 0,
    Outcome.EXEMPT: 0,
    Outcome.NOT_APPLICABLE: 0,
    Outcome.UNKNOWN: 1,
    Outcome.ACTION: 2,
    Outcome.FAIL: 3,
}


def _all(findings: tuple[Finding, ...]) -> list[Finding]:
    out: list[Finding] = []
    for finding in findings:
        out.append(finding)
        out.extend(_all(finding.children))
    return out


def _decided(decision: Decision) -> tuple[Any, ...]:
    """What a decision decides: the verdict, every finding's outcome, deadline and
    message, the outputs (not the facts it echoes, nor the provenance)."""
    return (
        decision.verdict,
        [(f.rule, f.outcome, f.deadline, f.message) for f in _all(decision.findings)],
        dict(decision.outputs),
    )


def _set(document: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target = changed
    for part in path[:-1]:
        target = target.setdefault(part, {})
    if value is testing.ABSENT:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return changed


@SLOW
@given(testing.documents(LISHUI, **{"fraud.current_application": True}), AS_OF)
def test_fraud_in_the_current_application_makes_any_document_ineligible(document: dict[str, Any], as_of: Any) -> None:
    decision = LISHUI.evaluate(document, as_of)
    assert decision.verdict == Verdict.INELIGIBLE
    assert decision.finding("fraud").outcome == Outcome.FAIL


@SLOW
@given(testing.documents(LISHUI), AS_OF, st.integers(2000, 2019), st.one_of(st.just(testing.ABSENT), HOURS))
def test_hours_of_2019_and_before_never_change_a_decision(
    document: dict[str, Any], as_of: Any, year: int, hours: Any
) -> None:
    changed = _set(document, ("continuing_education", str(year)), hours)
    assert _decided(LISHUI.evaluate(changed, as_of)) == _decided(LISHUI.evaluate(document, as_of))


@SLOW
@given(
    testing.documents(LISHUI, declared_level=st.sampled_from(["junior", "assistant"])),
    AS_OF,
    st.one_of(st.just(testing.ABSENT), HOURS),
)
def test_2020_hours_never_change_a_junior_or_assistant_decision(
    document: dict[str, Any], as_of: Any, hours: Any
) -> None:
    changed = _set(document, ("continuing_education", "2020"), hours)
    assert _decided(LISHUI.evaluate(changed, as_of)) == _decided(LISHUI.evaluate(document, as_of))


@SLOW
@given(testing.documents(LISHUI), AS_OF, st.data())
def test_more_hours_never_make_continuing_education_worse(
    document: dict[str, Any], as_of: Any, data: st.DataObject
) -> None:
    figures = [(year, kind) for year, hours in document.get("continuing_education", {}).items() for kind in hours]
    if not figures:
        return
    year, kind = data.draw(st.sampled_from(figures))
    before = document["continuing_education"][year][kind]
    if before >= 10000:  # the schema's maximum
        return
    raised = data.draw(st.integers(before + 1, 10000))
    changed = _set(document, ("continuing_education", year, kind), raised)
    old = LISHUI.evaluate(document, as_of).finding("continuing_education").outcome
    new = LISHUI.evaluate(changed, as_of).finding("continuing_education").outcome
    assert BADNESS[new] <= BADNESS[old], (year, kind, before, raised, old, new)


@SLOW
@given(testing.documents(LISHUI), AS_OF, st.integers(2010, 2022))
def test_a_senior_title_ban_never_changes_a_junior_assistant_or_intermediate_decision(
    document: dict[str, Any], as_of: Any, year: int
) -> None:
    history = [*document.get("fraud", {}).get("history", []), {"evaluation_year": year, "scope": "senior"}]
    changed = _set(document, ("fraud", "history"), history)
    assert _decided(LISHUI.evaluate(changed, as_of)) == _decided(LISHUI.evaluate(document, as_of))


# Steps happen within the notice period: from the start of the application year on.
PERIOD_START = datetime.date(2021, 1, 1)


@SLOW
@given(
    testing.documents(LISHUI),
    AS_OF,
    st.sampled_from(["online_submitted", "unit_reviewed", "county_reported"]),
    st.integers(1, 60),
)
def test_an_earlier_step_never_makes_the_deadlines_worse(
    document: dict[str, Any], as_of: Any, step: str, days: int
) -> None:
    given_date = document.get("steps", {}).get(step)
    if given_date is None or datetime.date.fromisoformat(given_date) <= PERIOD_START:
        return
    earlier = max(PERIOD_START, datetime.date.fromisoformat(given_date) - datetime.timedelta(days=days))
    changed = _set(document, ("steps", step), earlier.isoformat())
    old = LISHUI.evaluate(document, as_of).finding("deadlines")
    new = LISHUI.evaluate(changed, as_of).finding("deadlines")
    assert BADNESS[new.outcome] <= BADNESS[old.outcome], (step, given_date, earlier, old.outcome, new.outcome)


def _contract_verdict(outcomes: list[Outcome]) -> Verdict:
    """docs/contract.md, "Outcomes and the verdict", as written there."""
    if any(o == Outcome.FAIL for o in outcomes):
        return Verdict.INELIGIBLE
    if any(o == Outcome.UNKNOWN for o in outcomes):
        return Verdict.UNDETERMINED
    if any(o == Outcome.ACTION for o in outcomes):
        return Verdict.PENDING
    return Verdict.ELIGIBLE


@SLOW
@given(testing.documents(LISHUI), AS_OF)
def test_the_verdict_is_the_contracts_function_of_the_rule_outcomes(document: dict[str, Any], as_of: Any) -> None:
    decision = LISHUI.evaluate(document, as_of)
    assert decision.verdict == _contract_verdict([f.outcome for f in decision.findings])
    assert LISHUI.verdict(document, as_of) == decision.verdict


@pytest.fixture(scope="module")
def fees_by_level() -> dict[Any, Any]:
    levels: list[Any] = [*LISHUI.checked.schema.field("declared_level").type.allowed, testing.ABSENT]  # type: ignore[union-attr]
    out = {}
    for level in levels:
        document = {"id": "fees"} if level is testing.ABSENT else {"id": "fees", "declared_level": level}
        out[level] = LISHUI.evaluate(document).to_dict()["fees"]
    assert out["intermediate"] != out["junior"]  # so that a fee read from the wrong level shows
    return out


def test_fees_depend_on_the_declared_level_alone(fees_by_level: dict[Any, Any]) -> None:
    @SLOW
    @given(testing.documents(LISHUI), AS_OF)
    def check(document: dict[str, Any], as_of: Any) -> None:
        level = document.get("declared_level", testing.ABSENT)
        assert LISHUI.evaluate(document, as_of).to_dict()["fees"] == fees_by_level[level]

    check()
