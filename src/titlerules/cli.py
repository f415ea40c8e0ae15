"""The ``titlerules`` command.

Every failure ends in a one-line message on stderr and a documented exit code
(docs/cli.md); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import IO, Any, NoReturn

from .decision import Decision
from .errors import InputError, InputProblem, PolicyError, PolicyNotFoundError, TitlerulesError
from .policy import Policy, load_policy
from .render import render_text
from .version import __version__

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_POLICY = 3
EXIT_FILE = 4

DEFAULT_POLICY = "lishui-2021-crafts"
JSONL_SUFFIXES = (".jsonl", ".ndjson")


class InputFileError(TitlerulesError):
    """An input file that cannot be read."""

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
        raise InputError(
            [InputProblem("", f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}", "json")]
        ) from None
    except RecursionError:
        raise InputError([InputProblem("", "JSON nested too deeply", "too-deep")]) from None


class _Item:
    """One document to evaluate, or the error that stopped it being read."""

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


def read_documents(path: str) -> Iterator[_Item]:
    """The documents in a file: a JSON document, or JSON Lines (one document a line).

    A ``.jsonl``/``.ndjson`` file is JSON Lines and a ``.json`` file one document. Any
    other file, and stdin, is JSON Lines when its first non-blank line is a complete JSON
    value, and one document otherwise.
    Lines are read one at a time, so a JSON Lines file of any length streams.
    """
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
            yield _line_item(name, *first)
            for number, line in lines:
                if line.strip():
                    yield _line_item(name, number, line)
            return
        rest = "".join(line for _, line in lines)
        text = first[1] + rest
        try:
            yield _Item(name, parse_json(text))
        except InputError as error:
            yield _Item(name, error=error)
    finally:
        if handle is not sys.stdin:
            handle.close()


def _lines(handle: IO[str], name: str) -> Iterator[tuple[int, str]]:
    try:
        yield from enumerate(handle, start=1)
    except UnicodeDecodeError as error:
        raise InputFileError(f"{name}: not UTF-8 text ({error.reason})") from None


def _line_item(name: str, number: int, line: str) -> _Item:
    source = f"{name}:{number}"
    try:
        return _Item(source, parse_json(line))
    except InputError as error:
        return _Item(source, error=error)


def _applicant_of(document: Any, policy: Policy) -> Any:
    key = policy.checked.key_field
    if isinstance(document, dict) and key and isinstance(document.get(key), str):
        return document[key]
    return None


def _error_record(item: _Item, error: TitlerulesError, policy: Policy) -> dict[str, Any]:
    record: dict[str, Any] = {
        "applicant": _applicant_of(item.document, policy),
        "error": str(error),
        "code": error.code,
        "source": item.source,
    }
    if isinstance(error, InputError):
        record["errors"] = [{"path": p.path, "message": p.message, "code": p.code} for p in error.problems]
    return record


def _evaluate_command(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    as_of = args.as_of
    labels = policy.output_labels
    rejected = 0
    out = sys.stdout
    first_json: str | None = None
    count = 0

    def emit_json(text: str) -> None:
        nonlocal first_json, count
        count += 1
        if count == 1:
            first_json = text
            return
        if count == 2:
            out.write("[\n" + _indent(first_json or "") + ",\n")
        else:
            out.write(",\n")
        out.write(_indent(text))

    for path in args.files:
        for item in read_documents(path):
            decision: Decision | None = None
            error: TitlerulesError | None = item.error
            if error is None:
                try:
                    decision = policy.evaluate(item.document, as_of=as_of)
                except TitlerulesError as failure:
                    error = failure
            if error is not None:
                rejected += 1
                record = _error_record(item, error, policy)
                if args.format == "jsonl":
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                elif args.format == "json":
                    emit_json(json.dumps(record, ensure_ascii=False, indent=2))
                else:
                    print(f"{item.source}: {error}", file=sys.stderr)
                continue
            assert decision is not None
            if args.format == "jsonl":
                out.write(json.dumps(decision.to_dict(), ensure_ascii=False) + "\n")
            elif args.format == "json":
                emit_json(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))
            else:
                if count:
                    out.write("\n")
                count += 1
                out.write(render_text(decision, args.lang, labels, policy.checked.document) + "\n")
    if args.format == "json":
        if count == 1:
            out.write((first_json or "") + "\n")
        elif count > 1:
            out.write("\n]\n")
    return EXIT_REJECTED if rejected else EXIT_OK


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _date(value: str) -> datetime.date:
    try:
        if len(value) != 10:
            raise ValueError
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


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

    evaluate = commands.add_parser(
        "evaluate",
        help="decide on applicant documents",
        description="Decide on applicant documents: JSON files, JSON Lines files, or - for stdin.",
    )
    evaluate.add_argument(
        "--policy",
        default=DEFAULT_POLICY,
        metavar="NAME|PATH",
        help=f"a bundled policy id or a .policy file (default: {DEFAULT_POLICY})",
    )
    evaluate.add_argument("--as-of", type=_date, metavar="YYYY-MM-DD", help="the day of the evaluation")
    evaluate.add_argument(
        "--format", choices=("text", "json", "jsonl"), default="text", help="output format (default: text)"
    )
    evaluate.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of text output")
    evaluate.add_argument("files", nargs="+", metavar="FILE", help="JSON or JSONL file, or - for stdin")
    evaluate.set_defaults(handler=_evaluate_command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
        return code
    except PolicyError as error:
        # Already "file:line:col: error: ..." with the source line and a caret.
        _fail(args, str(error), prefix=False)
        return EXIT_POLICY
    except PolicyNotFoundError as error:
        _fail(args, str(error))
        return EXIT_POLICY
    except InputFileError as error:
        _fail(args, str(error))
        return EXIT_FILE
    except TitlerulesError as error:
        _fail(args, str(error))
        return EXIT_REJECTED
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        print("titlerules: interrupted", file=sys.stderr)
        return 130
    except Exception:
        if args.debug:
            traceback.print_exc()
        else:
            exc = sys.exc_info()[1]
            print(
                f"titlerules: internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
                file=sys.stderr,
            )
        return 70


def _fail(args: argparse.Namespace, message: str, prefix: bool = True) -> None:
    if getattr(args, "debug", False):
        traceback.print_exc()
    print(f"titlerules: {message}" if prefix else message, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
