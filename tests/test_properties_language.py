"""Properties of the language, for any policy: what holds whatever the text, the document
or the order of things. Budgets come from the Hypothesis profile (tests/conftest.py):
`ci` by default, `pytest --hypothesis-profile=deep` for a long search."""

from __future__ import annotations

import json
import random
import re
from typing import Any

import attrs
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import titlerules
from titlerules import ir, testing
from titlerules import valuetypes as t
from titlerules.decision import Decision, Finding, Outcome, Verdict
from titlerules.formatter import format_source
from titlerules.schema import decision_schema

from .conftest import POLICY_DIR

SLOW = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
BUNDLED_TEXT = (POLICY_DIR / "lishui-2021-crafts.policy").read_text("utf-8")
LISHUI = titlerules.load_policy("lishui-2021-crafts")

# A user's policy exercising most of the language: ordered enums, nullable records, year
# maps, lists, quantifiers, exceptions, deadlines, derived facts and outputs.
HEADER = 'policy "p" { year 2021 }\n'
DECLARATIONS = """enum Grade ordered { poor, fair, good }
facts {
  id: string key
  grade: Grade
  hours: number in 0..500
  city: string
  joined: nullable date
  mentor: nullable { since: date, active: bool = true }
  yearly: map year -> { n: integer in 0..100 }
  items: list of { ok: bool, on: date }
  submitted: date
  paid: bool = false
}
param minimum = 40
param deadline = 2021-06-30
let senior = grade >= Grade.good and hours > 100
output band zh "档" en "band" = if senior then "senior" else "junior"
"""
RULES = [
    'rule hours {\n  cite "1"\n  title zh "学时" en "hours"\n  require hours >= minimum\n}\n',
    'rule grade {\n  cite "2"\n  title zh "等级" en "grade"\n'
    '  exception not_applicable when city == "外地"\n  require grade >= Grade.fair and city in ["杭州", "丽水"]\n}\n',
    'rule yearly {\n  cite "3"\n  title zh "年度" en "yearly"\n'
    '  each y in [2020, 2021] {\n    title zh "{y}" en "{y}"\n    exception exempt when y < 2021 and senior\n'
    "    require yearly[y].n >= 12\n  }\n}\n",
    'rule items {\n  cite "4"\n  title zh "项目" en "items"\n'
    "  require no i in items: not i.ok and i.on >= deadline\n"
    "  require count(items) <= 2 else action until deadline\n}\n",
    'rule steps {\n  cite "5"\n  title zh "时限" en "steps"\n  require submitted by deadline\n'
    "  require paid else action until deadline\n}\n",
    'rule mentor {\n  cite "6"\n  title zh "导师" en "mentor"\n'
    "  require mentor is none or (mentor.active and mentor.since <= submitted)\n"
    "  require joined is none or joined < deadline\n}\n",
]
USER_TEXT = HEADER + DECLARATIONS + "".join(RULES)
USER = titlerules.Policy.from_source(USER_TEXT, "user.policy")
POLICIES = {"user": USER, "lishui": LISHUI}


# ---- any text -----------------------------------------------------------------------------

FRAGMENTS = [
    HEADER,
    'policy "q" { year 2022 title zh "题" en "t" }\n',
    DECLARATIONS,
    *RULES,
    "facts { id: string key }\n",
    "facts { id: string key x: integer in 5..1 }\n",
    "param a = 1 + 2 * 3\n",
    "param b = a / 0\n",
    "param d = 2021-02-30\n",
    "table t by Grade { poor: 1 fair: 2 }\n",
    "type T = { a: number }\n",
    "enum E { x, x }\n",
    'rule r { cite "9" title zh "r" en "r" require unknown_fact > 3 }\n',
    'rule s { cite "9" title zh "s" en "s" require hours >= "x" }\n',
    "require hours >= 1\n",
    "let x = 1\n",
    "}\n",
    "{\n",
    '"unterminated\n',
    "# a comment\n",
    "rule\n",
]
MUTATION_TOKENS = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    ".",
    '"',
    ">=",
    "==",
    "and",
    "or",
    "not",
    "rule",
    "require",
    "when",
    "each",
    "in",
    "\n",
    " ",
    "0",
    "2021-13-01",
    "９",
    "（",
    "\u200b",
    "\u202e",
    "\x00",
    "é",
    "x" * 40,
]


@st.composite
def policy_texts(draw: st.DrawFn) -> str:
    """Text near the language: fragments of policies, or the bundled policy, mutated."""
    if draw(st.integers(0, 3)) == 0:
        text = BUNDLED_TEXT
    else:
        text = "".join(draw(st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8)))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        length = draw(st.integers(0, 8))
        token = draw(st.one_of(st.sampled_from(MUTATION_TOKENS), st.text(max_size=3)))
        text = text[:at] + token + text[at + length :]
    return text


