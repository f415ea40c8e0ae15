"""``titlerules report``: a batch of decisions summarised for an HR office."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..inputs import InputFileError, read_documents
from ..policy import load_policy
from ..render_html import render_html
from ..report import file_stem, render_report_html, render_report_text, summarize
from .common import EXIT_OK
from .evaluate import DEFAULT_POLICY


def add_parser(commands: Any) -> None:
    """Register the command."""
    parser = commands.add_parser(
        "report",
        help="summarise a batch of decisions",
        description="Summarise decisions (the JSON Lines of 'evaluate' or 'explain' --format jsonl): counts per "
        "verdict, per failing rule, per outstanding action and per committee, and a table of applicants "
        "linking to their explanations.",
    )
    parser.add_argument("results", metavar="RESULTS.jsonl", help="decisions, one JSON object a line, or - for stdin")
    parser.add_argument(
        "--format", choices=("html", "text", "json"), default="html", help="output format (default: html)"
    )
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the page")
    parser.add_argument(
        "--policy", default=DEFAULT_POLICY, metavar="NAME|PATH", help="the policy the decisions come from, for labels"
    )
    parser.add_argument(
        "--group-by",
        action="append",
        metavar="OUTPUT.FIELD",
        help="group by this output field (repeatable; "
        "default: every text field of the outputs that differs across the batch, e.g. committee.recommender)",
    )
    parser.add_argument(
        "--out-dir",
        metavar="DIR",
        help="write DIR/index.html and one explanation page per applicant under DIR/explanations/",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Read the decisions and write the summary."""
    policy = load_policy(args.policy)
    records: list[dict[str, Any]] = []
    for item in read_documents(args.results):
        if item.error is not None:
            raise InputFileError(f"{item.source}: {item.error}")
        if not isinstance(item.document, dict) or not ("verdict" in item.document or "error" in item.document):
            raise InputFileError(f"{item.source}: not a decision (no 'verdict' nor 'error' key)")
        records.append(item.document)
    summary = summarize(records, args.group_by)
    if args.format == "json":
        sys.stdout.write(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    if args.format == "text":
        sys.stdout.write(render_report_text(summary, args.lang))
        return EXIT_OK
    page = render_report_html(summary, args.lang, policy.checked.document)
    if args.out_dir is None:
        sys.stdout.write(page)
        return EXIT_OK
    out = Path(args.out_dir)
    try:
        (out / "explanations").mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text(page, encoding="utf-8")
        for position, record in enumerate(records, start=1):
            if "verdict" not in record:
                continue
            html = render_html(record, args.lang, policy.output_labels, policy.checked.document)
            (out / "explanations" / f"{file_stem(record.get('applicant'), position)}.html").write_text(html, "utf-8")
    except OSError as error:
        raise InputFileError(f"{out}: {error.strerror or error}") from None
    return EXIT_OK
