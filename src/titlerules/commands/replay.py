"""``titlerules replay``: re-evaluate a recorded decision and say whether it is reproduced."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import InputError, InputProblem
from ..inputs import InputFileError, read_documents
from ..policy import load_policy
from ..replay import replay
from .common import EXIT_DIFFERS, EXIT_OK


def add_parser(commands: Any) -> None:
    """Register the command."""
    parser = commands.add_parser(
        "replay",
        help="re-evaluate a recorded decision: reproduced, or what differs",
        description="Evaluate DOCUMENT again as DECISION records it (its policy, as_of) and compare: "
        "exit 0 when the decision is reproduced, 6 with every difference when not. Warns when the policy "
        "text or the library version differs from those that made the decision.",
    )
    parser.add_argument(
        "decision", metavar="DECISION.json", help="a decision's JSON (titlerules evaluate --format json)"
    )
    parser.add_argument("document", metavar="DOCUMENT.json", help="the applicant document it was made on")
    parser.add_argument(
        "--policy",
        metavar="NAME|PATH",
        help="the policy to replay with (default: the bundled policy the decision names)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    parser.set_defaults(handler=run)


def _one(path: str, what: str) -> Any:
    items = list(read_documents(path))
    if not items:
        raise InputFileError(f"{path}: empty file; expected {what}")
    if len(items) > 1:
        raise InputFileError(f"{path}: holds {len(items)} documents; expected {what}")
    item = items[0]
    if item.error is not None:
        raise InputError([InputProblem(p.path, f"{path}: {p.message}", p.code) for p in item.error.problems])
    return item.document


def run(args: argparse.Namespace) -> int:
    """Replay one decision."""
    recorded = _one(args.decision, "one decision")
    document = _one(args.document, "one applicant document")
    policy = load_policy(args.policy) if args.policy else None
    try:
        result = replay(recorded, document, policy)
    except InputError as error:
        message = f"{args.decision}: not a decision's JSON: {error}"
        raise InputError([InputProblem("", message, error.code)]) from None
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(result.render() + "\n")
    return EXIT_OK if result.reproduced else EXIT_DIFFERS
