"""Fuzzing the parser and the evaluator with Hypothesis.

Whatever the text or document, the library raises only its own errors, never hangs, and a
decision it makes replays to itself. The budget here is small for CI; the longer run is

    pytest tests/test_fuzz.py --hypothesis-profile=deep

(docs/safety.md#fuzzing). A crash it finds becomes a regression case in
tests/test_hardening.py or tests/test_documents.py.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import titlerules
from titlerules.strategies import applicants

from .conftest import POLICY_DIR

BUNDLED = (POLICY_DIR / "lishui-2021-crafts.policy").read_text("utf-8")
SMALL = (
    'policy "t" { year 2021 }\n'
    "enum Grade { a, b }\n"
    "facts {\n  id: string key\n  hours: number in 0..100\n  grade: Grade\n  d: date\n"
    "  years: map of { n: integer }\n  items: list of { when: date, ok: bool }\n}\n"
    "param minimum = 60\n"
    "table need: Grade -> number { a: 60 b: 30 }\n"
    'rule r {\n  cite "1"\n  title zh "学时" en "hours"\n'
    "  require hours >= need[grade] and count(items) < 3\n"
    '    fail zh "学时{hours}" en "{hours} hours"\n}\n'
)

# Pieces of the language, pieces of Python, and the characters the language refuses.
TOKENS = [
    *'{}()[],:."#<>=+-*/\n',
    "policy",
    "rule",
    "require",
    "facts",
    "param",
    "table",
    "enum",
    "type",
    "let",
    "show",
    "each",
    "any",
    "no",
    "in",
    "for",
    "where",
    "when",
    "by",
    "until",
    "else",
    "if",
    "then",
    "not",
    "and",
    "or",
    "true",
    "false",
    "none",
    "cite",
    "title",
    "zh",
    "en",
    "fail",
    "pass",
    "action",
    "exception",
    "exempt",
    "not_applicable",
    "key",
    "fixed",
    "ordered",
    "nullable",
    "list of",
    "map of",
    "extends",
    "messages",
    "output",
    "clause",
    "year",
    "derived",
    "is none",
    "hours",
    "grade",
    "need",
    "minimum",
    "as_of",
    "application_year",
    "count",
    "sum",
    "max",
    "workdays",
    "past",
    "add_days",
    "__class__",
    "__import__",
    "eval",
    "lambda",
    "import",
    "\\",
    "0",
    "1",
    "90",
    "2.5",
    "2021-02-30",
    "2021-09-01",
    "99999999999999999999",
    '"s"',
    '"{x}"',
    '"{{"',
    "９０",
    "，",
    "（",
    "\u3000",
    "\u202e",
    "\u200b",
    "о",
    "\x00",
    "\ufeff",
    "\t",
]


def _budget(ci: int) -> int:
    """``ci`` examples, unless a longer profile (``deep``) is loaded."""
    loaded: int = settings.default.max_examples
    return loaded if loaded > 100 else ci


def _load(text: str) -> titlerules.Policy | None:
    """Load ``text``; a PolicyError (or a missing parent) is the expected refusal."""
    try:
        return titlerules.Policy.from_source(text, "fuzz.policy")
    except (titlerules.PolicyError, titlerules.PolicyNotFoundError):
        return None


def _mutate(text: str, edits: list[tuple[int, int, int, str]]) -> str:
    for position, kind, length, token in edits:
        at = position % (len(text) + 1)
        if kind == 0:
            text = text[:at] + text[at + length :]
        elif kind == 1:
            text = text[:at] + token + text[at:]
        else:
            text = text[:at] + token + text[at + length :]
    return text


EDITS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=10**6),
        st.integers(min_value=0, max_value=2),
        st.integers(min_value=1, max_value=12),
        st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)),
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=_budget(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_mutated_small_policy_loads_or_is_a_policy_error(edits: list[tuple[int, int, int, str]]) -> None:
    policy = _load(_mutate(SMALL, edits))
    if policy is not None:
        _evaluate_quietly(policy, {"id": "a", "hours": 50, "grade": "a", "items": []})


@settings(max_examples=_budget(15), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_mutated_bundled_policy_loads_or_is_a_policy_error(edits: list[tuple[int, int, int, str]]) -> None:
    policy = _load(_mutate(BUNDLED, edits))
    if policy is not None:
        _evaluate_quietly(policy, {"id": "a"})


@settings(max_examples=_budget(60), deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.booleans())
def test_random_tokens_load_or_are_a_policy_error(tokens: list[str], with_header: bool) -> None:
    text = " ".join(tokens)
    _load(('policy "t" { year 2021 }\nfacts { id: string key }\n' if with_header else "") + text)


def _evaluate_quietly(policy: titlerules.Policy, document: Any, as_of: Any = None) -> None:
    """Evaluate; the library's own errors are acceptable answers, anything else fails.
    A decision made must replay to itself, through its JSON text."""
    try:
        decision = policy.evaluate(document, as_of)
    except titlerules.TitlerulesError:
        return
    recorded = json.loads(json.dumps(decision.to_dict(), ensure_ascii=False))
    result = titlerules.replay(recorded, json.loads(json.dumps(document)), policy)
    assert result.reproduced, result.render()


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["2021-02-30", "2021-09-01", "intermediate", "2020", "", "NaN"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def _keys(policy: titlerules.Policy) -> list[str]:
    return [field.name for field in policy.checked.schema.fields]


LISHUI = titlerules.load_policy("lishui-2021-crafts")


@settings(max_examples=_budget(60), deadline=None)
@given(
    st.dictionaries(st.sampled_from(_keys(LISHUI)) | st.text(max_size=6), JSON, max_size=8),
    st.one_of(st.none(), st.sampled_from(["2021-06-01", "2021-09-01", "2022-01-01", "bad"])),
)
def test_random_json_documents_are_decided_or_input_errors(document: dict[str, Any], as_of: Any) -> None:
    _evaluate_quietly(LISHUI, document, as_of)


@settings(max_examples=_budget(60), deadline=None)
@given(JSON)
def test_any_json_value_is_decided_or_an_input_error(document: Any) -> None:
    _evaluate_quietly(LISHUI, document)


@settings(max_examples=_budget(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(applicants([LISHUI.checked]))
def test_schema_shaped_documents_decide_explain_and_replay(example: tuple[dict[str, Any], Any]) -> None:
    document, as_of = example
    with contextlib.suppress(titlerules.TitlerulesError):
        LISHUI.explain(document, as_of)
    _evaluate_quietly(LISHUI, document, as_of)
