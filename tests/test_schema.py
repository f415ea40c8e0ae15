"""JSON Schemas generated from the policy: every case-file document and every decision
(plain and explained) is checked against them with the jsonschema package."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import jsonschema
import pytest

import titlerules
from titlerules.cases import load_case_file
from titlerules.schema import decision_schema, input_schema

from .conftest import POLICY_DIR

CASES = load_case_file(POLICY_DIR / "lishui-2021-crafts.cases.yaml").cases
Validator = jsonschema.Draft202012Validator


def validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    Validator.check_schema(schema)
    return Validator(schema, format_checker=Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def inputs(lishui: titlerules.Policy) -> jsonschema.protocols.Validator:
    return validator(input_schema(lishui))


@pytest.fixture(scope="module")
def decisions(lishui: titlerules.Policy) -> jsonschema.protocols.Validator:
    return validator(decision_schema(lishui))


@pytest.mark.parametrize("case", [c for c in CASES if c.error is None], ids=lambda c: c.name)
def test_every_valid_case_document_and_its_decisions_validate(
    lishui: titlerules.Policy, inputs: Any, decisions: Any, case: Any
) -> None:
    assert list(inputs.iter_errors(case.document)) == []
    explanation = lishui.explain(case.document, as_of=case.as_of)
    for produced in (explanation.decision.to_dict(), explanation.to_dict()):
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in decisions.iter_errors(produced)]
        assert errors == []


# What JSON Schema cannot say: the `where start <= end` invariant of a record.
BEYOND_JSON_SCHEMA = {"publicity ending before it starts is an input error"}


@pytest.mark.parametrize("case", [c for c in CASES if c.error is not None], ids=lambda c: c.name)
def test_every_invalid_case_document_is_rejected_at_its_path(inputs: Any, case: Any) -> None:
    errors = list(inputs.iter_errors(case.document))
    if case.name in BEYOND_JSON_SCHEMA:
        assert errors == []
        return
    paths = {".".join(str(p) for p in e.absolute_path) for e in errors}
    # A missing required key is reported at the object that lacks it.
    assert case.error in paths or (case.error == "id" and "" in paths), paths


def test_the_input_schema_reads_like_the_fact_schema(lishui: titlerules.Policy) -> None:
    schema = input_schema(lishui)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["id"]
    hours = schema["$defs"]["Hours"]["properties"]["professional"]
    assert hours == {"type": "number", "minimum": 0, "maximum": 10000}
    assert schema["$defs"]["Level_junior_assistant_intermediate"]["enum"] == ["junior", "assistant", "intermediate"]
    fraud = schema["properties"]["fraud"]["properties"]
    assert fraud["current_application"]["x-fixed"] is True and fraud["current_application"]["default"] is False
    assert "x-fixed" not in schema["properties"]["continuing_education"]
    assert schema["properties"]["continuing_education"]["propertyNames"] == {"pattern": "^[0-9]{4}$"}
    assert schema["properties"]["publicity"]["$comment"] == "also: start <= end"
    assert schema["properties"]["prior_title"]["anyOf"][1] == {"type": "null"}


def test_the_decision_schema_fixes_the_rule_order(lishui: titlerules.Policy, decisions: Any) -> None:
    produced = lishui.evaluate({"id": "x"}).to_dict()
    produced["findings"] = list(reversed(produced["findings"]))
    assert not decisions.is_valid(produced)
    produced = lishui.evaluate({"id": "x"}).to_dict()
    produced["verdict"] = "maybe"
    assert not decisions.is_valid(produced)


def test_schema_command_prints_both_schemas() -> None:
    for flag, title in (("--input", "Applicant document"), ("--decision", "Decision")):
        result = subprocess.run(
            [sys.executable, "-m", "titlerules", "schema", "lishui-2021-crafts", flag],
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["title"].startswith(title)
    missing = subprocess.run(
        [sys.executable, "-m", "titlerules", "schema", "lishui-2021-crafts"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and "one of the arguments --input --decision is required" in missing.stderr
