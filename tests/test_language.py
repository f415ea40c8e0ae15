"""The semantics of the language, one feature at a time, on small policies."""

from __future__ import annotations

import datetime

import pytest

from titlerules import EvaluationError, Outcome, Verdict

from .conftest import compile_policy

FACTS = """
enum Level ordered { junior "员级" assistant "助理级" intermediate "中级" senior "高级" }
enum Grade ordered { unqualified "不合格" qualified "合格" excellent "优秀" }
facts {
  id: string key
  a: bool
  b: bool
  n: number in 0..100
  level: Level(junior, assistant, intermediate)
  done: date
  grades: map year -> Grade
  items: list of { name: string, day: date } = []
  title: nullable { level: Level, since: date, confirmed: bool = false }
  flag: bool = false
}
"""


def outcome(body: str, document: dict[str, object], as_of: str | None = None, rule: str = "r") -> Outcome:
    policy = compile_policy(FACTS + body)
    return policy.evaluate({"id": "x", **document}, as_of=as_of).finding(rule).outcome


def rule(*statements: str) -> str:
    return 'rule r {\n  cite "一"\n  title zh "测试" en "test"\n  ' + "\n  ".join(statements) + "\n}\n"


# ---- three-valued logic -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (True, True, Outcome.PASS),
        (True, False, Outcome.FAIL),
        (False, None, Outcome.FAIL),  # a false operand decides although b is unknown
        (True, None, Outcome.UNKNOWN),
        (None, None, Outcome.UNKNOWN),
    ],
)
def test_and_is_kleene(a: bool | None, b: bool | None, expected: Outcome) -> None:
    doc = {k: v for k, v in {"a": a, "b": b}.items() if v is not None}
    assert outcome(rule("require a and b"), doc) is expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (False, False, Outcome.FAIL),
        (True, None, Outcome.PASS),  # a true operand decides although b is unknown
        (False, None, Outcome.UNKNOWN),
    ],
)
def test_or_is_kleene(a: bool | None, b: bool | None, expected: Outcome) -> None:
    doc = {k: v for k, v in {"a": a, "b": b}.items() if v is not None}
    assert outcome(rule("require a or b"), doc) is expected


def test_not_of_unknown_is_unknown() -> None:
    assert outcome(rule("require not a"), {}) is Outcome.UNKNOWN
    assert outcome(rule("require not a"), {"a": False}) is Outcome.PASS


def test_arithmetic_with_an_absent_part_is_unknown_even_when_the_rest_suffices() -> None:
    assert outcome(rule("require n + n >= 10"), {}) is Outcome.UNKNOWN
    policy = compile_policy(FACTS + "let twice = n * 2\n" + rule("require twice >= 10"))
    finding = policy.evaluate({"id": "x"}).finding("r")
    assert finding.outcome is Outcome.UNKNOWN
    assert finding.missing == ("n",)


def test_is_present_is_never_unknown() -> None:
    assert outcome(rule("require n is present"), {}) is Outcome.FAIL
    assert outcome(rule("require n is absent"), {}) is Outcome.PASS
    assert outcome(rule("require n is present"), {"n": 0}) is Outcome.PASS


def test_none_and_absent_differ() -> None:
    body = rule("require title is none")
    assert outcome(body, {"title": None}) is Outcome.PASS
    assert outcome(body, {"title": {"level": "junior"}}) is Outcome.FAIL
    assert outcome(body, {}) is Outcome.UNKNOWN


def test_a_field_of_an_absent_record_reads_its_default() -> None:
    body = rule("require title.confirmed")
    assert outcome(body, {}) is Outcome.FAIL  # absent record: confirmed defaults to false
    assert outcome(rule("require title.level == junior"), {}) is Outcome.UNKNOWN


# ---- comparisons, enums, membership ---------------------------------------------------------


