"""``titlerules test``: run the case files beside policies, with branch coverage."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..caserun import Coverage, FileResult, coverage, find_case_files, run_case_file
from ..cases import CaseFileError
from .common import EXIT_FILE, EXIT_OK, EXIT_REJECTED


def add_parser(commands: Any) -> None:
    """Register the command."""
    parser = commands.add_parser(
        "test",
        help="run case files, optionally with branch coverage",
        description="Run case files (NAME.cases.yaml beside NAME.policy). PATH is a case file, a "
        ".policy file (its case file) or a folder searched for case files (default: .). "
        "Exit 1 if a case fails.",
    )
    parser.add_argument("--coverage", action="store_true", help="report which cases reach each branch of each rule")
    parser.add_argument("--show-cases", action="store_true", help="with --coverage, list the cases of every branch")
    parser.add_argument(
        "--fail-uncovered", action="store_true", help="with --coverage, exit 1 if a reachable branch is not covered"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="case file, policy or folder")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run every case file found; report failures, then coverage."""
    try:
        files = find_case_files(args.paths)
    except CaseFileError as error:
        print(f"titlerules: {error}", file=sys.stderr)
        return EXIT_FILE
    if not files:
        print(f"titlerules: no case files (*.cases.yaml) under {', '.join(args.paths)}", file=sys.stderr)
        return EXIT_FILE
    results: list[FileResult] = []
    broken = False
    for path in files:
        try:
            results.append(run_case_file(path, trace=args.coverage))
        except CaseFileError as error:
            print(f"titlerules: {error}", file=sys.stderr)
            broken = True
    failed = sum(1 for r in results for c in r.results if not c.passed)
    reports = [coverage(r.policy, r.results) for r in results] if args.coverage else []
    uncovered = sum(c.count("not covered") for c in reports)
    if args.format == "json":
        _json(results, reports)
    else:
        _text(results, reports, args.show_cases)
    if broken:
        return EXIT_FILE
    if failed or (args.fail_uncovered and uncovered):
        return EXIT_REJECTED
    return EXIT_OK


def _text(results: list[FileResult], reports: list[Coverage], show_cases: bool) -> None:
    for result in results:
        failures = [c for c in result.results if not c.passed]
        for failure in failures:
            print(f"FAIL {failure.case.file}:{failure.case.line}: {failure.case.name}")
            for problem in failure.problems:
                print(f"    {problem}")
        total = len(result.results)
        print(f"{result.cases.path}: {total} cases, {total - len(failures)} passed, {len(failures)} failed")
    for report in reports:
        _coverage_text(report, show_cases)


def _coverage_text(report: Coverage, show_cases: bool) -> None:
    covered, reachable = report.count("covered"), report.reachable
    share = f" ({100 * covered // reachable}%)" if reachable else ""
    print(f"\ncoverage of {report.policy}: {covered} of {reachable} reachable branches{share}", end="")
    print(f"; {report.count('unreachable')} unreachable, proven and not counted")
    width = max((len(rule) for rule in report.by_rule()), default=0)
    for rule, items in report.by_rule().items():
        rule_covered = sum(1 for b in items if b.status == "covered")
        rule_reachable = sum(1 for b in items if b.status != "unreachable")
        outcomes = ", ".join(
            f"{b.branch.outcome} {len(b.cases) if b.status != 'unreachable' else '(unreachable)'}"
            for b in items
            if b.branch.kind == "finding" and b.branch.block == rule
        )
        print(f"  {rule.ljust(width)}  {rule_covered}/{rule_reachable} branches  outcomes: {outcomes}")
        if show_cases:
            for b in items:
                mark = {"covered": "+", "not covered": "-", "unreachable": " "}[b.status]
                print(f"    {mark} {b.branch.line}: {b.branch.label}")
                for name in b.cases:
                    print(f"        {name}")
    missing = [b for b in report.branches if b.status == "not covered"]
    if missing:
        print("not covered (no case reaches these):")
        for b in missing:
            print(f"  {report.policy}:{b.branch.line}: {b.branch.label}")
    unreachable = [b for b in report.branches if b.status == "unreachable"]
    if unreachable:
        print("unreachable (no document can reach these):")
        for b in unreachable:
            print(f"  {b.branch.file or report.policy}:{b.branch.line}: {b.branch.label}")
            print(f"      {b.branch.unreachable}")


def _json(results: list[FileResult], reports: list[Coverage]) -> None:
    out: dict[str, Any] = {"files": []}
    for i, result in enumerate(results):
        entry: dict[str, Any] = {
            "file": result.cases.path,
            "policy": result.cases.policy_path,
            "cases": len(result.results),
            "failed": [
                {"name": c.case.name, "line": c.case.line, "problems": list(c.problems)}
                for c in result.results
                if not c.passed
            ],
        }
        if reports:
            entry["coverage"] = reports[i].to_dict()
        out["files"].append(entry)
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
