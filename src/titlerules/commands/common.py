"""What the subcommands share: exit codes and argument types."""

from __future__ import annotations

import argparse
import datetime

EXIT_OK = 0
EXIT_REJECTED = 1  # some document was rejected (input or evaluation error); the rest were decided
EXIT_USAGE = 2  # bad command line
EXIT_POLICY = 3  # the policy cannot be loaded or does not check
EXIT_FILE = 4  # an input file cannot be read (or the --output file cannot be written)
EXIT_RESUME = 5  # evaluate --resume: the output file is not this command's output
EXIT_DIFFERS = 6  # replay: the decision made now differs from the recorded one
EXIT_WORKER = 7  # evaluate --jobs: a worker process died; the output holds every line before it
EXIT_INTERNAL = 70  # a bug: reported in one line, traceback with --debug
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C)
EXIT_TERMINATED = 143  # SIGTERM


def as_of_date(value: str) -> datetime.date:
    """An ``--as-of`` argument: a date as YYYY-MM-DD."""
    try:
        if len(value) != 10:
            raise ValueError
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None