def test_ordered_enums_compare_by_position() -> None:
    assert outcome(rule("require grades[2020] >= qualified"), {"grades": {"2020": "excellent"}}) is Outcome.PASS
    assert outcome(rule("require grades[2020] >= qualified"), {"grades": {"2020": "unqualified"}}) is Outcome.FAIL
    assert outcome(rule("require grades[2020] >= qualified"), {"grades": {}}) is Outcome.UNKNOWN


def test_restricted_enum_compares_with_its_full_enum() -> None:
    body = rule("require title.level < level")
    assert outcome(body, {"level": "intermediate", "title": {"level": "assistant"}}) is Outcome.PASS
    assert outcome(body, {"level": "assistant", "title": {"level": "senior"}}) is Outcome.FAIL


def test_qualified_enum_member() -> None:
    assert outcome(rule("require level == Level.junior"), {"level": "junior"}) is Outcome.PASS


def test_membership_and_ranges() -> None:
    assert outcome(rule("require n in [1, 2, 3]"), {"n": 2}) is Outcome.PASS
    assert outcome(rule("require n not in [1, 2, 3]"), {"n": 2}) is Outcome.FAIL
    assert outcome(rule("require n in 10 .. 20"), {"n": 20}) is Outcome.PASS
    assert outcome(rule("require n in 10 .. 20"), {"n": 21}) is Outcome.FAIL
    assert outcome(rule("require level in [junior, assistant]"), {"level": "assistant"}) is Outcome.PASS


# ---- quantifiers and comprehensions -------------------------------------------------------------

ITEMS = {
    "items": [{"name": "early", "day": "2015-01-01"}, {"name": "late", "day": "2020-01-01"}],
}


def test_each_any_no() -> None:
    assert outcome(rule("require each i in items: i.day > 2010-01-01"), ITEMS) is Outcome.PASS
    assert outcome(rule("require each i in items: i.day > 2016-01-01"), ITEMS) is Outcome.FAIL
    assert outcome(rule("require any i in items: i.day > 2016-01-01"), ITEMS) is Outcome.PASS
    assert outcome(rule("require no i in items: i.day > 2016-01-01"), ITEMS) is Outcome.FAIL
    assert outcome(rule("require no i in items: i.day > 2030-01-01"), ITEMS) is Outcome.PASS
    assert outcome(rule("require each i in items: i.day > 2016-01-01"), {}) is Outcome.PASS  # empty list


def test_a_decisive_element_decides_over_unknown_ones() -> None:
    doc = {"items": [{"name": "undated"}, {"name": "early", "day": "2015-01-01"}]}
    assert outcome(rule("require each i in items: i.day > 2016-01-01"), doc) is Outcome.FAIL
    assert outcome(rule("require each i in items: i.day > 2010-01-01"), doc) is Outcome.UNKNOWN


def test_comprehension_and_show_report_values() -> None:
    policy = compile_policy(
        FACTS
        + rule(
            "show early = [i.name for i in items where i.day < 2016-01-01]",
            "require count(early) == 0",
            '  fail zh "早：{early}" en "early: {early}"',
        )
    )
    finding = policy.evaluate({"id": "x", **ITEMS}).finding("r")
    assert finding.outcome is Outcome.FAIL
    assert finding.facts["early"] == ["early"]
    assert finding.message.zh == "早：early"
    assert finding.facts["items.0.day"] == datetime.date(2015, 1, 1)


# ---- requirements: when, else action, until, by ----------------------------------------------


def test_when_skips_a_requirement_and_unknown_guard_keeps_only_a_pass() -> None:
    body = rule("require a when b")
    assert outcome(body, {"a": False, "b": False}) is Outcome.PASS
    assert outcome(body, {"a": False, "b": True}) is Outcome.FAIL
    assert outcome(body, {"a": True}) is Outcome.PASS  # both branches pass
    assert outcome(body, {"a": False}) is Outcome.UNKNOWN


