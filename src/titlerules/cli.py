"""The ``titlerules`` command.

Each subcommand lives in :mod:`titlerules.commands` and registers itself through
``add_parser``. Every failure ends in a one-line message on stderr and a documented exit
code (docs/cli.md); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from .commands.common import (
    EXIT_FILE,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_POLICY,
    EXIT_REJECTED,
    EXIT_RESUME,
    EXIT_USAGE,
)
from .errors import PolicyError, PolicyNotFoundError, TitlerulesError
from .inputs import InputFileError
from .resume import ResumeError
from .version import __version__

# The subcommands, in the order `titlerules --help` lists them.
COMMANDS = ("evaluate", "explain", "report", "replay", "schema", "check", "fmt", "test", "doc", "diff")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``titlerules`` command."""
    parser = _Parser(
        prog="titlerules",
        description="Evaluate applicants against professional-title eligibility policies.",
    )
    parser.add_argument("--version", action="version", version=f"titlerules {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of failures")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    for name in COMMANDS:
        importlib.import_module(f"titlerules.commands.{name}").add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
        return code
    except PolicyError as error:
        # Already "file:line:col: error: ..." with the source line and a caret.
        return _fail(args, str(error), EXIT_POLICY, prefix=False)
    except PolicyNotFoundError as error:
        return _fail(args, str(error), EXIT_POLICY)
    except InputFileError as error:
        return _fail(args, str(error), EXIT_FILE)
    except ResumeError as error:
        return _fail(args, str(error), EXIT_RESUME)
    except TitlerulesError as error:
        return _fail(args, str(error), EXIT_REJECTED)
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("titlerules: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        return _fail(
            args,
            f"internal error: {type(error).__name__}: {error} (run with --debug for the traceback)",
            EXIT_INTERNAL,
        )


def _fail(args: argparse.Namespace, message: str, code: int, prefix: bool = True) -> int:
    if getattr(args, "debug", False):
        traceback.print_exc()
    print(f"titlerules: {message}" if prefix else message, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
