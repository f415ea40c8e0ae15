"""``titlerules evaluate --jobs``: one output line per document, in input order, bad lines
in place as error records, whatever the number of processes; the progress bar on demand."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

import titlerules
from titlerules import cli
from titlerules.batch import Decider, Options, chunks, decide_stream
from titlerules.inputs import InputFileError, read_texts

from .conftest import ROOT

sys.path.insert(0, str(ROOT))

from bench.documents import generate

AS_OF = "2021-12-20"
# Lines that cannot be decided, put among the documents at these input lines.
BAD = {
    3: "not json at all\n",
    50: '{"id": "dup", "id": "dup"}\n',
    51: '{"id": "BAD-ENUM", "declared_level": "emperor"}\n',
    200: "[1, 2\n",
}
BLANK = 120  # a blank line, which is no document


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "titlerules", *args], capture_output=True, text=True, encoding="utf-8", check=False
    )


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[int, str]]]:
    """A JSON Lines file of 400 generated documents with bad lines and a blank one, and its
    non-blank lines as (line number, text)."""
    documents = iter(generate(400, seed=11))
    lines: list[str] = []
    for number in range(1, 406):
        if number in BAD:
            lines.append(BAD[number])
        elif number == BLANK:
            lines.append("\n")
        else:
            lines.append(json.dumps(next(documents)[0], ensure_ascii=False) + "\n")
    path = tmp_path_factory.mktemp("batch") / "in.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    return path, [(n, text) for n, text in enumerate(lines, start=1) if text.strip()]


def test_two_jobs_write_one_line_per_document_in_input_order(
    batch: tuple[Path, list[tuple[int, str]]], lishui: titlerules.Policy, tmp_path: Path
) -> None:
    path, lines = batch
    out = tmp_path / "out.jsonl"
    result = run("evaluate", "-j", "2", "--format", "jsonl", "--as-of", AS_OF, "--output", str(out), str(path))
    assert result.returncode == 1, result.stderr  # some documents were refused
    assert result.stdout == "" and result.stderr == ""
    written = out.read_text("utf-8").splitlines()
    assert len(written) == len(lines) == 404
    for (number, text), line in zip(lines, written, strict=True):
        record = json.loads(line)
        if number in BAD:
            assert record["source"] == f"{path}:{number}"
            assert record["error"]
        else:
            expected = lishui.evaluate(json.loads(text), as_of=AS_OF).to_dict()
            assert record == expected
    codes = [json.loads(written[i])["code"] for i in (2, 49, 50, 198)]
    assert codes == ["json", "duplicate-key", "enum", "json"]


@pytest.mark.parametrize("fmt", ["jsonl", "json", "text"])
def test_every_number_of_jobs_writes_the_same_bytes(batch: tuple[Path, list[tuple[int, str]]], fmt: str) -> None:
    path, _ = batch
    base = ["evaluate", "--format", fmt, "--lang", "en", "--as-of", AS_OF, str(path)]
    one = run(*base, "-j", "1")
    for jobs in ("2", "0") if fmt == "jsonl" else ("2",):
        many = run(*base, "--jobs", jobs)
        assert (many.returncode, many.stdout, many.stderr) == (one.returncode, one.stdout, one.stderr)
    if fmt == "json":
        assert len(json.loads(one.stdout)) == 404
    if fmt == "text":
        # Refused documents go to stderr, one line each, in input order.
        assert [line.split(": ")[0] for line in one.stderr.splitlines()] == [f"{path}:{n}" for n in sorted(BAD)]


def test_json_lines_reach_a_text_only_standard_output_unchanged(batch: tuple[Path, list[tuple[int, str]]]) -> None:
    # Results travel as bytes and go to the binary layer of the output; a caller that
    # replaced sys.stdout with a text-only stream gets the same lines as text.
    path, _ = batch
    args = ["evaluate", "--format", "jsonl", "--as-of", AS_OF, str(path)]
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(io.StringIO()):
        code = cli.main([*args, "-j", "2"])
    expected = run(*args)
    assert (code, captured.getvalue()) == (expected.returncode, expected.stdout)
    assert len(captured.getvalue().splitlines()) == 404


def test_the_stream_keeps_input_order_across_many_small_chunks(lishui: titlerules.Policy) -> None:
    documents = generate(60, seed=3)
    items = [(f"doc:{i}", json.dumps(d)) for i, (d, _) in enumerate(documents)]
    items[7] = ("doc:7", "{")
    options = Options(format="jsonl")
    parallel = [r for chunk in decide_stream(iter(items), lishui, options, jobs=2, chunk_size=3) for r in chunk]
    decider = Decider(lishui, options)
    assert parallel == [decider(source, text) for source, text in items]
    assert [r.refused for r in parallel].count(True) == 1 and parallel[7].refused


def test_a_reading_error_comes_after_every_document_read_before_it(tmp_path: Path, lishui: titlerules.Policy) -> None:
    first = tmp_path / "a.jsonl"
    first.write_text("".join(json.dumps(d) + "\n" for d, _ in generate(10, seed=1)), "utf-8")
    paths = [str(first), str(tmp_path / "missing.jsonl")]

    def texts() -> Iterator[tuple[str, str]]:
        for path in paths:
            yield from read_texts(path)

    got: list[str] = []
    with pytest.raises(InputFileError, match=r"missing\.jsonl: no such file"):
        for chunk in decide_stream(texts(), lishui, Options(), jobs=2, chunk_size=4):
            got.extend(r.text for r in chunk)
    assert len(got) == 10
    assert [json.loads(line)["applicant"] for line in got] == [d["id"] for d, _ in generate(10, seed=1)]


def test_chunks_yield_what_was_read_before_a_failure() -> None:
    def failing() -> Iterator[tuple[str, str]]:
        yield from [("a", "1"), ("b", "2"), ("c", "3")]
        raise InputFileError("x: not UTF-8 text")

    seen: list[list[tuple[str, str]]] = []
    with pytest.raises(InputFileError):
        for chunk in chunks(failing(), 2):
            seen.append(chunk)
    assert seen == [[("a", "1"), ("b", "2")], [("c", "3")]]


def test_a_missing_later_file_stops_after_the_earlier_files_lines(
    batch: tuple[Path, list[tuple[int, str]]], tmp_path: Path
) -> None:
    path, lines = batch
    out = tmp_path / "out.jsonl"
    result = run("evaluate", "-j", "2", "--format", "jsonl", "-o", str(out), str(path), str(tmp_path / "nope.jsonl"))
    assert result.returncode == 4
    assert result.stderr == f"titlerules: {tmp_path / 'nope.jsonl'}: no such file\n"
    assert len(out.read_text("utf-8").splitlines()) == len(lines)


def test_progress_bar_only_when_asked_off_a_terminal(batch: tuple[Path, list[tuple[int, str]]]) -> None:
    path, _ = batch
    base = ["evaluate", "--format", "jsonl", "--as-of", AS_OF, str(path)]
    plain = run(*base)
    assert plain.stderr == ""  # stderr is a pipe here: no bar
    shown = run(*base, "-j", "2", "--progress")
    assert "404/405" in shown.stderr.replace("\r", "\n")  # counted lines: the blank one is in the total
    assert "docs/s" in shown.stderr
    assert shown.stdout == plain.stdout
    assert run(*base, "--quiet").stderr == ""
    both = run(*base, "--quiet", "--progress")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_resume_needs_an_output_file_in_json_lines(batch: tuple[Path, list[tuple[int, str]]], tmp_path: Path) -> None:
    path, _ = batch
    no_output = run("evaluate", "--format", "jsonl", "--resume", str(path))
    assert no_output.returncode == 2
    assert no_output.stderr == "titlerules: evaluate: --resume needs --format jsonl and --output OUT\n"
    text = run("evaluate", "--resume", "-o", str(tmp_path / "o.txt"), str(path))
    assert text.returncode == 2


def test_bad_jobs_is_a_usage_error(batch: tuple[Path, list[tuple[int, str]]]) -> None:
    path, _ = batch
    for value, message in (("-1", "expected 0 (every core) or more, got -1"), ("two", "expected a number")):
        result = run("evaluate", "--jobs", value, str(path))
        assert result.returncode == 2 and message in result.stderr


def test_a_terminal_gets_the_progress_bar_with_rate_and_time_left(batch: tuple[Path, list[tuple[int, str]]]) -> None:
    path, _ = batch
    main, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 rows of 100 columns
    try:
        result = subprocess.run(
            [sys.executable, "-m", "titlerules", "evaluate", "--format", "jsonl", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            check=False,
        )
        os.close(terminal)
        shown = b""
        while True:
            try:
                block = os.read(main, 4096)
            except OSError:  # the terminal's other end is closed: all was read
                break
            if not block:
                break
            shown += block
    finally:
        os.close(main)
    assert result.returncode == 1
    text = shown.decode("utf-8")
    assert "404/405" in text and "docs/s" in text
    assert "<00:00" in text  # the time left, counted down to zero
