"""Hostile applicant documents: each is an InputError with the key path and what was
expected (or an EvaluationLimitError naming the limit), never another exception."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator
from typing import Any

import pytest

import titlerules
from titlerules import limits
from titlerules import valuetypes as t
from titlerules.decision import canonical_json, document_sha256
from titlerules.errors import EvaluationLimitError, InputError

HOSTILE: list[Any] = [
    None,
    True,
    -1,
    -0.5,
    2.5,
    1e308,
    -1e308,
    float("nan"),
    float("inf"),
    10**400,
    "",
    "90",
    "2021-02-30",
    "2021-2-3",
    "２０２１-０１-０１",
    "senior",
    "x" * 10_000,
    [],
    [1, "a", None],
    {},
    {"2020": 1},
    {"__class__": "x"},
]


def _paths(type_: t.Type, path: str) -> Iterator[tuple[str, t.Type]]:
    """Every key path of a schema with its type; lists at index 0, maps at year 2020."""
    kind = t.strip_nullable(type_)
    if path:
        yield path, type_
    if isinstance(kind, t.RecordType):
        for field in kind.fields:
            yield from _paths(field.type, f"{path}.{field.name}" if path else field.name)
    elif isinstance(kind, t.ListType) and kind.item is not None:
        yield from _paths(kind.item, f"{path}.0")
    elif isinstance(kind, t.MapType):
        yield from _paths(kind.value, f"{path}.2020")


def _place(path: str, value: Any) -> dict[str, Any]:
    """A document with the applicant key and ``value`` at ``path`` (``0`` is a list index)."""

    def build(keys: list[str]) -> Any:
        if not keys:
            return value
        inner = build(keys[1:])
        return [inner] if keys[0] == "0" else {keys[0]: inner}

    document: dict[str, Any] = {"id": "A-1"}
    document.update(build(path.split(".")))
    return document


def _cases() -> Iterator[tuple[str, Any]]:
    policy = titlerules.load_policy("lishui-2021-crafts")
    for path, _ in _paths(policy.checked.schema, ""):
        for value in HOSTILE:
            yield path, value


@pytest.mark.parametrize("path", sorted({p for p, _ in _cases()}))
def test_a_wrong_value_at_every_key_is_an_input_error_at_that_key(lishui: titlerules.Policy, path: str) -> None:
    """Every hostile value at every key path gives a decision or an InputError whose
    problems name that path (or one inside it) and say what was expected."""
    refused = 0
    for value in HOSTILE:
        document = _place(path, value)
        try:
            decision = lishui.evaluate(document, "2021-09-01")
        except InputError as error:
            refused += 1
            assert error.problems
            assert any(p.path == path or p.path.startswith(path + ".") for p in error.problems), (value, error)
            assert all(
                p.message.startswith(("expected", "required")) or "calendar date" in p.message for p in error.problems
            ), error
        else:
            assert decision.verdict in set(titlerules.Verdict)
    assert refused >= len(HOSTILE) // 2  # most of these fit no key


@pytest.mark.parametrize(
    ("document", "path", "code", "text"),
    [
        ({"id": 5}, "id", "type", "expected a string, got 5"),
        ({"id": "a", "declared_level": "senior"}, "declared_level", "enum", "expected one of"),
        (
            {"id": "a", "continuing_education": {"2020": {"professional": "90"}}},
            "continuing_education.2020.professional",
            "type",
            'got "90"',
        ),
        (
            {"id": "a", "continuing_education": {"2020": {"professional": -1}}},
            "continuing_education.2020.professional",
            "range",
            "expected a number >= 0",
        ),
        (
            {"id": "a", "continuing_education": {"2020": {"professional": math.nan}}},
            "continuing_education.2020.professional",
            "not-finite",
            "got NaN",
        ),
        (
            {"id": "a", "continuing_education": {"2020": {"professional": math.inf}}},
            "continuing_education.2020.professional",
            "not-finite",
            "got Infinity",
        ),
        (
            {"id": "a", "continuing_education": {"2020": {"professional": 1e308}}},
            "continuing_education.2020.professional",
            "range",
            "got 1e+308",
        ),
        ({"id": "a", "continuing_education": {"20": {}}}, "continuing_education.20", "year-key", "four-digit year"),
        (
            {"id": "a", "continuing_education": {2020: {}}},
            "continuing_education.2020",
            "type",
            'expected a string key (JSON keys are strings), got 2020: write "2020"',
        ),
        (
            {"id": "a", "achievements": [{"date": "2021-02-30"}]},
            "achievements.0.date",
            "bad-date",
            "2021-02-30 is not a calendar date",
        ),
        (
            {"id": "a", "achievements": [{"date": "2021/02/03"}]},
            "achievements.0.date",
            "type",
            "expected a date as YYYY-MM-DD",
        ),
        (
            {"id": "a", "fee": {"paid": datetime.date(2021, 1, 1)}},
            "fee.paid",
            "type",
            "expected a JSON value, got a Python date",
        ),
        ({"id": "a", "extra": {1, 2}}, "extra", "type", "expected a JSON value, got a Python set"),
    ],
)
def test_bad_values_name_the_key_and_what_was_expected(
    lishui: titlerules.Policy, document: dict[str, Any], path: str, code: str, text: str
) -> None:
    with pytest.raises(InputError) as caught:
        lishui.evaluate(document)
    problem = next(p for p in caught.value.problems if p.path == path)
    assert problem.code == code
    assert text in problem.message


@pytest.mark.parametrize("document", [[], "x", 5, None, 1.5, True])
def test_a_document_that_is_not_an_object(lishui: titlerules.Policy, document: Any) -> None:
    with pytest.raises(InputError) as caught:
        lishui.evaluate(document)
    assert (caught.value.code, caught.value.path) == ("not-object", "")


def test_extra_keys_are_warnings_in_the_decision_and_never_read(lishui: titlerules.Policy) -> None:
    plain = lishui.evaluate({"id": "a"}, "2021-09-01")
    extra = lishui.evaluate({"id": "a", "bonus_hours": 500, "fee": {"waived_by_mayor": True}}, "2021-09-01")
    assert extra.warnings == ("bonus_hours: unknown key, ignored", "fee.waived_by_mayor: unknown key, ignored")
    assert [f.to_dict() for f in extra.findings] == [f.to_dict() for f in plain.findings]


def test_deep_nesting_is_refused_with_the_path_and_the_limit(lishui: titlerules.Policy) -> None:
    document: dict[str, Any] = {"id": "a"}
    node = document
    for _ in range(100_000):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(InputError) as caught:
        lishui.evaluate(document)
    assert caught.value.code == "too-deep"
    assert caught.value.path == ".".join(["x"] * limits.MAX_DOCUMENT_DEPTH)
    assert f"MAX_DOCUMENT_DEPTH = {limits.MAX_DOCUMENT_DEPTH}" in str(caught.value)


def test_deep_lists_are_refused_too(lishui: titlerules.Policy) -> None:
    value: Any = []
    for _ in range(10_000):
        value = [value]
    with pytest.raises(InputError) as caught:
        lishui.evaluate({"id": "a", "achievements": value})
    assert caught.value.code == "too-deep"


def test_a_huge_array_is_an_evaluation_limit_error(lishui: titlerules.Policy) -> None:
    with pytest.raises(EvaluationLimitError) as caught:
        lishui.evaluate({"id": "a", "achievements": [{}] * (limits.MAX_DOCUMENT_VALUES + 1)})
    assert caught.value.limit == "MAX_DOCUMENT_VALUES"
    assert caught.value.code == "too-large"


def test_an_array_within_the_limit_is_decided(lishui: titlerules.Policy) -> None:
    decision = lishui.evaluate({"id": "a", "achievements": [{"kind": "nope"}] * 10 + [{}] * 1_000})
    assert decision.verdict in set(titlerules.Verdict)


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": {"d": [1, 2.5], "c": "学时"}}) == '{"a":{"c":"学时","d":[1,2.5]},"b":1}'
    assert document_sha256({"b": 1, "a": 2}) == document_sha256({"a": 2, "b": 1})
    assert document_sha256({"a": 1}) != document_sha256({"a": 1.5})
