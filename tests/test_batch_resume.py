"""Nothing is lost: a real batch process stopped mid-run by SIGINT, SIGTERM or SIGKILL, or
losing a worker, leaves whole lines, and ``--resume`` completes the output byte for byte
as an uninterrupted run writes it. A resume against another input is refused."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from titlerules.commands.common import EXIT_INTERRUPTED, EXIT_RESUME, EXIT_TERMINATED, EXIT_WORKER

from .conftest import ROOT

sys.path.insert(0, str(ROOT))

from bench.documents import generate

COUNT = 3000
BAD_LINES = (10, 1500)


def command(source: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "titlerules", "evaluate", "--format", "jsonl", "-o", str(out), *extra, str(source)]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """The input (generated documents with two bad lines) and its uninterrupted output."""
    folder = tmp_path_factory.mktemp("resume")
    source = folder / "in.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for number, (document, _) in enumerate(generate(COUNT, seed=2021), start=1):
            handle.write("{broken\n" if number in BAD_LINES else json.dumps(document, ensure_ascii=False) + "\n")
    full = folder / "full.jsonl"
    done = subprocess.run(command(source, full, "-j", "2"), capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stderr  # the two bad lines
    return source, full.read_bytes()


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _start(source: Path, out: Path, jobs: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(command(source, out, "-j", jobs), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while _lines(out) < 100:  # well started, far from finished
        assert process.poll() is None, "the batch ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return process


def _resume(source: Path, out: Path, jobs: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(source, out, "-j", jobs, "--resume"), capture_output=True, text=True, check=False)


def _workers(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


@pytest.mark.parametrize(
    ("signum", "code", "jobs"),
    [(signal.SIGINT, EXIT_INTERRUPTED, "2"), (signal.SIGTERM, EXIT_TERMINATED, "2"), (signal.SIGTERM, 143, "1")],
)
def test_a_stopped_batch_ends_on_a_whole_line_and_resumes_to_the_same_output(
    files: tuple[Path, bytes], tmp_path: Path, signum: int, code: int, jobs: str
) -> None:
    source, full = files
    out = tmp_path / "out.jsonl"
    process = _start(source, out, jobs)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code
    partial = out.read_bytes()
    assert partial.endswith(b"\n") and full.startswith(partial)
    lines = partial.count(b"\n")
    assert 0 < lines < COUNT
    name = signal.Signals(signum).name
    summary = re.fullmatch(rf"titlerules: stopped by {name}: ([\d,]+) documents written, ([\d,]+) read; (.*)\n", stderr)
    assert summary is not None, stderr
    assert int(summary[1].replace(",", "")) == lines <= int(summary[2].replace(",", ""))
    assert "--resume continues" in summary[3]
    resumed = _resume(source, out, jobs)
    assert resumed.returncode == 1, resumed.stderr  # the bad lines, whether before or after the stop
    assert out.read_bytes() == full


def test_a_killed_batch_resumes_to_the_same_output_and_its_workers_end(
    files: tuple[Path, bytes], tmp_path: Path
) -> None:
    source, full = files
    out = tmp_path / "out.jsonl"
    process = _start(source, out, "2")
    workers = _workers(process.pid)
    assert len(workers) == 2
    process.kill()
    process.communicate(timeout=30)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and _state(pid) != "Z" for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived its killed parent"
        time.sleep(0.05)
    partial = out.read_bytes()
    whole = partial[: partial.rfind(b"\n") + 1]
    assert full.startswith(whole)  # at most the last line is torn
    assert _resume(source, out, "2").returncode == 1
    assert out.read_bytes() == full


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "Z"


def test_a_torn_last_line_is_cut_before_resuming(files: tuple[Path, bytes], tmp_path: Path) -> None:
    source, full = files
    out = tmp_path / "out.jsonl"
    cut = full.index(b"\n", len(full) // 3) + 1
    out.write_bytes(full[: cut + 123])  # a third of the lines, then part of the next
    assert _resume(source, out, "2").returncode == 1
    assert out.read_bytes() == full


def test_a_lost_worker_is_one_line_and_the_output_resumes(files: tuple[Path, bytes], tmp_path: Path) -> None:
    source, full = files
    out = tmp_path / "out.jsonl"
    process = _start(source, out, "2")
    os.kill(_workers(process.pid)[0], signal.SIGKILL)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == EXIT_WORKER
    assert stderr.startswith("titlerules: a worker process died")
    assert stderr.count("\n") == 1 and "--resume continues" in stderr
    partial = out.read_bytes()
    assert partial.endswith(b"\n") and full.startswith(partial)
    assert _resume(source, out, "2").returncode == 1
    assert out.read_bytes() == full


def test_resuming_from_another_input_is_refused_and_changes_nothing(files: tuple[Path, bytes], tmp_path: Path) -> None:
    source, full = files
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps(d) + "\n" for d, _ in generate(1000, seed=99)), "utf-8")
    out = tmp_path / "out.jsonl"
    kept = full[: full.index(b"\n", len(full) // 4) + 1] + b'{"applicant": "torn'
    out.write_bytes(kept)
    refused = _resume(other, out, "1")
    assert refused.returncode == EXIT_RESUME
    assert re.fullmatch(
        r"titlerules: \S+out\.jsonl:1 is not what this command writes for \S+other\.jsonl:1: .*\n", refused.stderr
    )
    assert out.read_bytes() == kept
    # The same input with another --as-of decides differently: refused too.
    as_of = subprocess.run(command(source, out, "--resume", "--as-of", "2022-03-01"), capture_output=True, text=True)
    assert as_of.returncode == EXIT_RESUME and out.read_bytes() == kept


def test_more_lines_than_documents_is_refused(files: tuple[Path, bytes], tmp_path: Path) -> None:
    source, full = files
    short = tmp_path / "short.jsonl"
    short.write_bytes(source.read_bytes()[: source.read_bytes().index(b"\n", 1000) + 1])
    out = tmp_path / "out.jsonl"
    out.write_bytes(full)
    refused = _resume(short, out, "1")
    assert refused.returncode == EXIT_RESUME
    assert f"holds {COUNT} lines but the input has only" in refused.stderr


def test_resuming_a_finished_output_changes_nothing(files: tuple[Path, bytes], tmp_path: Path) -> None:
    source, full = files
    out = tmp_path / "out.jsonl"
    out.write_bytes(full)
    again = _resume(source, out, "2")
    assert again.returncode == 1  # the bad lines written before count for the exit code
    assert again.stderr == ""
    assert out.read_bytes() == full
