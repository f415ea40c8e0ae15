"""``titlerules evaluate`` run as a user runs it: a subprocess on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "eligible-intermediate.json"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "titlerules", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def test_text_output_in_chinese_puts_the_verdict_first() -> None:
    result = run("evaluate", "--as-of", "2022-01-10", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "申请人 LS-2021-0001：符合申报条件 (eligible)"
    assert lines[1] == "政策 lishui-2021-crafts · 丽人社函〔2021〕150号 · 评估日期 2022-01-10"
    assert "  ✓ [三(三)] 继续教育学时：继续教育学时符合中级要求（2020、2021年度）" in lines
    assert "应缴费用（元）：evaluation 180，recommendation 80，total 260" in lines


def test_text_output_in_english_lists_blocking_items_before_passed_ones(tmp_path: Path) -> None:
    document = json.loads(EXAMPLE.read_text("utf-8"))
    document["continuing_education"]["2020"]["professional"] = 48
    del document["steps"]["county_reported"]
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")
    result = run("evaluate", "--lang", "en", "--as-of", "2021-12-20", str(path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Applicant LS-2021-0001: ineligible (ineligible)\n")
    assert out.index("Failed") < out.index("To do") < out.index("Passed")
    assert (
        "  ✗ [三(三)] Continuing-education hours: 2020 hours fall short: 74 in all (at least 90), 48 professional"
        in out
    )
    assert "(due 2021-12-31)" in out


def test_json_output_is_the_decision_dict() -> None:
    result = run("evaluate", "--format", "json", "--as-of", "2022-01-10", str(EXAMPLE))
    assert result.returncode == 0
    decision = json.loads(result.stdout)
    assert decision["verdict"] == "eligible"
    assert [f["rule"] for f in decision["findings"]][:2] == ["applicant_scope", "level_progression"]


def test_jsonl_keeps_order_and_reports_bad_lines_in_place() -> None:
    lines = [
        '{"id": "a", "declared_level": "junior"}',
        '{"id": "b", "continuing_education": {"2020": {"professional": "sixty"}}}',
        "not json",
        "",
        '{"id": "d"}',
    ]
    result = run("evaluate", "--format", "jsonl", "-", stdin="\n".join(lines) + "\n")
    assert result.returncode == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("applicant") for o in out] == ["a", "b", None, "d"]
    assert out[1]["error"] == 'continuing_education.2020.professional: expected a number >= 0 and <= 10000, got "sixty"'
    assert out[1]["errors"][0]["path"] == "continuing_education.2020.professional"
    assert out[1]["source"] == "<stdin>:2"
    assert out[2]["code"] == "json"
    assert out[3]["verdict"] == "undetermined"


def test_a_jsonl_file_and_a_json_file_together(tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text('{"id": "x1"}\n{"id": "x2"}\n', "utf-8")
    result = run("evaluate", "--format", "json", str(batch), str(EXAMPLE))
    assert result.returncode == 0
    assert [d["applicant"] for d in json.loads(result.stdout)] == ["x1", "x2", "LS-2021-0001"]


def test_pretty_printed_json_on_stdin() -> None:
    result = run("evaluate", "--format", "jsonl", "-", stdin=EXAMPLE.read_text("utf-8"))
    assert result.returncode == 0
    assert json.loads(result.stdout)["applicant"] == "LS-2021-0001"


def test_input_error_in_text_mode_goes_to_stderr(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"id": "z", "declared_level": "senior"}', "utf-8")
    result = run("evaluate", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f'{path}: declared_level: expected one of junior, assistant, intermediate, got "senior"\n'


def test_duplicate_keys_are_an_input_error() -> None:
    result = run("evaluate", "--format", "jsonl", "-", stdin='{"id": "a", "id": "b"}\n')
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"] == "duplicate key 'id' in an object"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["evaluate", "missing.json"], 4, "titlerules: missing.json: no such file\n"),
        (["evaluate", "--policy", "nope", str(EXAMPLE)], 3, "titlerules: cannot load policy 'nope'"),
        (["evaluate", "--as-of", "2021-13-01", str(EXAMPLE)], 2, "expected a date as YYYY-MM-DD"),
        (["evaluate", "--format", "xml", str(EXAMPLE)], 2, "invalid choice: 'xml'"),
        (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    ],
)
def test_failures_are_one_clear_line_with_an_exit_code(args: list[str], code: int, message: str) -> None:
    result = run(*args)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_directories_and_empty_files_are_refused(tmp_path: Path) -> None:
    result = run("evaluate", str(tmp_path))
    assert (result.returncode, result.stderr) == (4, f"titlerules: {tmp_path}: is a directory\n")
    empty = tmp_path / "empty.json"
    empty.write_text("", "utf-8")
    result = run("evaluate", str(empty))
    assert (result.returncode, result.stderr) == (4, f"titlerules: {empty}: empty input, no document\n")


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("titlerules ")