@SLOW
@given(policy_texts())
def test_any_text_checks_or_is_a_policy_error_located_in_the_text(text: str) -> None:
    try:
        titlerules.Policy.from_source(text, "any.policy")
    except titlerules.PolicyError as error:
        lines = text.split("\n")
        assert error.filename == "any.policy"
        assert error.line is not None and 1 <= error.line <= len(lines), (error.line, str(error))
        assert error.column is not None and 1 <= error.column <= len(lines[error.line - 1]) + 1, str(error)


# ---- any JSON -----------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["2021-06-30", "2021-02-30", "good", "2021", "杭州"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
SHAPED = st.dictionaries(st.sampled_from([f.name for f in USER.checked.schema.fields]), JSON, max_size=6).map(
    lambda d: {"id": "A", **d}
)


@SLOW
@given(st.one_of(JSON, SHAPED, testing.invalid_documents(USER)))
def test_any_json_value_evaluates_or_is_an_input_error(document: Any) -> None:
    try:
        USER.evaluate(document)
    except titlerules.InputError as error:
        assert error.problems and all(isinstance(p.path, str) for p in error.problems)


# ---- three-valued monotonicity ------------------------------------------------------------


def _dotted(expr: Any) -> str | None:
    if isinstance(expr, ir.Fact):
        return expr.name
    if isinstance(expr, ir.GetField):
        inner = _dotted(expr.obj)
        return None if inner is None else f"{inner}.{expr.name}"
    return None


def _read_for_absence(policy: titlerules.Policy) -> set[str]:
    """Facts whose absence is itself known: dates read by `require X by D` (absent: "not
    done yet", docs/language.md#requirements) and facts tested with `is present` or
    `is absent` (never unknown). Monotonicity does not speak of them."""
    found: set[str] = set()
    stack: list[Any] = [policy.checked.rules]
    while stack:
        node = stack.pop()
        if isinstance(node, (tuple, list)):
            stack.extend(node)
        elif attrs.has(type(node)):
            if isinstance(node, ir.Requirement) and node.kind == "step":
                path = _dotted(node.condition)
                assert path is not None
                found.add(path)
            if isinstance(node, ir.TestValue) and node.test in ("present", "absent"):
                path = _dotted(node.operand)
                if path is not None:
                    found.add(path)
            stack.extend(getattr(node, f.name) for f in attrs.fields(type(node)) if f.name not in ("type", "span"))
    return found


