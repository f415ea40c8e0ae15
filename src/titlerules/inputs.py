"""Reading applicant documents from files: JSON, JSON Lines, or stdin, streamed.

Used by every command that reads documents. A bad line is an item carrying its error,
so a batch goes on past it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from .errors import InputError, InputProblem, TitlerulesError

JSONL_SUFFIXES = (".jsonl", ".ndjson")


class InputFileError(TitlerulesError):
    """An input file that cannot be read: missing, a directory, empty, not UTF-8."""

    code = "file"


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def parse_json(text: str) -> Any:
    """Parse one JSON document; duplicate keys and malformed JSON are input errors."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except _DuplicateKeyError as error:
        raise InputError([InputProblem("", f"duplicate key {error.args[0]!r} in an object", "duplicate-key")]) from None
    except json.JSONDecodeError as error:
        message = f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        raise InputError([InputProblem("", message, "json")]) from None
    except RecursionError:
        raise InputError([InputProblem("", "JSON nested too deeply", "too-deep")]) from None


class Item:
    """One document read from a file (``source`` is ``file`` or ``file:line``), or the
    input error that kept it from being read."""

    __slots__ = ("document", "error", "source")

    def __init__(self, source: str, document: Any = None, error: InputError | None = None) -> None:
        self.source = source
        self.document = document
        self.error = error


def _open(path: str) -> IO[str]:
    if path == "-":
        return sys.stdin
    try:
        return open(path, encoding="utf-8")
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory") from None
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except OSError as error:
        raise InputFileError(f"{path}: {error.strerror or error}") from None


def read_documents(path: str) -> Iterator[Item]:
    """The documents in a file: a JSON document, or JSON Lines (one document a line).

    A ``.jsonl``/``.ndjson`` file is JSON Lines and a ``.json`` file one document. Any
    other file, and stdin, is JSON Lines when its first non-blank line is a complete JSON
    value, and one document otherwise. Lines are read one at a time, so a JSON Lines file
    of any length streams.
    """
    for source, text in read_texts(path):
        yield parse_item(source, text)


def read_texts(path: str) -> Iterator[tuple[str, str]]:
    """The documents of a file as ``(source, text)``, not yet parsed, as
    :func:`read_documents` finds them: one per non-blank line of JSON Lines, or the whole
    text of a single document. Raises :class:`InputFileError` when the file cannot be read."""
    handle = _open(path)
    name = "<stdin>" if path == "-" else path
    try:
        lines = _lines(handle, name)
        first: tuple[int, str] | None = None
        for number, line in lines:
            if line.strip():
                first = (number, line)
                break
        if first is None:
            raise InputFileError(f"{name}: empty input, no document")
        jsonl = path.endswith(JSONL_SUFFIXES)
        if not jsonl and not path.endswith(".json"):
            try:
                json.loads(first[1])
                jsonl = True
            except (json.JSONDecodeError, RecursionError):
                jsonl = False
        if jsonl:
            yield f"{name}:{first[0]}", first[1]
            for number, line in lines:
                if line.strip():
                    yield f"{name}:{number}", line
            return
        yield name, first[1] + "".join(line for _, line in lines)
    finally:
        if handle is not sys.stdin:
            handle.close()


def parse_item(source: str, text: str) -> Item:
    """The document in ``text`` read from ``source``, or the input error that keeps it from
    being read."""
    try:
        return Item(source, parse_json(text))
    except InputError as error:
        return Item(source, error=error)


def _lines(handle: IO[str], name: str) -> Iterator[tuple[int, str]]:
    try:
        yield from enumerate(handle, start=1)
    except UnicodeDecodeError as error:
        raise InputFileError(f"{name}: not UTF-8 text ({error.reason})") from None


def applicant_of(document: Any, key: str | None) -> Any:
    """The applicant id of a raw document, if it has a string one under ``key``."""
    if isinstance(document, dict) and key and isinstance(document.get(key), str):
        return document[key]
    return None


def error_record(item: Item, error: TitlerulesError, key: str | None) -> dict[str, Any]:
    """The JSON line that stands for a document that could not be decided."""
    record: dict[str, Any] = {
        "applicant": applicant_of(item.document, key),
        "error": str(error),
        "code": error.code,
        "source": item.source,
    }
    if isinstance(error, InputError):
        record["errors"] = [{"path": p.path, "message": p.message, "code": p.code} for p in error.problems]
    return record
