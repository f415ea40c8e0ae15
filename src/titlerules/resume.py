"""Resuming a batch from its own output: the JSON Lines written so far are the checkpoint.

A batch writes one line per document, in input order, each line whole. After an
interruption the output holds the first N documents' lines, and perhaps part of one more
if the process was killed outright. :func:`read_checkpoint` counts the complete lines and
finds where a torn one starts; :func:`skip_done` checks, by deciding them again, that the
first and the last complete line are what this input, policy and options write, and skips
the N documents; :func:`cut_torn_line` then drops the torn end so that appending continues
the file as an uninterrupted run would have written it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator

import attrs

from .errors import TitlerulesError
from .inputs import InputFileError

# An error record begins with the applicant (a string or null), then "error".
_ERROR_LINE = re.compile(rb'\{"applicant": (?:null|"(?:[^"\\]|\\.)*"), "error": ')
_BLOCK = 1 << 20


class ResumeError(TitlerulesError):
    """The output file to resume was not written by this command: another input, policy
    or ``--as-of``, or more lines than the input has documents. Nothing is changed."""

    code = "resume-mismatch"


@attrs.frozen
class Checkpoint:
    """What an output file holds: ``lines`` complete lines ending at byte ``end``, of which
    ``refused`` are error records; ``first`` and ``last`` are the first and last complete
    lines (without the newline); ``torn`` bytes of an incomplete line follow ``end``."""

    lines: int
    end: int
    torn: int
    refused: int
    first: str | None
    last: str | None


def read_checkpoint(path: str) -> Checkpoint:
    """The checkpoint of the output file at ``path``; a file that does not exist is an
    empty checkpoint (the batch starts from the beginning)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed by the with below)
    except FileNotFoundError:
        return Checkpoint(0, 0, 0, 0, None, None)
    except OSError as error:
        raise InputFileError(f"{path}: {error.strerror or error}") from None
    lines = refused = end = 0
    first: bytes | None = None
    last: bytes | None = None
    tail = b""
    with handle:
        for line in handle:
            if not line.endswith(b"\n"):
                tail = line
                break
            lines += 1
            end += len(line)
            if first is None:
                first = line
            last = line
            if _ERROR_LINE.match(line):
                refused += 1
    return Checkpoint(lines, end, len(tail), refused, _text(path, first), _text(path, last))


def _text(path: str, line: bytes | None) -> str | None:
    if line is None:
        return None
    try:
        return line.rstrip(b"\n").decode("utf-8")
    except UnicodeDecodeError:
        raise ResumeError(f"{path}: not UTF-8 text, so not the output of a batch; nothing was changed") from None


def skip_done(
    checkpoint: Checkpoint,
    items: Iterator[tuple[str, str]],
    decide: Callable[[str, str], str],
    path: str,
) -> Iterator[tuple[str, str]]:
    """``items`` past the ``checkpoint.lines`` documents already written, after checking
    that ``decide(source, text)`` gives again the first and the last line written.

    Raises :class:`ResumeError` when they differ, or when the input has fewer documents
    than the output has lines.
    """
    if checkpoint.lines == 0:
        return items
    first: tuple[str, str] | None = None
    last: tuple[str, str] | None = None
    count = 0
    for item in items:
        count += 1
        if count == 1:
            first = item
        if count == checkpoint.lines:
            last = item
            break
    if last is None or first is None:
        raise ResumeError(
            f"{path} holds {checkpoint.lines} lines but the input has only {count} documents:"
            " it is the output of another input; nothing was changed"
        )
    for number, (source, text), written in ((1, first, checkpoint.first), (checkpoint.lines, last, checkpoint.last)):
        if decide(source, text) != written:
            raise ResumeError(
                f"{path}:{number} is not what this command writes for {source}: the output of another"
                " input, policy or --as-of; nothing was changed"
            )
    return items


def cut_torn_line(path: str, checkpoint: Checkpoint) -> None:
    """Drop the incomplete line at the end of ``path``, if any."""
    if checkpoint.torn:
        os.truncate(path, checkpoint.end)
