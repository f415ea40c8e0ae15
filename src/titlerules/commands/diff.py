"""``titlerules diff``: what changed between two policies, and whose verdict it changes."""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..cases import CASES_SUFFIX, load_case_file
from ..inputs import read_documents
from ..policy import POLICY_SUFFIX
from ..policydiff import Applicant, VerdictChange, changes, load, over, search
from .common import EXIT_OK, as_of_date


def add_parser(commands: Any) -> None:
    """Register the command."""
    parser = commands.add_parser(
        "diff",
        help="compare two policies: text, and the applicants whose verdict changes",
        description="Compare two policies: header, parameters, tables, schema, clauses, rules and "
        "messages; then the applicants whose verdict changes and the rules that change it. "
        "Applicants come from --cases (a case file, or JSON/JSONL documents); without it, a "
        "Hypothesis search looks for one, starting from the case files beside the policies.",
    )
    parser.add_argument("old", metavar="OLD", help="a bundled policy id or a .policy file")
    parser.add_argument("new", metavar="NEW", help="a bundled policy id or a .policy file")
    parser.add_argument(
        "--cases", metavar="FILE", help="applicants: a .cases.yaml file, or JSON / JSON Lines documents"
    )
    parser.add_argument("--as-of", type=as_of_date, metavar="YYYY-MM-DD", help="the day to evaluate JSON documents")
    parser.add_argument(
        "--examples", type=int, default=500, metavar="N", help="documents the search tries (default 500)"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.set_defaults(handler=run)


def _case_applicants(path: str | Path) -> list[Applicant]:
    loaded = load_case_file(path)
    return [Applicant(f"{c.file}:{c.line} {c.name}", c.document, c.as_of) for c in loaded.cases if c.error is None]


def _beside(name: str) -> Path | None:
    """The case file of a policy: beside its file, or shipped with a bundled one."""
    if name.endswith(POLICY_SUFFIX):
        path = Path(name).with_name(Path(name).name.removesuffix(POLICY_SUFFIX) + CASES_SUFFIX)
        return path if path.is_file() else None
    for folder in (resources.files("titlerules") / "policies", Path(__file__).resolve().parents[3] / "policy"):
        candidate = folder / (name + CASES_SUFFIX)
        if candidate.is_file():
            return Path(str(candidate))
    return None


def run(args: argparse.Namespace) -> int:
    """Compare the texts, then the decisions."""
    old, new = load(args.old), load(args.new)
    found = changes(old, new)
    searched = False
    tried = 0
    seeds: list[str] = []
    if args.cases:
        if args.cases.endswith(CASES_SUFFIX):
            applicants = _case_applicants(args.cases)
        else:
            applicants = [
                Applicant(item.source, item.document, args.as_of)
                for item in read_documents(args.cases)
                if item.error is None
            ]
        tried, changed = over(old.policy, new.policy, applicants)
    else:
        searched = True
        pool: list[Applicant] = []
        for name in (args.old, args.new):
            path = _beside(name)
            if path is not None and str(path) not in seeds:
                seeds.append(str(path))
                pool += _case_applicants(path)
        tried, change = search(old.policy, new.policy, pool, args.examples)
        changed = [change] if change is not None else []
    if args.format == "json":
        out = {
            "old": args.old,
            "new": args.new,
            "changes": [c.to_dict() for c in found],
            "applicants": {"tried": tried, "searched": searched, "seeds": seeds},
            "verdict_changes": [c.to_dict() for c in changed],
        }
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return EXIT_OK
    print(f"--- {args.old}\n+++ {args.new}")
    if not found:
        print("no change to the text of the policy")
    for difference in found:
        print(difference.render())
    print()
    if searched:
        where = f", starting from {', '.join(seeds)}" if seeds else ""
        if changed:
            print(f"an applicant whose verdict changes (found among {tried} searched{where}, then simplified):")
        else:
            print(f"no applicant found whose verdict changes ({tried} searched{where})")
    else:
        print(f"{len(changed)} of {tried} applicants change verdict")
    for change in changed:
        _print_change(change, searched)
    return EXIT_OK


def _print_change(change: VerdictChange, show_document: bool) -> None:
    as_of = f" as of {change.applicant.as_of}" if change.applicant.as_of else ""
    print(f"  {change.applicant.source}{as_of}: {change.old} -> {change.new}")
    for rule, before, after in change.rules:
        print(f"      {rule}: {before} -> {after}")
    if show_document:
        print("    document: " + json.dumps(change.applicant.document, ensure_ascii=False, sort_keys=True))
