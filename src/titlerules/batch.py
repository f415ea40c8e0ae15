"""Deciding a stream of documents on several cores, in input order, in bounded memory.

:func:`decide_stream` takes the documents as ``(source, text)`` pairs (as
:func:`titlerules.inputs.read_texts` reads them, unparsed) and yields, chunk by chunk and
in input order, what each one becomes: a :class:`Result` holding the bytes to write. With
one job everything runs in this process; with more, a pool of worker processes parses,
decides and serialises, each worker loading the policy once. At most ``WINDOW`` chunks
per worker are in flight, so the memory used does not grow with the length of the input.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime
import json
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from typing import Any, NamedTuple

import attrs

from .decision import Decision
from .errors import TitlerulesError
from .inputs import error_record, parse_item
from .policy import Policy
from .render import render_text

CHUNK = 64  # documents sent to a worker at a time
WINDOW = 4  # chunks in flight per worker


class BatchError(TitlerulesError):
    """A worker process of a batch died (killed, or out of memory). Every result before
    the first one lost was already yielded, in order."""

    code = "batch-worker"


class Result(NamedTuple):
    """What one document became: ``data`` is, encoded as UTF-8, the decision or the error
    record in the requested format, or, for a refused document in ``text`` format, the
    one-line message ``SOURCE: MESSAGE``. ``refused`` is true when the document could not
    be decided.

    A result travels from a worker process as bytes, encoded once, and is written as it
    came; ``text`` decodes it for a reader who wants a string."""

    refused: bool
    data: bytes

    @property
    def text(self) -> str:
        """``data`` decoded."""
        return self.data.decode("utf-8")


@attrs.frozen
class Options:
    """How each document is decided and written."""

    format: str = "jsonl"  # text, json or jsonl
    as_of: datetime.date | None = None
    lang: str = "zh"
    verbose: bool = False


class Decider:
    """Turns one document's text into its :class:`Result` with one policy and options."""

    def __init__(self, policy: Policy, options: Options) -> None:
        self.policy = policy
        self.options = options
        self.key = policy.checked.key_field

    def __call__(self, source: str, text: str) -> Result:
        """The result for the document read from ``source``."""
        item = parse_item(source, text)
        decision: Decision | None = None
        error: TitlerulesError | None = item.error
        if error is None:
            try:
                decision = self.policy.evaluate(item.document, as_of=self.options.as_of)
            except TitlerulesError as failure:
                error = failure
        fmt = self.options.format
        if error is not None:
            if fmt == "text":
                return Result(True, f"{item.source}: {error}".encode())
            record = error_record(item, error, self.key)
            return Result(True, _dumps(record, fmt))
        assert decision is not None
        if fmt == "text":
            policy = self.policy
            rendered = render_text(
                decision, self.options.lang, policy.output_labels, policy.checked.document, self.options.verbose
            )
            return Result(False, rendered.encode())
        return Result(False, _dumps(decision.to_dict(), fmt))

    def chunk(self, items: list[tuple[str, str]]) -> list[Result]:
        """The results of a chunk of documents, in order."""
        return [self(source, text) for source, text in items]


def _dumps(value: Any, fmt: str) -> bytes:
    if fmt == "json":
        return json.dumps(value, ensure_ascii=False, indent=2).encode()
    return json.dumps(value, ensure_ascii=False).encode()


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def chunks(items: Iterable[tuple[str, str]], size: int = CHUNK) -> Iterator[list[tuple[str, str]]]:
    """``items`` in lists of ``size``. When reading fails part-way, the items read before
    the failure come out first, then the error is raised."""
    chunk: list[tuple[str, str]] = []
    failure: BaseException | None = None
    try:
        for item in items:
            chunk.append(item)
            if len(chunk) == size:
                yield chunk
                chunk = []
    except Exception as error:
        failure = error
    if chunk:
        yield chunk
    if failure is not None:
        raise failure


def decide_stream(
    items: Iterable[tuple[str, str]],
    policy: Policy,
    options: Options,
    jobs: int = 1,
    chunk_size: int = CHUNK,
) -> Generator[list[Result], None, None]:
    """The results of ``items`` (``(source, text)`` pairs), in input order, a chunk at a
    time, decided by ``jobs`` processes (0: one per core; 1: this process, no pool).

    Input is read only as fast as results are taken: at most ``WINDOW`` chunks per worker
    are read ahead. Closing the generator early (a consumer that stops) shuts the pool
    down, cancelling what has not started. A worker that dies raises :class:`BatchError`
    after every result before the lost one has been yielded; an error raised while
    reading the input is raised after every document read before it.
    """
    if jobs <= 0:
        jobs = available_cores()
    if jobs == 1:
        decider = Decider(policy, options)
        for chunk in chunks(items, chunk_size):
            yield decider.chunk(chunk)
        return
    yield from _parallel(items, policy, options, jobs, chunk_size)


def _parallel(
    items: Iterable[tuple[str, str]], policy: Policy, options: Options, jobs: int, chunk_size: int
) -> Iterator[list[Result]]:
    methods = multiprocessing.get_all_start_methods()
    # Forking is cheapest: the policy is not loaded again. The pool starts before any
    # other thread of this process does.
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pool = concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_start_worker, initargs=(policy, options, os.getpid())
    )
    pending: deque[concurrent.futures.Future[list[Result]]] = deque()
    source = chunks(items, chunk_size)
    failure: BaseException | None = None
    try:
        while True:
            while failure is None and len(pending) < jobs * WINDOW:
                try:
                    chunk = next(source)
                except StopIteration:
                    break
                except Exception as error:  # reading failed: finish what was read, then raise
                    failure = error
                    break
                try:
                    pending.append(pool.submit(_worker_chunk, chunk))
                except BrokenProcessPool as error:
                    raise BatchError(_DIED) from error
            if not pending:
                break
            try:
                results = pending.popleft().result()
            except BrokenProcessPool as error:
                raise BatchError(_DIED) from error
            yield results
        if failure is not None:
            raise failure
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


_DIED = "a worker process died (killed, or out of memory?)"
_DECIDER: Decider | None = None


def _start_worker(policy: Policy, options: Options, parent: int) -> None:
    """In each worker: keep the policy, leave interrupts to the parent (which stops the
    pool), and end when the parent is gone.

    A worker leaves the parent's process group, so that Ctrl-C at a terminal, or a
    SIGTERM sent to the group, reaches the parent alone: it finishes the chunks under way
    and shuts the pool down. A worker keeps the default SIGTERM, which the pool uses to end
    its workers when one of them has died."""
    global _DECIDER
    _DECIDER = Decider(policy, options)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(os, "setpgid"):
        with contextlib.suppress(OSError):  # not permitted here: the handlers above still apply
            os.setpgid(0, 0)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    # A parent killed outright (SIGKILL) cannot stop its workers: they stop themselves.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _worker_chunk(items: list[tuple[str, str]]) -> list[Result]:
    assert _DECIDER is not None
    return _DECIDER.chunk(items)