def _unknowable(document: dict[str, Any], record: t.RecordType, path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Key paths whose removal makes a fact unknown (not defaulted, not the applicant key)."""
    out: list[tuple[Any, ...]] = []
    for field in record.fields:
        if field.name not in document or field.is_key or field.has_default:
            continue
        if not _defaults_inside(field.type):  # removing it would default what is inside
            out.append((*path, field.name))
        out.extend(_unknowable_in(document[field.name], field.type, (*path, field.name)))
    return out


def _defaults_inside(type_: t.Type) -> bool:
    kind = t.strip_nullable(type_)
    if isinstance(kind, t.RecordType):
        return any(f.has_default or _defaults_inside(f.type) for f in kind.fields)
    if isinstance(kind, t.MapType):
        return _defaults_inside(kind.value)
    if isinstance(kind, t.ListType) and kind.item is not None:
        return _defaults_inside(kind.item)
    return False


def _unknowable_in(value: Any, type_: t.Type, path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    kind = t.strip_nullable(type_)
    if isinstance(kind, t.RecordType) and isinstance(value, dict):
        return _unknowable(value, kind, path)
    if isinstance(kind, t.MapType) and isinstance(value, dict):
        out: list[tuple[Any, ...]] = []
        for key, item in value.items():
            if not _defaults_inside(kind.value):
                out.append((*path, key))
            out.extend(_unknowable_in(item, kind.value, (*path, key)))
        return out
    if isinstance(kind, t.ListType) and kind.item is not None and isinstance(value, list):
        return [
            p
            for i, item in enumerate(value)
            for p in _unknowable_in(item, kind.item, (*path, i))
            if len(p) > len(path) + 1
        ]
    return []


def _without(document: Any, path: tuple[Any, ...]) -> Any:
    copy = json.loads(json.dumps(document))
    target = copy
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    return copy


def _findings(decision: Decision) -> dict[str, Finding]:
    out: dict[str, Finding] = {}
    stack = list(decision.findings)
    while stack:
        finding = stack.pop()
        out[finding.rule] = finding
        stack.extend(finding.children)
    return out


@pytest.mark.parametrize("name", ["user", "lishui"])
def test_knowing_an_unknown_fact_never_undoes_a_pass_a_fail_or_ineligible(name: str) -> None:
    policy = POLICIES[name]

    @SLOW
    @given(testing.documents(policy), st.one_of(st.none(), testing.as_of_dates(policy)), st.data())
    def check(document: dict[str, Any], as_of: Any, data: st.DataObject) -> None:
        steps = _read_for_absence(policy)
        paths = [
            p
            for p in _unknowable(document, policy.checked.schema, ())
            if not any(step == ".".join(map(str, p)) or step.startswith(".".join(map(str, p)) + ".") for step in steps)
        ]
        if not paths:
            return
        removed = data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=3, unique=True))
        partial = document
        for path in sorted(removed, key=len, reverse=True):
            try:
                partial = _without(partial, path)
            except (KeyError, IndexError, TypeError):
                continue  # inside something already removed
        known, unknown = policy.evaluate(document, as_of), policy.evaluate(partial, as_of)
        known_findings = _findings(known)
        for rule, finding in _findings(unknown).items():
            if finding.outcome in (Outcome.PASS, Outcome.FAIL):
                assert rule in known_findings and known_findings[rule].outcome == finding.outcome, (rule, removed)
        if unknown.verdict == Verdict.INELIGIBLE:
            assert known.verdict == Verdict.INELIGIBLE, removed

    check()


# ---- determinism and order ----------------------------------------------------------------


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def _by_rule(decision: Decision) -> tuple[Any, ...]:
    payload = decision.to_dict()
    findings = sorted(payload.pop("findings"), key=lambda f: f["rule"])
    payload.pop("provenance")
    return payload, findings


RULE_BLOCK = re.compile(r"^rule \w+ \{.*?^\}\n", re.MULTILINE | re.DOTALL)


def _permute_rules(text: str, rng: random.Random) -> str:
    blocks = RULE_BLOCK.findall(text)
    order = blocks[:]
    rng.shuffle(order)
    pieces = RULE_BLOCK.split(text)
    return "".join(p + (order[i] if i < len(order) else "") for i, p in enumerate(pieces))


PERMUTED = {
    name: [
        titlerules.Policy.from_source(
            _permute_rules(policy.checked.source, random.Random(seed)), policy.checked.filename
        )
        for seed in range(3)
    ]
    for name, policy in POLICIES.items()
}


@pytest.mark.parametrize("name", ["user", "lishui"])
def test_same_document_same_decision_whatever_the_order_of_keys_and_rules(name: str) -> None:
    policy = POLICIES[name]
    assert all(p.rule_ids != policy.rule_ids for p in PERMUTED[name][1:]) or len(policy.rule_ids) < 3

    @SLOW
    @given(testing.documents(policy), st.one_of(st.none(), testing.as_of_dates(policy)), st.randoms())
    def check(document: dict[str, Any], as_of: Any, rng: random.Random) -> None:
        first = policy.evaluate(document, as_of)
        assert policy.evaluate(document, as_of).to_dict() == first.to_dict()
        shuffled = _shuffled(document, rng)
        assert _by_rule(policy.evaluate(shuffled, as_of)) == _by_rule(first)
        for permuted in PERMUTED[name]:
            assert _by_rule(permuted.evaluate(document, as_of)) == _by_rule(first)

    check()


# ---- fmt ----------------------------------------------------------------------------------


@SLOW
@given(st.lists(st.sampled_from([HEADER + DECLARATIONS, *RULES]), min_size=1, max_size=6, unique=True), st.data())
def test_fmt_is_idempotent_and_keeps_the_meaning(parts: list[str], data: st.DataObject) -> None:
    text = HEADER + DECLARATIONS + "".join(p for p in parts if p.startswith("rule"))
    formatted = format_source(text, "user.policy")
    assert format_source(formatted, "user.policy") == formatted
    before = titlerules.Policy.from_source(text, "user.policy")
    after = titlerules.Policy.from_source(formatted, "user.policy")
    for _ in range(3):
        document = data.draw(testing.documents(before))
        assert _by_rule(after.evaluate(document)) == _by_rule(before.evaluate(document))


def test_fmt_of_the_bundled_policy_is_idempotent_and_keeps_the_meaning() -> None:
    formatted = format_source(BUNDLED_TEXT, "lishui-2021-crafts.policy")
    assert format_source(formatted, "lishui-2021-crafts.policy") == formatted
    after = titlerules.Policy.from_source(formatted, "lishui-2021-crafts.policy")

    @SLOW
    @given(testing.documents(LISHUI), st.one_of(st.none(), testing.as_of_dates(LISHUI)))
    def check(document: dict[str, Any], as_of: Any) -> None:
        assert _by_rule(after.evaluate(document, as_of)) == _by_rule(LISHUI.evaluate(document, as_of))

    check()


# ---- the decision's JSON ------------------------------------------------------------------

SCHEMAS = {name: decision_schema(policy) for name, policy in POLICIES.items()}


@pytest.mark.parametrize("name", ["user", "lishui"])
def test_decision_json_round_trips_and_matches_the_published_schema(name: str) -> None:
    policy = POLICIES[name]
    validator = jsonschema.Draft202012Validator(SCHEMAS[name])

    @SLOW
    @given(testing.documents(policy), st.one_of(st.none(), testing.as_of_dates(policy)))
    def check(document: dict[str, Any], as_of: Any) -> None:
        payload = policy.evaluate(document, as_of).to_dict()
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
        assert json.loads(text) == payload
        validator.validate(json.loads(text))

    check()