def test_else_action_until_fails_after_the_last_day_only() -> None:
    body = rule("require a else action until 2021-12-12")
    assert outcome(body, {"a": False}) is Outcome.ACTION  # no as_of: nothing is past
    assert outcome(body, {"a": False}, as_of="2021-12-12") is Outcome.ACTION
    assert outcome(body, {"a": False}, as_of="2021-12-13") is Outcome.FAIL
    assert outcome(rule("require a else action"), {"a": False}, as_of="2030-01-01") is Outcome.ACTION


def test_require_by_treats_an_absent_date_as_not_done() -> None:
    body = rule("require done by 2021-12-12")
    assert outcome(body, {"done": "2021-12-12"}) is Outcome.PASS
    assert outcome(body, {"done": "2021-12-13"}) is Outcome.FAIL
    assert outcome(body, {}, as_of="2021-12-12") is Outcome.ACTION
    assert outcome(body, {}, as_of="2021-12-13") is Outcome.FAIL
    policy = compile_policy(FACTS + body)
    finding = policy.evaluate({"id": "x"}).finding("r")
    assert finding.deadline == datetime.date(2021, 12, 12)
    assert finding.missing == ()


def test_requirements_combine_fail_over_unknown_over_action() -> None:
    body = rule("require a", "require b else action", "require n > 5")
    assert outcome(body, {"a": False, "b": False}) is Outcome.FAIL
    assert outcome(body, {"a": True, "b": False}) is Outcome.UNKNOWN
    assert outcome(body, {"a": True, "b": False, "n": 6}) is Outcome.ACTION
    assert outcome(body, {"a": True, "b": True, "n": 6}) is Outcome.PASS


# ---- exceptions: precedence stated by kind, not by line order ------------------------------------


def test_an_exception_beats_requirements_wherever_it_stands() -> None:
    before = rule("exception not_applicable when flag", "require a")
    after = rule("require a", "exception not_applicable when flag")
    for body in (before, after):
        assert outcome(body, {"flag": True, "a": False}) is Outcome.NOT_APPLICABLE
        assert outcome(body, {"flag": False, "a": False}) is Outcome.FAIL


def test_when_several_exceptions_hold_the_strongest_decides() -> None:
    body = rule("exception pass when a", "exception fail when b", "require n > 1")
    assert outcome(body, {"a": True, "b": True}) is Outcome.FAIL
    assert outcome(body, {"a": True, "b": False}) is Outcome.PASS


def test_an_unknown_exception_keeps_the_outcome_only_where_both_agree() -> None:
    body = rule("exception pass when a", "require b")
    assert outcome(body, {"b": True}) is Outcome.PASS
    assert outcome(body, {"b": False}) is Outcome.UNKNOWN


def test_exempt_children_beat_their_requirement() -> None:
    policy = compile_policy(
        FACTS
        + """
rule r {
  cite "一"
  title zh "学时" en "hours"
  each y in [2019, 2020, 2021] {
    title zh "{y}年度" en "{y}"
    exception exempt when y <= 2019 zh "视同合格" en "counts as met"
    require grades[y] >= qualified
  }
}
"""
    )
    decision = policy.evaluate({"id": "x", "grades": {"2019": "unqualified", "2020": "excellent", "2021": "qualified"}})
    finding = decision.finding("r")
    assert [(c.rule, c.outcome) for c in finding.children] == [
        ("r.2019", Outcome.EXEMPT),
        ("r.2020", Outcome.PASS),
        ("r.2021", Outcome.PASS),
    ]
    assert finding.outcome is Outcome.PASS
    assert finding.children[0].message.zh == "视同合格"


def test_named_children_and_an_unknown_list_of_children() -> None:
    policy = compile_policy(
        FACTS
        + """
table years by Level(junior, assistant, intermediate) { junior: [2021] assistant: [2021] intermediate: [2020, 2021] }
rule r {
  cite "一"
  title zh "学时" en "hours"
  each y in years[level] { require grades[y] >= qualified }
  child extra { title zh "附加" en "extra" require a }
}
"""
    )
    finding = policy.evaluate({"id": "x", "a": True}).finding("r")
    assert [(c.rule, c.outcome) for c in finding.children] == [("r.y", Outcome.UNKNOWN), ("r.extra", Outcome.PASS)]
    assert finding.outcome is Outcome.UNKNOWN
    assert finding.missing == ("level",)


