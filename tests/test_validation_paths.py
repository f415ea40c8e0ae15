"""The validator's two checks agree: the check compiled from the schema, which accepts
plain valid documents quickly, and the full check, which words every problem. Whatever
the compiled check accepts, the full check accepts the same way; whatever it refers, the
full check decides. So every document gets the same normalised value and warnings, or the
same error with the same problems, whichever check ran."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import titlerules
from titlerules.cases import load_case_file
from titlerules.errors import TitlerulesError
from titlerules.validation import Validator

from .conftest import POLICY_DIR, ROOT, compile_policy

sys.path.insert(0, str(ROOT))

from bench.documents import value_paths, with_value

CASES = load_case_file(POLICY_DIR / "lishui-2021-crafts.cases.yaml").cases

# Replacements for one value of a document: wrong types, values at and past the bounds,
# impossible and malformed dates, nulls, containers of every shape, values JSON cannot hold.
REPLACEMENTS: list[Any] = [
    "x", "", "2021-02-30", "2021-02-28", "20211231", "2021-1-01", "junior", "bogus",
    -1, 0, 1, 10000, 10001, 10**30, 0.5, -0.0, math.nan, math.inf, -math.inf, True, False, None,
    [], {}, {"2020": 1}, {"2020": {}}, {"x": 1}, [1, "a"], ("a",), {1: "a"}, {"k": {1, 2}}, object(),
]  # fmt: skip


def _result(validate: Any, document: Any) -> Any:
    try:
        return validate(document)
    except TitlerulesError as error:
        problems = [(p.path, p.code, p.message) for p in getattr(error, "problems", [])]
        return type(error).__name__, str(error), problems


def _documents() -> Iterator[Any]:
    for case in CASES[:6]:
        yield case.document
        for path in value_paths(case.document):
            for new in REPLACEMENTS:
                yield with_value(case.document, path, new)
        yield {**case.document, "unexpected": {"deep": [1]}}
        yield {**case.document, 7: 1}
        yield {key: value for key, value in case.document.items() if key != "id"}


def test_both_checks_agree_on_every_document_with_one_value_changed(lishui: titlerules.Policy) -> None:
    validator = lishui.validator
    compared = 0
    for document in _documents():
        assert _result(validator.validate, document) == _result(validator._validate_fully, document)
        compared += 1
    assert compared > 3000


NESTED = """
enum Level { low, high }
facts {
  id: string key
  tags: list of string
  scores: map year -> nullable number
  period: nullable { start: date, end: date, level: Level = low } where start <= end
  items: list of { name: string, n: integer = 1 }
}
rule r {
  cite "1"
  title zh "甲" en "a"
  require count(tags) >= 0
}
"""


@pytest.mark.parametrize(
    "document",
    [
        {"id": "1", "tags": ["a"], "scores": {"2020": None, "2021": 1.5}, "items": [{"name": "x"}]},
        {"id": "1", "tags": [], "scores": {}, "period": None, "items": []},
        {"id": "1", "tags": [], "scores": {}, "period": {"start": "2021-01-02", "end": "2021-01-01"}, "items": []},
        {"id": "1", "tags": [], "scores": {}, "period": {"start": "2021-01-01", "end": "2021-01-02"}, "items": []},
        {"id": "1", "tags": [], "scores": {}, "period": {"start": "2021-01-01"}, "items": []},
        {"id": "1", "tags": [1], "scores": {"20": 1}, "items": [{"n": 2}]},
        {"id": "1", "tags": ("a",), "scores": {"2020": math.nan}, "items": [{"name": "x", "n": True}]},
        {"id": "1", "tags": ["a"] * 100_001},
    ],
)
def test_both_checks_agree_on_nested_and_nullable_types(document: dict[str, Any]) -> None:
    validator = compile_policy(NESTED).validator
    assert _result(validator.validate, document) == _result(validator._validate_fully, document)


def test_a_plain_valid_document_needs_only_the_compiled_check(
    lishui: titlerules.Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = lishui.validator.validate(CASES[0].document)

    def refuse(self: Validator, document: Any) -> Any:
        raise AssertionError("the full check ran")

    monkeypatch.setattr(Validator, "_validate_fully", refuse)
    assert lishui.validator.validate(CASES[0].document) == expected
    with pytest.raises(AssertionError):  # an unknown key is a warning: the full check words it
        lishui.validator.validate({**CASES[0].document, "unexpected": 1})
