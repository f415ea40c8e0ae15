"""``titlerules fmt``: rewrite policies in the canonical layout, or check that they are."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import Any

from ..errors import PolicyError
from ..formatter import format_source
from ..policy import read_policy_file
from .common import EXIT_OK, EXIT_POLICY, EXIT_REJECTED


def add_parser(commands: Any) -> None:
    """Register the command."""
    parser = commands.add_parser(
        "fmt",
        help="lay policies out in the canonical format",
        description="Rewrite .policy files in the canonical layout, keeping their comments. "
        "With --check, change nothing and exit 1 if a file is not formatted. "
        "'-' formats stdin to stdout.",
    )
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    parser.add_argument("--diff", action="store_true", help="with --check, show what would change")
    parser.add_argument("policies", nargs="+", metavar="POLICY", help=".policy file, or - for stdin")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Format every file; a file that does not parse is reported and the rest go on."""
    unformatted: list[str] = []
    broken = 0
    for name in args.policies:
        text = sys.stdin.read() if name == "-" else read_policy_file(name)
        filename = "<stdin>" if name == "-" else name
        try:
            formatted = format_source(text, filename)
        except PolicyError as error:
            print(error, file=sys.stderr)
            broken += 1
            continue
        if name == "-":
            sys.stdout.write(formatted)
            continue
        if formatted == text:
            continue
        unformatted.append(name)
        if args.check:
            print(f"would reformat {name}", file=sys.stderr)
            if args.diff:
                sys.stdout.writelines(
                    difflib.unified_diff(
                        text.splitlines(keepends=True), formatted.splitlines(keepends=True), name, f"{name} (formatted)"
                    )
                )
        else:
            Path(name).write_text(formatted, encoding="utf-8")
            print(f"reformatted {name}", file=sys.stderr)
    if broken:
        return EXIT_POLICY
    if args.check and unformatted:
        return EXIT_REJECTED
    return EXIT_OK
