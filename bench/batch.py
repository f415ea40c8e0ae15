"""The batch command's memory and speed: `titlerules evaluate --format jsonl --jobs N` on files
of generated documents, run as a user runs it (a fresh process, output to a file).

    python bench/batch.py                        # 10k, 100k and 1M documents, 2 jobs; speed-up at 20k
    python bench/batch.py --sizes 10000,100000   # a shorter run
    python bench/batch.py --sizes 2000 --speedup-size 2000   # a smoke run

For each size: wall time per document (raw, and without the start-up of the process, which
is measured on a one-document file), CPU time per document (every process of the batch),
and peak resident memory, both of the largest process (getrusage) and of all processes
together (sampled from /proc every 20 ms). Then the same file with 1 job and with 2: the
speed-up in wall time, with the CPU times beside it, so that a machine busy with other work
shows as CPU time that did not turn into speed. The documents are bench/documents.py's
seeded ones, streamed to a temporary file (about 1.2 kB each; the output is about 11 kB a
document: 11 GB at a million, deleted after each run; --discard writes it to /dev/null).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.documents import document  # noqa: E402

AS_OF = "2021-12-20"


class Run(NamedTuple):
    """One batch process: its wall and CPU seconds and peak memory in bytes."""

    documents: int
    jobs: int
    wall: float
    cpu: float
    max_rss: int  # the largest single process
    tree_rss: int  # all processes of the batch together, sampled


def write_documents(path: Path, count: int, seed: int = 2021) -> None:
    """``count`` generated documents as JSON Lines, written as they are generated."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            handle.write(json.dumps(document(rng, index)[0], ensure_ascii=False) + "\n")


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def run_batch(source: Path, count: int, jobs: int, output: str) -> Run:
    """Run the batch command once on ``source`` and measure it."""
    command = [sys.executable, "-m", "titlerules", "evaluate", "--format", "jsonl", "--as-of", AS_OF]
    command += ["--jobs", str(jobs), "--quiet", "--output", output, str(source)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    peak = 0
    done = threading.Event()
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            total = _rss(process.pid) + sum(_rss(child) for child in _children(process.pid))
            peak = max(peak, total)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode not in (0, 1):
        raise SystemExit(f"the batch failed ({process.returncode}): {stderr}")
    return Run(count, jobs, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, peak)


def _count_lines(output: str) -> int | None:
    if output == os.devnull:
        return None
    with open(output, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="documents per file, comma-separated")
    parser.add_argument("--jobs", type=int, default=2, help="jobs for the sizes table (default 2)")
    parser.add_argument("--speedup-size", type=int, default=20000, help="documents for 1 job against 2 (0: skip)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each speed-up measure; the best is kept")
    parser.add_argument("--discard", action="store_true", help="write the output to /dev/null")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    load = os.getloadavg()
    print(
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        output = os.devnull if args.discard else str(work / "out.jsonl")
        one = work / "one.jsonl"
        write_documents(one, 1)
        startup = min(run_batch(one, 1, args.jobs, output).wall for _ in range(3))
        print(f"start-up (one document, {args.jobs} jobs): {startup * 1e3:.0f} ms")
        print()
        print(
            "| documents | jobs | wall s | ms/doc | ms/doc without start-up | CPU ms/doc | peak RSS, largest process | peak RSS, all processes |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for size in sizes:
            source = work / f"in-{size}.jsonl"
            write_documents(source, size)
            run = run_batch(source, size, args.jobs, output)
            lines = _count_lines(output)
            if lines is not None and lines != size:
                raise SystemExit(f"{size} documents gave {lines} output lines")
            source.unlink()
            print(
                f"| {size:,} | {run.jobs} | {run.wall:.1f} | {run.wall / size * 1e3:.3f} "
                f"| {(run.wall - startup) / size * 1e3:.3f} | {run.cpu / size * 1e3:.3f} "
                f"| {run.max_rss / 2**20:.0f} MiB | {run.tree_rss / 2**20:.0f} MiB |",
                flush=True,
            )
        if args.speedup_size:
            size = args.speedup_size
            source = work / f"in-{size}.jsonl"
            write_documents(source, size)
            best: dict[int, Run] = {}
            for _ in range(args.rounds):
                for jobs in (1, 2):
                    run = run_batch(source, size, jobs, output)
                    if jobs not in best or run.wall < best[jobs].wall:
                        best[jobs] = run
            single, double = best[1], best[2]
            print()
            print(f"speed-up on {size:,} documents (best of {args.rounds}):")
            print(f"  1 job:  {single.wall:.1f} s wall, {single.cpu:.1f} s CPU")
            print(f"  2 jobs: {double.wall:.1f} s wall, {double.cpu:.1f} s CPU")
            print(
                f"  speed-up {single.wall / double.wall:.2f}x (CPU time 2 jobs / 1 job: {double.cpu / single.cpu:.2f})"
            )
            net = (single.wall - startup) / (double.wall - startup)
            print(f"  speed-up without the start-up of the process: {net:.2f}x")
            print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