# ---- messages ------------------------------------------------------------------------------


def test_messages_interpolate_per_language() -> None:
    policy = compile_policy(
        FACTS
        + rule(
            "require grades[2020] >= qualified",
            '  fail zh "{grades[2020]}，{level}，{done}" en "{grades[2020]}, {level}, {done}"',
        )
    )
    finding = policy.evaluate(
        {"id": "x", "grades": {"2020": "unqualified"}, "level": "intermediate", "done": "2021-01-02"}
    ).finding("r")
    assert finding.message.zh == "不合格，中级，2021-01-02"
    assert finding.message.en == "unqualified, intermediate, 2021-01-02"


def test_default_messages_name_the_missing_facts() -> None:
    policy = compile_policy(FACTS + rule("require a and n > 3"))
    finding = policy.evaluate({"id": "x"}).finding("r")
    assert finding.message.zh == "测试：缺少信息 a、n"
    assert finding.message.en == "test: missing a, n"
    assert finding.missing == ("a", "n")


def test_literal_braces_are_doubled() -> None:
    policy = compile_policy(FACTS + rule('pass zh "{{x}}" en "{{y}}"'))
    assert policy.evaluate({"id": "x"}).finding("r").message.en == "{y}"


# ---- outputs, tables, functions -----------------------------------------------------------------


def test_outputs_tables_and_if() -> None:
    policy = compile_policy(
        FACTS
        + """
table fee by Level(junior, assistant, intermediate) {
  junior: { evaluation: 100, total: 100 }
  assistant: { evaluation: 100, total: 100 }
  intermediate: { evaluation: 180, recommendation: 80, total: 260 }
}
table names by string { "a": "甲" else none }
output fees = fee[level]
output label = if flag then "有" else "无"
output who = names["a"]
"""
    )
    assert policy.evaluate({"id": "x", "level": "junior"}).to_dict()["fees"] == {"evaluation": 100, "total": 100}
    produced = policy.evaluate({"id": "x"}).to_dict()
    assert produced["fees"] is None
    assert produced["label"] == "无"
    assert produced["who"] == "甲"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("workdays(2021-09-26, 2021-09-30) == 5", True),  # Sunday 26 September 2021 was a make-up day
        ("workdays(2021-10-01, 2021-10-07) == 0", True),  # National Day holidays
        ("workdays(2021-10-09, 2021-10-09) == 1", True),  # a make-up Saturday
        ("workdays(2021-12-03, 2021-11-29) == 0", True),
        ("add_years(2020-02-29, 1) == 2021-02-28", True),
        ("add_days(2021-12-31, 1) == 2022-01-01", True),
        ("years_between(2016-09-01, 2021-08-31) == 4", True),
        ("days_between(2021-12-01, 2021-12-12) == 11", True),
        ("year(2021-12-12) == 2021", True),
        ("count([1, 2, 3]) == 3", True),
        ("sum([1, 2, 3.5]) == 6.5", True),
        ("min(3, 1, 2) == 1 and max(2021-01-01, 2022-01-01) == 2022-01-01", True),
        ("keys(grades) == [2019, 2020]", True),
    ],
)
def test_functions(expression: str, expected: bool) -> None:
    got = outcome(rule(f"require {expression}"), {"grades": {"2020": "qualified", "2019": "qualified"}})
    assert got is (Outcome.PASS if expected else Outcome.FAIL)


def test_past_depends_on_as_of() -> None:
    body = rule("require not past(2021-12-12)")
    assert outcome(body, {}) is Outcome.PASS
    assert outcome(body, {}, as_of="2021-12-13") is Outcome.FAIL


