"""``titlerules check``: every error and warning of policies, at once."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..analysis import diagnose
from ..errors import Diagnostic
from ..policy import read_policy_file
from .common import EXIT_OK, EXIT_POLICY, EXIT_REJECTED


def add_parser(commands: Any) -> None:
    """Register the command."""
    parser = commands.add_parser(
        "check",
        help="report every error and warning of policies",
        description="Parse and check .policy files; report every error and warning, each at "
        "file:line:col with the source line. Exit 3 if any policy has errors; with --strict, "
        "exit 1 if any has warnings.",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    parser.add_argument("policies", nargs="+", metavar="POLICY", help=".policy file")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Check each file; report all findings, then a summary."""
    found: list[Diagnostic] = []
    for name in args.policies:
        diagnostics, _ = diagnose(read_policy_file(name), name)
        found.extend(diagnostics)
    errors = sum(1 for d in found if d.severity == "error")
    warnings = len(found) - errors
    if args.format == "json":
        summary = {"errors": errors, "warnings": warnings, "files": len(args.policies)}
        json.dump({"diagnostics": [d.to_dict() for d in found], **summary}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for diagnostic in found:
            print(diagnostic.render())
        files = f"{len(args.policies)} file{'s' if len(args.policies) != 1 else ''}"
        print(f"{files}: {_count(errors, 'error')}, {_count(warnings, 'warning')}", file=sys.stderr)
    if errors:
        return EXIT_POLICY
    if warnings and args.strict:
        return EXIT_REJECTED
    return EXIT_OK


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'s' if number != 1 else ''}"
