"""``titlerules explain``: decide on applicant documents and say what to do next."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import TitlerulesError
from ..explain import Explanation
from ..inputs import InputFileError, error_record, read_documents
from ..policy import load_policy
from ..render import render_text
from ..render_html import render_html
from ..render_md import render_markdown
from ..report import file_stem
from .common import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, as_of_date
from .evaluate import DEFAULT_POLICY

SUFFIXES = {"text": ".txt", "md": ".md", "html": ".html", "json": ".json", "jsonl": ".json"}


def add_parser(commands: Any) -> None:
    """Register the command."""
    parser = commands.add_parser(
        "explain",
        help="decide and say what to do next",
        description="Decide on applicant documents and say, for every finding that blocks, what to do next: "
        "the smallest changes that would make it pass, why none can, the facts that are missing and "
        "what they could lead to, or what is outstanding and by when.",
    )
    parser.add_argument(
        "--policy",
        default=DEFAULT_POLICY,
        metavar="NAME|PATH",
        help=f"a bundled policy id or a .policy file (default: {DEFAULT_POLICY})",
    )
    parser.add_argument("--as-of", type=as_of_date, metavar="YYYY-MM-DD", help="the day of the evaluation")
    parser.add_argument(
        "--format",
        choices=("text", "md", "html", "json", "jsonl"),
        default="text",
        help="output format (default: text); md and html suit an applicant's file",
    )
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of text, md and html")
    parser.add_argument("--verbose", action="store_true", help="add every finding with the facts it read")
    parser.add_argument(
        "--out-dir",
        metavar="DIR",
        help="write one file per applicant into DIR (named by applicant id) instead of to stdout",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSON or JSONL file, or - for stdin")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Explain every document of every file, in order."""
    policy = load_policy(args.policy)
    key = policy.checked.key_field
    out_dir = Path(args.out_dir) if args.out_dir else None
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as failure:
            raise InputFileError(f"{out_dir}: {failure.strerror or failure}") from None
    rejected = 0
    written = 0
    position = 0
    for path in args.files:
        for item in read_documents(path):
            position += 1
            explanation: Explanation | None = None
            error: TitlerulesError | None = item.error
            if error is None:
                try:
                    explanation = policy.explain(item.document, as_of=args.as_of)
                except TitlerulesError as failure:
                    error = failure
            if error is not None:
                rejected += 1
                if args.format == "jsonl":
                    sys.stdout.write(json.dumps(error_record(item, error, key), ensure_ascii=False) + "\n")
                else:
                    print(f"{item.source}: {error}", file=sys.stderr)
                continue
            assert explanation is not None
            text = _format(explanation, args, policy.output_labels, policy.checked.document)
            if out_dir is not None:
                name = file_stem(explanation.decision.applicant, position) + SUFFIXES[args.format]
                (out_dir / name).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
            elif args.format == "html" and written:
                print("titlerules: several documents make several HTML pages: give --out-dir", file=sys.stderr)
                return EXIT_USAGE
            else:
                if written and args.format in ("text", "md"):
                    sys.stdout.write("\n")
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
            written += 1
    return EXIT_REJECTED if rejected else EXIT_OK


def _format(
    explanation: Explanation, args: argparse.Namespace, labels: dict[str, tuple[str, str]], number: str | None
) -> str:
    if args.format == "jsonl":
        return json.dumps(explanation.to_dict(), ensure_ascii=False)
    if args.format == "json":
        return json.dumps(explanation.to_dict(), ensure_ascii=False, indent=2)
    if args.format == "md":
        return render_markdown(explanation, args.lang, labels, number, args.verbose)
    if args.format == "html":
        return render_html(explanation, args.lang, labels, number, args.verbose)
    return render_text(explanation, args.lang, labels, number, args.verbose)