def test_calendar_outside_its_data_is_an_evaluation_error() -> None:
    policy = compile_policy(FACTS + rule("require workdays(done, 2035-01-01) > 0"))
    with pytest.raises(EvaluationError, match="no official calendar") as raised:
        policy.evaluate({"id": "x", "done": "2034-12-01"})
    assert raised.value.code == "calendar-range"


def test_division_by_zero_is_an_evaluation_error() -> None:
    policy = compile_policy(FACTS + rule("require 10 / (n - n) > 1"))
    with pytest.raises(EvaluationError, match="division by zero"):
        policy.evaluate({"id": "x", "n": 3})


def test_derived_facts_are_shared_by_rules() -> None:
    policy = compile_policy(
        FACTS + "let big = n > 50\n" + rule("require big") + rule("require not big").replace("rule r", "rule s")
    )
    decision = policy.evaluate({"id": "x", "n": 60})
    assert decision.finding("r").outcome is Outcome.PASS
    assert decision.finding("s").outcome is Outcome.FAIL
    assert decision.finding("s").facts["n"] == 60
    assert decision.verdict is Verdict.INELIGIBLE


# ---- regressions ---------------------------------------------------------------------------


def test_a_function_of_none_is_unknown_not_a_crash() -> None:
    policy = compile_policy(FACTS + "facts { when: nullable date }\n" + rule("require year(when) > 2000"))
    assert policy.evaluate({"id": "x", "when": None}).finding("r").outcome is Outcome.UNKNOWN


def test_a_list_from_the_document_equals_the_same_list_in_the_policy() -> None:
    policy = compile_policy(FACTS + "facts { xs: list of integer }\n" + rule("require xs == [1, 2]"))
    assert policy.evaluate({"id": "x", "xs": [1, 2]}).finding("r").outcome is Outcome.PASS


def test_a_stronger_exception_with_an_unknown_condition_leaves_the_outcome_unknown() -> None:
    body = rule("exception fail when a", "exception pass when b")
    assert outcome(body, {"b": True}) is Outcome.UNKNOWN
    assert outcome(body, {"a": False, "b": True}) is Outcome.PASS
    assert outcome(body, {"a": True, "b": True}) is Outcome.FAIL


def test_a_field_of_a_null_record_is_listed_as_missing() -> None:
    policy = compile_policy(FACTS + rule("require title.level == junior"))
    finding = policy.evaluate({"id": "x", "title": None}).finding("r")
    assert finding.outcome is Outcome.UNKNOWN
    assert finding.missing == ("title.level",)


def test_an_absent_as_of_is_listed_as_missing() -> None:
    policy = compile_policy(FACTS + rule("require as_of <= 2021-12-12"))
    assert policy.evaluate({"id": "x"}).finding("r").missing == ("as_of",)


def test_large_decimals_read_in_full_in_messages() -> None:
    policy = compile_policy(FACTS + rule('pass zh "{1234567.0} {12.5} {0.1}" en "x"'))
    assert policy.evaluate({"id": "x"}).finding("r").message.zh == "1234567 12.5 0.1"


def test_an_evaluation_error_names_the_rule() -> None:
    policy = compile_policy(FACTS + rule("require 10 / (n - n) > 1"))
    with pytest.raises(EvaluationError) as raised:
        policy.evaluate({"id": "x", "n": 3})
    assert raised.value.where == "r"
    assert str(raised.value) == "r: division by zero"


def test_an_ambiguous_enum_member_asks_for_its_enum() -> None:
    from titlerules import PolicyError

    with pytest.raises(PolicyError) as raised:
        compile_policy("enum A { other } enum B { other }\nparam p = other\n")
    assert raised.value.diagnostics[0].message == "'other' is a member of A and B; write A.other or B.other"


def test_each_child_over_a_nullable_list() -> None:
    policy = compile_policy(
        FACTS + "facts { ys: nullable list of integer }\n"
        'rule r { cite "一" title zh "t" en "t" each y in ys { require y > 0 } }\n'
    )
    assert policy.evaluate({"id": "x", "ys": [1, 2]}).finding("r").outcome is Outcome.PASS
