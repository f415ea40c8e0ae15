"""``titlerules evaluate``: decide on applicant documents."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..decision import Decision
from ..errors import TitlerulesError
from ..inputs import error_record, read_documents
from ..policy import load_policy
from ..render import render_text
from .common import EXIT_OK, EXIT_REJECTED, as_of_date

DEFAULT_POLICY = "lishui-2021-crafts"


def add_parser(commands: Any) -> None:
    """Register the command."""
    parser = commands.add_parser(
        "evaluate",
        help="decide on applicant documents",
        description="Decide on applicant documents: JSON files, JSON Lines files, or - for stdin.",
    )
    parser.add_argument(
        "--policy",
        default=DEFAULT_POLICY,
        metavar="NAME|PATH",
        help=f"a bundled policy id or a .policy file (default: {DEFAULT_POLICY})",
    )
    parser.add_argument("--as-of", type=as_of_date, metavar="YYYY-MM-DD", help="the day of the evaluation")
    parser.add_argument(
        "--format", choices=("text", "json", "jsonl"), default="text", help="output format (default: text)"
    )
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of text output")
    parser.add_argument("--verbose", action="store_true", help="text: add every finding with the facts it read")
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSON or JSONL file, or - for stdin")
    parser.set_defaults(handler=run)


class _JsonOutput:
    """One decision as an object; several as an array, written as they come."""

    def __init__(self) -> None:
        self.count = 0
        self.first: str | None = None

    def write(self, text: str) -> None:
        self.count += 1
        if self.count == 1:
            self.first = text
            return
        if self.count == 2:
            sys.stdout.write("[\n" + _indent(self.first or "") + ",\n")
        else:
            sys.stdout.write(",\n")
        sys.stdout.write(_indent(text))

    def close(self) -> None:
        if self.count == 1:
            sys.stdout.write((self.first or "") + "\n")
        elif self.count > 1:
            sys.stdout.write("\n]\n")


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def run(args: argparse.Namespace) -> int:
    """Evaluate every document of every file, in order."""
    policy = load_policy(args.policy)
    key = policy.checked.key_field
    rejected = 0
    written = 0
    as_json = _JsonOutput()
    for path in args.files:
        for item in read_documents(path):
            decision: Decision | None = None
            error: TitlerulesError | None = item.error
            if error is None:
                try:
                    decision = policy.evaluate(item.document, as_of=args.as_of)
                except TitlerulesError as failure:
                    error = failure
            if error is not None:
                rejected += 1
                record = error_record(item, error, key)
                if args.format == "jsonl":
                    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
                elif args.format == "json":
                    as_json.write(json.dumps(record, ensure_ascii=False, indent=2))
                else:
                    print(f"{item.source}: {error}", file=sys.stderr)
                continue
            assert decision is not None
            if args.format == "jsonl":
                sys.stdout.write(json.dumps(decision.to_dict(), ensure_ascii=False) + "\n")
            elif args.format == "json":
                as_json.write(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))
            else:
                if written:
                    sys.stdout.write("\n")
                text = render_text(decision, args.lang, policy.output_labels, policy.checked.document, args.verbose)
                sys.stdout.write(text + "\n")
            written += 1
    if args.format == "json":
        as_json.close()
    return EXIT_REJECTED if rejected else EXIT_OK
