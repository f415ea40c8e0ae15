"""The verdict-only API and the compiled evaluator's guarantees: the verdict is always the
explained decision's, policies and decisions cross process boundaries, and evaluation
shares no state between threads."""

from __future__ import annotations

import concurrent.futures
import itertools
import pickle
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import titlerules
from titlerules.cases import load_case_file
from titlerules.errors import EvaluationError, InputError
from titlerules.strategies import Example, applicants

from .conftest import POLICY_DIR, compile_policy

CASES = [c for c in load_case_file(POLICY_DIR / "lishui-2021-crafts.cases.yaml").cases if c.error is None]


def _outcome(policy: titlerules.Policy, call: str, document: Any, as_of: Any) -> str:
    """What one call gives: the verdict, or the kind of error it raises."""
    try:
        if call == "verdict":
            return str(policy.verdict(document, as_of))
        return str(policy.evaluate(document, as_of).verdict)
    except InputError:
        return "input error"
    except EvaluationError as error:
        return f"evaluation error {error.code} in {error.where}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verdict_is_the_decisions_verdict_on_every_case(lishui: titlerules.Policy, case: Any) -> None:
    verdict = lishui.verdict(case.document, as_of=case.as_of)
    assert verdict == lishui.evaluate(case.document, as_of=case.as_of).verdict
    if case.verdict is not None:
        assert str(verdict) == case.verdict


_SEEDS: list[Example] = [(c.document, c.as_of) for c in CASES]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(example=applicants([titlerules.load_policy("lishui-2021-crafts").checked], _SEEDS))
def test_verdict_agrees_with_evaluate_on_drawn_documents(example: Example) -> None:
    policy = titlerules.load_policy("lishui-2021-crafts")
    document, as_of = example
    decided = _outcome(policy, "evaluate", document, as_of)
    verdict = _outcome(policy, "verdict", document, as_of)
    if decided.startswith("evaluation error"):
        # The verdict stops at the first failing rule, so a rule after it that cannot be
        # decided does not raise; otherwise it raises the same error.
        assert verdict in (decided, "ineligible")
    else:
        assert verdict == decided


UNKNOWN_EXCEPTIONS = """
facts { id: string key, a: bool, b: bool, n: integer, xs: list of integer = [] }
let doubled = n * 2
rule r {
  cite "一"
  title zh "甲" en "a"
  exception not_applicable when a
  exception fail when b
  require doubled >= 10
}
rule each_x {
  cite "一"
  title zh "乙" en "b"
  each x in xs {
    exception exempt when x == 12
    require x > doubled else action
  }
}
"""


@pytest.mark.parametrize(
    "document",
    [
        {"id": "1"},
        {"id": "2", "a": True},
        {"id": "3", "a": True, "b": False},
        {"id": "4", "a": True, "b": True},
        {"id": "5", "a": False, "b": False, "n": 5},
        {"id": "6", "a": False, "b": False, "n": 4},
        {"id": "7", "a": False, "n": 5},
        {"id": "8", "a": False, "b": False, "n": 5, "xs": [11, 10, 12]},
        {"id": "9", "a": False, "b": False, "xs": [11]},
    ],
)
def test_verdict_follows_exceptions_and_children_with_unknowns(document: dict[str, Any]) -> None:
    policy = compile_policy(UNKNOWN_EXCEPTIONS)
    assert policy.verdict(document) == policy.evaluate(document).verdict


def test_verdict_validates_the_document(lishui: titlerules.Policy) -> None:
    with pytest.raises(InputError) as caught:
        lishui.verdict({"id": "X", "declared_level": "professor"})
    assert caught.value.problems[0].path == "declared_level"
    with pytest.raises(InputError):
        lishui.verdict({"id": "X"}, as_of="tomorrow")


def test_verdict_names_the_rule_of_an_evaluation_error() -> None:
    policy = compile_policy(
        'facts { id: string key, n: integer }\nrule r {\n  cite "一"\n  title zh "甲" en "a"\n  require 10 / n > 1\n}'
    )
    with pytest.raises(EvaluationError) as caught:
        policy.verdict({"id": "1", "n": 0})
    assert caught.value.where == "r"


def _decide(policy: titlerules.Policy, document: dict[str, Any]) -> tuple[titlerules.Decision, str]:
    return policy.evaluate(document, as_of="2022-01-10"), str(policy.verdict(document, as_of="2022-01-10"))


def test_decisions_made_in_a_process_pool_equal_those_made_here(lishui: titlerules.Policy) -> None:
    documents = [c.document for c in CASES[:12]]
    here = [_decide(lishui, d) for d in documents]
    with concurrent.futures.ProcessPoolExecutor(max_workers=2) as pool:
        there = list(pool.map(_decide, [lishui] * len(documents), documents))
    assert there == here
    for decision, _ in there:
        assert pickle.loads(pickle.dumps(decision)).to_dict() == decision.to_dict()


def test_verdicts_in_threads_equal_verdicts_in_sequence(lishui: titlerules.Policy) -> None:
    examples = [(c.document, c.as_of) for c in CASES] * 4
    expected = [lishui.verdict(d, a) for d, a in examples]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda e: lishui.verdict(*e), examples))
    assert got == expected


def test_the_compilers_severity_order_is_combine_all() -> None:
    from titlerules.compiler import _BY_SEVERITY, _SEVERITY
    from titlerules.decision import Outcome, combine_all

    for n in range(4):
        for outcomes in itertools.product(list(Outcome), repeat=n):
            severity = max((_SEVERITY[o] for o in outcomes), default=0)
            assert _BY_SEVERITY[severity] is combine_all(list(outcomes)), outcomes


FOLDED = """
facts { id: string key, n: integer }
param limit = 2 * 3 + 1
rule r {
  cite "一"
  title zh "甲" en "a"
  require n >= limit - 1 and n in [limit, limit + 1, max(limit, 9)]
    fail zh "{n} 不在 {[limit, limit + 1]}" en "{n} not in {[limit, limit + 1]}"
}
"""


@pytest.mark.parametrize(("n", "verdict"), [(7, "eligible"), (8, "eligible"), (9, "eligible"), (6, "ineligible")])
def test_constant_expressions_fold_to_the_same_values(n: int, verdict: str) -> None:
    policy = compile_policy(FOLDED)
    decision = policy.evaluate({"id": "1", "n": n})
    assert str(decision.verdict) == verdict == str(policy.verdict({"id": "1", "n": n}))
    if verdict == "ineligible":
        assert decision.findings[0].message.en == "6 not in 7, 8"


def test_a_constant_division_by_zero_is_still_an_evaluation_error() -> None:
    policy = compile_policy(
        'facts { id: string key, n: integer }\nrule r {\n  cite "一"\n  title zh "甲" en "a"\n  require n > 1 / 0\n}'
    )
    for call in (policy.evaluate, policy.verdict):
        with pytest.raises(EvaluationError) as caught:
            call({"id": "1", "n": 3})
        assert caught.value.code == "division-by-zero"
