"""``titlerules schema``: JSON Schema for a policy's applicant documents or decisions."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..policy import load_policy
from ..schema import decision_schema, input_schema
from .common import EXIT_OK


def add_parser(commands: Any) -> None:
    """Register the command."""
    parser = commands.add_parser(
        "schema",
        help="print the JSON Schema of a policy's documents or decisions",
        description="Print JSON Schema (2020-12) generated from a policy's fact schema: of the applicant "
        "document it reads (--input) or of the decisions it makes (--decision).",
    )
    parser.add_argument("policy", metavar="POLICY", help="a bundled policy id or a .policy file")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--input", action="store_true", help="the applicant document")
    which.add_argument("--decision", action="store_true", help="the decision, explained or not")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the schema."""
    policy = load_policy(args.policy)
    schema = input_schema(policy) if args.input else decision_schema(policy)
    sys.stdout.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK
