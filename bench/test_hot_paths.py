"""pytest-benchmark suite for the evaluator's hot paths (not part of the default test run).

    pip install -e '.[test,bench]'
    python -m pytest bench/test_hot_paths.py -p no:cacheprovider
    python -m pytest bench/test_hot_paths.py -p no:cacheprovider --benchmark-autosave   # then
    python -m pytest bench/test_hot_paths.py -p no:cacheprovider --benchmark-compare     # later

Each benchmark walks the same 200 seeded documents (bench/documents.py), so a regression
in one path shows as a change in its own line; the reference rows are the yardstick.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import titlerules
from bench import reference
from bench.documents import generate
from titlerules.policy import document_sha256

DOCS = generate(200)


@pytest.fixture(scope="module")
def policy() -> titlerules.Policy:
    return titlerules.load_policy("lishui-2021-crafts")


@pytest.fixture(scope="module")
def normalised(policy: titlerules.Policy) -> list[tuple[dict[str, Any], Any]]:
    return [(policy.validator.validate(d)[0], titlerules.policy._as_of(a)) for d, a in DOCS]


def test_explained_decision(benchmark: Any, policy: titlerules.Policy) -> None:
    result = benchmark(lambda: [policy.evaluate(d, as_of=a).to_dict() for d, a in DOCS])
    assert result[0] == reference.decide(*DOCS[0])


def test_verdict_only(benchmark: Any, policy: titlerules.Policy) -> None:
    result = benchmark(lambda: [policy.verdict(d, as_of=a) for d, a in DOCS])
    assert [str(v) for v in result] == [reference.verdict(d, a) for d, a in DOCS]


def test_validation(benchmark: Any, policy: titlerules.Policy) -> None:
    result = benchmark(lambda: [policy.validator.validate(d) for d, _ in DOCS])
    assert len(result) == len(DOCS)


def test_compiled_run(benchmark: Any, policy: titlerules.Policy, normalised: list[tuple[dict[str, Any], Any]]) -> None:
    result = benchmark(lambda: [policy.compiled.run(d, a) for d, a in normalised])
    assert len(result[0][0]) == len(policy.rule_ids)


def test_to_dict(benchmark: Any, policy: titlerules.Policy) -> None:
    decisions = [policy.evaluate(d, as_of=a) for d, a in DOCS]
    result = benchmark(lambda: [d.to_dict() for d in decisions])
    assert result[0]["policy"] == "lishui-2021-crafts"


def test_document_digest(benchmark: Any) -> None:
    result = benchmark(lambda: [document_sha256(d) for d, _ in DOCS])
    assert len(set(result)) == len(DOCS)


def test_document_digest_after_validation(benchmark: Any) -> None:
    # What evaluate pays: the validator has already made the shape checks.
    result = benchmark(lambda: [document_sha256(d, validated=True) for d, _ in DOCS])
    assert result == [document_sha256(d) for d, _ in DOCS]


def test_verdict_rules(benchmark: Any, policy: titlerules.Policy, normalised: list[tuple[dict[str, Any], Any]]) -> None:
    result = benchmark(lambda: [policy.compiled.verdict(d, a) for d, a in normalised])
    assert [str(v) for v in result] == [reference.verdict(d, a) for d, a in DOCS]


def test_reference_decision(benchmark: Any) -> None:
    benchmark(lambda: [reference.decide(d, a) for d, a in DOCS])


def test_reference_verdict(benchmark: Any) -> None:
    benchmark(lambda: [reference.verdict(d, a) for d, a in DOCS])
