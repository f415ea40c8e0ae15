"""``titlerules doc``: a policy rendered for people who do not read code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..cases import CASES_SUFFIX, load_case_file
from ..docgen import render
from ..policy import POLICY_SUFFIX, load_policy
from .common import EXIT_OK


def add_parser(commands: Any) -> None:
    """Register the command."""
    parser = commands.add_parser(
        "doc",
        help="render a policy as a readable document",
        description="Render a policy clause by clause: the notice's text next to the rules that "
        "implement it, their parameters, messages and interpretation notes, and a traceability "
        "table clause -> rules -> test cases (from NAME.cases.yaml beside the policy, or --cases).",
    )
    parser.add_argument("policy", metavar="POLICY", help="a bundled policy id or a .policy file")
    parser.add_argument("--format", choices=("md", "html"), default="md", help="output format (default: md)")
    parser.add_argument("--cases", metavar="FILE", help="the case file (default: the one beside the policy)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Render the documentation."""
    policy = load_policy(args.policy)
    cases_path = args.cases
    if cases_path is None and args.policy.endswith(POLICY_SUFFIX):
        beside = Path(args.policy).with_name(Path(args.policy).name.removesuffix(POLICY_SUFFIX) + CASES_SUFFIX)
        cases_path = beside if beside.is_file() else None
    cases = load_case_file(cases_path) if cases_path is not None else None
    text = render(policy, cases, args.format)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK
