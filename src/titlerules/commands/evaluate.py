"""``titlerules evaluate``: decide on applicant documents.

Documents stream through :func:`titlerules.batch.decide_stream` (in this process, or on
``--jobs`` worker processes) and are written in input order. SIGINT and SIGTERM stop the
command after the chunk being written, with every output line complete and a summary on
stderr; ``--resume`` continues a JSON Lines ``--output`` file (:mod:`titlerules.resume`).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from types import FrameType
from typing import IO, Any

from ..batch import BatchError, Decider, Options, Result, available_cores, decide_stream
from ..inputs import InputFileError, read_texts
from ..policy import load_policy
from ..resume import cut_torn_line, read_checkpoint, skip_done
from .common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    EXIT_WORKER,
    as_of_date,
)

DEFAULT_POLICY = "lishui-2021-crafts"


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {value!r}") from None
    if jobs < 0:
        raise argparse.ArgumentTypeError(f"expected 0 (every core) or more, got {jobs}")
    return jobs


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
    parser.add_argument(
        "-j", "--jobs", type=_jobs, default=1, metavar="N", help="decide on N processes (0: one per core; default 1)"
    )
    parser.add_argument("-o", "--output", metavar="OUT", help="write to OUT instead of standard output")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="with --format jsonl --output OUT: continue after the lines OUT already holds",
    )
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--progress", action="store_true", help="show the progress bar on a non-terminal too")
    shown.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("files", nargs="+", metavar="FILE", help="JSON or JSONL file, or - for stdin")
    parser.set_defaults(handler=run)


class _JsonOutput:
    """One decision as an object; several as an array, written as they come."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.count = 0
        self.first: str | None = None

    def write(self, text: str) -> None:
        self.count += 1
        if self.count == 1:
            self.first = text
            return
        if self.count == 2:
            self.out.write("[\n" + _indent(self.first or "") + ",\n")
        else:
            self.out.write(",\n")
        self.out.write(_indent(text))

    def close(self) -> None:
        if self.count == 1:
            self.out.write((self.first or "") + "\n")
        elif self.count > 1:
            self.out.write("\n]\n")


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


class _Stop:
    """SIGINT and SIGTERM ask the command to stop after the chunk being written; a
    second SIGINT stops at once."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self.previous: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            self.previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signal == signal.SIGINT and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal = signum


class _Counted:
    """An iterator that counts what was taken from it."""

    def __init__(self, items: Iterator[tuple[str, str]]) -> None:
        self.items = items
        self.count = 0

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for item in self.items:
            self.count += 1
            yield item


def count_documents(paths: Iterable[str]) -> int | None:
    """About how many documents the files hold (their non-empty lines; a ``.json`` file is
    one), for the progress bar; ``None`` for standard input or a file that cannot be read."""
    total = 0
    for path in paths:
        if path == "-":
            return None
        if path.endswith(".json"):
            total += 1
            continue
        try:
            with open(path, "rb") as handle:
                last = b"\n"
                while block := handle.read(1 << 20):
                    total += block.count(b"\n")
                    last = block[-1:]
                total += last != b"\n"
        except OSError:
            return None
    return total


def _all_texts(paths: list[str]) -> Iterator[tuple[str, str]]:
    for path in paths:
        yield from read_texts(path)


def _open_output(path: str, mode: str) -> IO[str]:
    try:
        return open(path, mode, encoding="utf-8")
    except OSError as error:
        raise InputFileError(f"{path}: cannot write: {error.strerror or error}") from None


def run(args: argparse.Namespace) -> int:
    """Evaluate every document of every file, in order."""
    if args.resume and (args.output is None or args.format != "jsonl"):
        print("titlerules: evaluate: --resume needs --format jsonl and --output OUT", file=sys.stderr)
        return EXIT_USAGE
    policy = load_policy(args.policy)
    options = Options(format=args.format, as_of=args.as_of, lang=args.lang, verbose=args.verbose)
    decider = Decider(policy, options)
    items: Iterator[tuple[str, str]] = _all_texts(args.files)
    done = refused = 0
    if args.resume:
        checkpoint = read_checkpoint(args.output)
        items = skip_done(checkpoint, items, lambda source, text: decider(source, text).text, args.output)
        cut_torn_line(args.output, checkpoint)
        done, refused = checkpoint.lines, checkpoint.refused
    out = sys.stdout if args.output is None else _open_output(args.output, "a" if args.resume else "w")
    show = args.progress or (not args.quiet and sys.stderr.isatty())
    jobs = args.jobs or available_cores()
    stop = _Stop()
    counted = _Counted(items)
    writer = _Writer(args.format, out)
    stream = decide_stream(counted, policy, options, jobs)
    progress = _progress(args.files, done, show)
    failure: BatchError | None = None
    stop.install()
    try:
        try:
            for chunk in stream:
                writer.write(chunk)
                if progress is not None:
                    progress.update(len(chunk))
                if stop.signal is not None:
                    break
        except BatchError as error:
            failure = error
        finally:
            stream.close()
            stop.restore()
            if progress is not None:
                progress.close()
        # Not after an input file error: a JSON array already opened stays open (cli.md).
        writer.close()
    finally:
        out.flush()
        if out is not sys.stdout:
            out.close()
    summary = _summary(args, done, writer.count, counted.count)
    if failure is not None:
        print(f"titlerules: {failure}; {summary}", file=sys.stderr)
        return EXIT_WORKER
    if stop.signal is not None:
        name = "SIGINT" if stop.signal == signal.SIGINT else "SIGTERM"
        print(f"titlerules: stopped by {name}: {summary}", file=sys.stderr)
        return EXIT_INTERRUPTED if stop.signal == signal.SIGINT else EXIT_TERMINATED
    return EXIT_REJECTED if refused + writer.refused else EXIT_OK


class _Writer:
    """Writes results in the output format, a chunk at a time, each chunk flushed whole."""

    def __init__(self, fmt: str, out: IO[str]) -> None:
        self.fmt = fmt
        self.out = out
        self.as_json = _JsonOutput(out)
        self.count = 0  # documents written (decisions and refusals)
        self.refused = 0
        self.decided = 0

    def write(self, chunk: list[Result]) -> None:
        if self.fmt == "jsonl":
            lines = b"".join(result.data + b"\n" for result in chunk)
            binary = getattr(self.out, "buffer", None)
            if binary is None:  # a text stream only (sys.stdout replaced by a caller)
                self.out.write(lines.decode("utf-8"))
            else:
                self.out.flush()
                binary.write(lines)
        elif self.fmt == "json":
            for result in chunk:
                self.as_json.write(result.text)
        else:
            for result in chunk:
                if result.refused:
                    self.out.flush()
                    print(result.text, file=sys.stderr)
                    continue
                if self.decided:
                    self.out.write("\n")
                self.out.write(result.text + "\n")
                self.decided += 1
        self.out.flush()
        self.count += len(chunk)
        self.refused += sum(result.refused for result in chunk)

    def close(self) -> None:
        if self.fmt == "json":
            self.as_json.close()
        self.out.flush()


def _summary(args: argparse.Namespace, done: int, written: int, read: int) -> str:
    text = f"{written:,} documents written, {read:,} read"
    if done:
        text += f" (after the {done:,} already in {args.output})"
    if args.output is not None and args.format == "jsonl":
        text += f"; {args.output} ends with a complete line: the same command with --resume continues"
    return text


def _progress(paths: list[str], done: int, show: bool) -> Any:
    if not show:
        return None
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked
    return tqdm(
        total=count_documents(paths),
        initial=done,
        unit=" docs",
        unit_scale=True,
        file=sys.stderr,
        mininterval=0.5,
        smoothing=0.05,
        dynamic_ncols=True,
    )
