"""Replayable decisions: the library function and ``titlerules replay``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import titlerules
from titlerules.cli import main
from titlerules.commands.common import EXIT_DIFFERS, EXIT_FILE, EXIT_OK, EXIT_REJECTED
from titlerules.decision import document_sha256

DOCUMENT: dict[str, Any] = {
    "id": "A-001",
    "declared_level": "intermediate",
    "continuing_education": {"2020": {"professional": 50}},
}


def _recorded(policy: titlerules.Policy, document: Any = DOCUMENT, as_of: str = "2021-09-01") -> dict[str, Any]:
    """A decision as an embedding system stores it: JSON text, read back."""
    recorded: dict[str, Any] = json.loads(json.dumps(policy.evaluate(document, as_of).to_dict(), ensure_ascii=False))
    return recorded


def test_every_decision_carries_what_replays_it(lishui: titlerules.Policy) -> None:
    recorded = _recorded(lishui)
    assert recorded["policy"] == "lishui-2021-crafts"
    assert recorded["as_of"] == "2021-09-01"
    assert recorded["provenance"] == {
        "policy_sha256": lishui.source_sha256,
        "document_sha256": document_sha256(DOCUMENT),
        "titlerules_version": titlerules.__version__,
    }


def test_a_decision_is_reproduced(lishui: titlerules.Policy) -> None:
    result = titlerules.replay(_recorded(lishui), DOCUMENT)
    assert result.reproduced
    assert (result.differences, result.warnings) == ((), ())
    assert result.render() == "reproduced: lishui-2021-crafts on A-001 as of 2021-09-01: ineligible"


def test_an_explained_decision_is_reproduced(lishui: titlerules.Policy) -> None:
    recorded = json.loads(json.dumps(lishui.explain(DOCUMENT, "2021-09-01").to_dict(), ensure_ascii=False))
    assert titlerules.replay(recorded, DOCUMENT).reproduced


def test_another_document_shows_its_hash_and_every_change(lishui: titlerules.Policy) -> None:
    changed = json.loads(json.dumps(DOCUMENT))
    changed["continuing_education"]["2020"]["professional"] = 90
    result = titlerules.replay(_recorded(lishui), changed)
    assert not result.reproduced
    paths = [d.path for d in result.differences]
    assert paths[0] == "provenance.document_sha256"
    assert "verdict" in paths
    assert "findings[continuing_education].outcome" in paths
    child = "findings[continuing_education].children[continuing_education.2020]"
    fact = child + ".facts.continuing_education.2020.professional"
    assert next(d for d in result.differences if d.path == fact).to_dict() == {"path": fact, "recorded": 50, "now": 90}


def test_a_tampered_verdict_is_the_one_difference(lishui: titlerules.Policy) -> None:
    recorded = _recorded(lishui)
    recorded["verdict"] = "eligible"
    result = titlerules.replay(recorded, DOCUMENT)
    assert [d.render() for d in result.differences] == ['verdict: recorded "eligible", now "ineligible"']


def test_another_library_version_or_policy_text_warns(lishui: titlerules.Policy) -> None:
    recorded = _recorded(lishui)
    recorded["provenance"]["titlerules_version"] = "0.0.1"
    recorded["provenance"]["policy_sha256"] = "0" * 64
    result = titlerules.replay(recorded, DOCUMENT)
    assert result.reproduced  # the same decision, made by other text and code
    assert len(result.warnings) == 2
    assert "the policy text differs from the one that made the decision" in result.warnings[0]
    assert result.warnings[1] == f"the decision was made by titlerules 0.0.1, replayed with {titlerules.__version__}"


def test_a_changed_policy_shows_what_it_changes(lishui: titlerules.Policy) -> None:
    source = lishui.checked.source.replace("param ce_professional_hours = 60", "param ce_professional_hours = 40", 1)
    assert source != lishui.checked.source
    changed = titlerules.Policy.from_source(source, "changed.policy")
    result = titlerules.replay(_recorded(lishui), DOCUMENT, changed)
    assert result.warnings and "policy text differs" in result.warnings[0]
    assert any(d.path.startswith("findings[continuing_education]") for d in result.differences)


def test_a_document_now_refused_is_a_difference(lishui: titlerules.Policy) -> None:
    result = titlerules.replay(_recorded(lishui), {"id": 5})
    assert not result.reproduced
    assert result.differences[-1].path == "decision"
    assert "refused: type" in result.differences[-1].now


@pytest.mark.parametrize(
    ("recorded", "paths"),
    [
        ({}, ["policy", "verdict", "provenance"]),
        (
            {"policy": "lishui-2021-crafts", "verdict": "eligible", "provenance": {"policy_sha256": 1}},
            ["provenance.policy_sha256", "provenance.document_sha256", "provenance.titlerules_version"],
        ),
        ([], [""]),
    ],
)
def test_what_is_not_a_decision_is_an_input_error(recorded: Any, paths: list[str]) -> None:
    with pytest.raises(titlerules.InputError) as caught:
        titlerules.replay(recorded, DOCUMENT)
    assert [p.path for p in caught.value.problems] == paths


def _files(tmp_path: Path, recorded: dict[str, Any], document: Any = DOCUMENT) -> tuple[str, str]:
    decision_file, document_file = tmp_path / "decision.json", tmp_path / "document.json"
    decision_file.write_text(json.dumps(recorded, ensure_ascii=False), encoding="utf-8")
    document_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return str(decision_file), str(document_file)


def test_cli_reproduced_exits_0(lishui: titlerules.Policy, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", *_files(tmp_path, _recorded(lishui))]) == EXIT_OK
    assert capsys.readouterr().out.startswith("reproduced: lishui-2021-crafts on A-001")


def test_cli_differs_exits_6_with_every_difference(
    lishui: titlerules.Policy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = _recorded(lishui)
    recorded["verdict"] = "eligible"
    recorded["provenance"]["titlerules_version"] = "0.0.1"
    assert main(["replay", "--format", "json", *_files(tmp_path, recorded)]) == EXIT_DIFFERS
    out = json.loads(capsys.readouterr().out)
    assert out["reproduced"] is False
    assert out["differences"] == [{"path": "verdict", "recorded": "eligible", "now": "ineligible"}]
    assert out["warnings"] == [f"the decision was made by titlerules 0.0.1, replayed with {titlerules.__version__}"]


def test_cli_with_a_policy_file(lishui: titlerules.Policy, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy_file = tmp_path / "copy.policy"
    policy_file.write_text(lishui.checked.source, encoding="utf-8")
    assert main(["replay", "--policy", str(policy_file), *_files(tmp_path, _recorded(lishui))]) == EXIT_OK
    assert "warning" not in capsys.readouterr().out


def test_cli_refuses_what_is_not_a_decision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    decision, document = _files(tmp_path, {"id": "x"})
    assert main(["replay", decision, document]) == EXIT_REJECTED
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"titlerules: {decision}: not a decision's JSON: policy: required key is missing")
    assert "\n" not in err


def test_cli_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", str(tmp_path / "nope.json"), str(tmp_path / "doc.json")]) == EXIT_FILE
    assert capsys.readouterr().err == f"titlerules: {tmp_path / 'nope.json'}: no such file\n"


def test_the_examples_in_safety_md_run() -> None:
    import doctest

    from .conftest import ROOT

    failures, tried = doctest.testfile(str(ROOT / "docs" / "safety.md"), module_relative=False)
    assert tried > 0
    assert failures == 0
