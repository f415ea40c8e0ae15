"""titlerules.testing: the strategies reach a policy's boundaries, invalid documents are
refused where they say, overrides hold, and misuse raises the library's errors."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

import titlerules
from titlerules import testing

from .conftest import compile_policy

SEARCH = settings(
    max_examples=3000,
    database=None,
    deadline=None,
    phases=[Phase.generate],  # found is enough; no need to shrink
    suppress_health_check=list(HealthCheck),
)


def _find(strategy: st.SearchStrategy[Any], condition: Any) -> Any:
    """The first example of ``strategy`` that meets ``condition``, from a fixed seed.

    The seed is the search's own, so what the tests before this one drew cannot change it.
    """
    return find(strategy, condition, settings=SEARCH, random=random.Random(0))


# A user's policy: one threshold a parameter, one a literal in a rule, an enum, a nullable
# record, a record with a `where` condition, a year map and a deadline.
USER = compile_policy(
    """enum Band { low, high }
facts {
  id: string key
  band: Band
  hours: integer in 0..200
  score: number
  city: string
  mentor: nullable { since: date }
  window: { start: date, end: date } where start <= end
  yearly: map year -> { n: integer in 0..100 }
  submitted: date
}
param minimum = 40
param deadline = 2021-06-30
rule r {
  cite "1"
  title zh "学时" en "hours"
  require hours >= minimum and score > 7.5 and city == "杭州"
  require yearly[2020].n >= 12 when band == high
  require submitted by deadline
}
"""
)


def _get(document: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(document, dict) or part not in document:
            return testing.ABSENT
        document = document[part]
    return document


def _leaves(value: Any, path: str, out: set[tuple[str, Any]]) -> None:
    """(path, value) of every key and leaf; year keys and list indexes read as ``*``."""
    if isinstance(value, dict):
        for key, item in value.items():
            part = "*" if key.isdigit() else key
            child = f"{path}.{part}" if path else part
            out.add((child, "present"))
            _leaves(item, child, out)
    elif isinstance(value, list):
        for item in value:
            _leaves(item, f"{path}.*", out)
    else:
        out.add((path, value))


def _reached(strategy: st.SearchStrategy[Any], examples: int) -> set[tuple[str, Any]]:
    """Every (path, value) that ``examples`` documents drawn from ``strategy`` hold."""
    out: set[tuple[str, Any]] = set()

    @settings(max_examples=examples, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(document: dict[str, Any]) -> None:
        _leaves(document, "", out)

    draw()
    return out


@pytest.fixture(scope="module")
def user_reached() -> set[tuple[str, Any]]:
    return _reached(testing.documents(USER), 600)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("hours", 39),
        ("hours", 40),
        ("hours", 41),
        ("hours", 0),
        ("hours", 200),
        ("score", 6.5),
        ("score", 7.5),
        ("score", 8.5),
        ("city", "杭州"),
        ("band", "low"),
        ("band", "high"),
        ("mentor", None),
        ("yearly.*.n", 11),
        ("yearly.*.n", 12),
        ("yearly.*.n", 13),
        ("submitted", "2021-06-29"),
        ("submitted", "2021-06-30"),
        ("submitted", "2021-07-01"),
    ],
)
def test_user_policy_documents_reach_its_boundaries(user_reached: set[tuple[str, Any]], path: str, value: Any) -> None:
    assert (path, value) in user_reached


def test_user_policy_documents_reach_year_keys_around_the_policy_year() -> None:
    documents = _find(testing.documents(USER), lambda d: {"2020", "2021"} <= set(d.get("yearly", {})))
    assert {"2020", "2021"} <= set(documents["yearly"])


@pytest.mark.parametrize("path", ["hours", "mentor", "window", "yearly", "band", "window.start"])
def test_user_policy_documents_leave_keys_absent(path: str) -> None:
    _find(testing.documents(USER), lambda d: _get(d, path) is testing.ABSENT)


# Nested boundaries are rare in whole documents (the record, the year, the field must all
# be present); an override leaving a sibling absent makes the enclosing records present.
@pytest.mark.parametrize(
    ("path", "value", "sibling"),
    [
        ("continuing_education.2021.professional", 59, "continuing_education.2021.general_public"),
        ("continuing_education.2021.professional", 60, "continuing_education.2021.general_public"),
        ("continuing_education.2020.general_public", 11, "continuing_education.2020.professional"),
        ("continuing_education.2021.industry_public", 18, "continuing_education.2021.professional"),
        ("steps.online_submitted", "2021-12-13", "steps.unit_reviewed"),
        ("steps.county_reported", "2021-12-31", "steps.unit_reviewed"),
        ("fee.deadline", "2021-12-11", "fee.paid"),
        ("declared_level", "intermediate", None),
        ("declared_level", "junior", None),
        ("route", "exceptional", None),
        ("workplace.city", "丽水市", "workplace.county"),
        ("education.year", 2000, "education.level"),
        ("education.year", 2001, "education.level"),
        ("prior_title", None, None),
    ],
)
def test_bundled_policy_documents_reach_its_boundaries(
    lishui: titlerules.Policy, path: str, value: Any, sibling: str | None
) -> None:
    strategy = testing.documents(lishui, **({sibling: testing.ABSENT} if sibling else {}))
    assert _get(_find(strategy, lambda d: _get(d, path) == value), path) == value


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(testing.documents(USER))
def test_user_policy_documents_are_valid(document: dict[str, Any]) -> None:
    USER.validator.validate(document)
    window = document.get("window", {})
    if "start" in window and "end" in window:
        assert window["start"] <= window["end"]


@pytest.mark.parametrize("name", ["lishui", "user"])
def test_invalid_documents_are_refused_at_the_broken_path(name: str, lishui: titlerules.Policy) -> None:
    policy = lishui if name == "lishui" else USER
    seen: set[str] = set()

    @settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
    @given(testing.invalid_documents(policy, with_path=True))
    def check(example: tuple[Any, str]) -> None:
        document, path = example
        with pytest.raises(titlerules.InputError) as raised:
            policy.evaluate(document)
        assert raised.value.path == path, str(raised.value)
        assert len(raised.value.problems) == 1, str(raised.value)
        seen.add(raised.value.code)

    check()
    assert {"type", "not-object"} <= seen or {"type", "enum"} <= seen, seen


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(testing.invalid_documents(USER))
def test_invalid_documents_without_paths_are_documents_evaluate_refuses(document: Any) -> None:
    with pytest.raises(titlerules.InputError):
        USER.evaluate(document)


@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(
    testing.documents(
        USER,
        band="high",
        hours=st.integers(0, 5),
        mentor=testing.ABSENT,
        **{"yearly.2020.n": 12, "window.start": "2021-01-01", "id": "X-9"},
    )
)
def test_overrides_fix_values_strategies_and_absence(document: dict[str, Any]) -> None:
    assert document["id"] == "X-9"
    assert document["band"] == "high"
    assert 0 <= document["hours"] <= 5
    assert "mentor" not in document
    assert document["yearly"]["2020"]["n"] == 12
    assert document["window"]["start"] == "2021-01-01"
    USER.validator.validate(document)


def test_an_absent_override_below_a_nullable_record_keeps_it_an_object() -> None:
    document = _find(testing.documents(USER, **{"mentor.since": testing.ABSENT}), lambda d: True)
    assert document["mentor"] == {}


@pytest.mark.parametrize("name", ["hours.n", "nope", "yearly.20x0", "mentor.until", "window.start.day"])
def test_an_unknown_override_is_an_input_error(name: str) -> None:
    with pytest.raises(titlerules.InputError) as raised:
        testing.documents(USER, **{name: 1})
    assert raised.value.code == "unknown-override"
    assert raised.value.path == name
    assert f"cannot override {name!r}" in str(raised.value)


@pytest.mark.parametrize("thing", ["lishui-2021-crafts", None, 3, {"id": "x"}])
def test_something_that_is_not_a_policy_is_a_library_error(thing: Any) -> None:
    for make in (testing.documents, testing.invalid_documents, testing.as_of_dates):
        with pytest.raises(titlerules.TitlerulesError) as raised:
            make(thing)
        assert raised.value.code == "not-policy"


def test_as_of_dates_reach_each_deadline_and_its_neighbours(lishui: titlerules.Policy) -> None:
    for deadline in (datetime.date(2021, 12, 12), datetime.date(2022, 1, 7)):
        for k in (-1, 0, 1):
            day = deadline + datetime.timedelta(days=k)
            assert _find(testing.as_of_dates(lishui), lambda d, day=day: d == day) == day
