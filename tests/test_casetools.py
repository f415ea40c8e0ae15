"""``titlerules test`` with coverage, the pytest plugin, and the proofs of unreachable branches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import titlerules
from titlerules.caserun import branches, coverage, run_case_file, site_key, traced
from titlerules.cases import Case
from titlerules.strategies import applicants

from .conftest import POLICY_DIR
from .test_cli import run

CASES = POLICY_DIR / "lishui-2021-crafts.cases.yaml"

SMALL_POLICY = """\
policy "small" { year 2021 }
clause "一" { quote "q" }
facts { id: string key  n: number in 0..100  flag: bool = false }
param bar = 60
rule r {
  cite "一"
  title zh "学时" en "hours"
  require n >= bar
    fail zh "只有{n}学时" en "only {n} hours"
  require flag else action
}
"""

SMALL_CASES = """\
cases:
  - name: enough hours
    document: {id: a, n: 70, flag: true}
    verdict: eligible
  - name: a wrong expectation
    document: {id: b, n: 10, flag: true}
    outcomes: {r: pass}
"""


def test_the_bundled_case_file_reaches_every_reachable_branch() -> None:
    result = run("test", "--coverage", "--fail-uncovered", str(POLICY_DIR))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert out.startswith(f"{CASES}: ")
    assert "reachable branches (100%)" in out
    assert "not covered" not in out
    # The exempt branch of continuing_education: kept in the policy, proven out of reach.
    assert "continuing_education.y: exception exempt when y <= ce_exempt_through -> exempt\n" in out
    assert "      by the parameters: y takes only 2020, 2021 (from ce_years[declared_level])\n" in out


def test_coverage_names_the_cases_of_each_branch() -> None:
    loaded = run_case_file(CASES, trace=True)
    report = coverage(loaded.policy, loaded.results)
    by_label = {b.branch.label: b for b in report.branches}
    scope_fail = by_label["applicant_scope: require workplace.city == city -> fail"]
    assert scope_fail.cases == ("workplace outside Lishui fails the scope",)
    unit = by_label["deadlines.unit: require steps.unit_reviewed by unit_deadline -> fail"]
    assert unit.cases == ("a unit review on 24 December fails",)
    assert report.count("not covered") == 0
    assert report.count("unreachable") > 0
    assert report.count("covered") == report.reachable


def test_failures_show_rule_expected_actual_and_explanation(tmp_path: Path) -> None:
    (tmp_path / "small.policy").write_text(SMALL_POLICY, "utf-8")
    (tmp_path / "small.cases.yaml").write_text(SMALL_CASES, "utf-8")
    result = run("test", "--coverage", str(tmp_path / "small.policy"))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"FAIL {tmp_path / 'small.cases.yaml'}:5: a wrong expectation"
    assert lines[1] == "    r: expected pass, got fail (only 10 hours | 只有10学时)"
    assert lines[2] == f"{tmp_path / 'small.cases.yaml'}: 2 cases, 1 passed, 1 failed"
    assert "not covered (no case reaches these):" in result.stdout
    assert f"{tmp_path / 'small.policy'}:10: r: require flag -> action" in result.stdout
    assert run("test", "--coverage", "--fail-uncovered", str(tmp_path)).returncode == 1


def test_json_report(tmp_path: Path) -> None:
    (tmp_path / "small.policy").write_text(SMALL_POLICY, "utf-8")
    (tmp_path / "small.cases.yaml").write_text(SMALL_CASES, "utf-8")
    report = json.loads(run("test", "--coverage", "--format", "json", str(tmp_path)).stdout)
    (entry,) = report["files"]
    assert entry["failed"][0]["name"] == "a wrong expectation"
    rule = entry["coverage"]["rules"]["r"]
    fail = next(b for b in rule if b["statement"] == "require n >= bar" and b["outcome"] == "fail")
    assert (fail["status"], fail["cases"]) == ("covered", ["a wrong expectation"])
    unknown = next(b for b in rule if b["statement"] == "require flag" and b["outcome"] == "unknown")
    assert unknown["status"] == "unreachable"
    assert unknown["unreachable"].startswith("by the schema")


def test_command_failure_paths(tmp_path: Path) -> None:
    assert run("test", str(tmp_path)).returncode == 4
    assert run("test", str(tmp_path / "none.cases.yaml")).returncode == 4
    bad = tmp_path / "bad.cases.yaml"
    bad.write_text("cases: [\n", "utf-8")
    result = run("test", str(bad))
    assert result.returncode == 4
    assert "invalid YAML" in result.stderr
    assert "Traceback" not in result.stderr


def test_pytest_collects_a_users_case_files(tmp_path: Path) -> None:
    (tmp_path / "small.policy").write_text(SMALL_POLICY, "utf-8")
    (tmp_path / "small.cases.yaml").write_text(SMALL_CASES, "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 passed" in result.stdout
    assert "r: expected pass, got fail (only 10 hours | 只有10学时)" in result.stdout
    assert "small.cases.yaml::a wrong expectation" in result.stdout


# ---- the unreachable branches are never reached -----------------------------------------------------

LISHUI = titlerules.load_policy("lishui-2021-crafts")
UNREACHABLE = {(b.site, b.kind, b.outcome): b for b in branches(LISHUI.checked) if b.unreachable}
SEEDS = [(c.document, c.as_of) for c in run_case_file(CASES).cases.cases if c.error is None]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(applicants([LISHUI.checked]), applicants([LISHUI.checked], SEEDS)))
def test_no_document_reaches_a_branch_proven_unreachable(example: tuple[dict[str, object], object]) -> None:
    document, as_of = example
    case = Case("generated", "-", 0, document, as_of, None, {}, {}, {}, None)  # type: ignore[arg-type]
    for kind, span, outcome in traced(LISHUI, case):
        key = (site_key(span), "finding" if kind == "block" else kind, outcome)
        assert key not in UNREACHABLE, UNREACHABLE[key].label
