"""Every benchmark of the evaluator in one run, printed as one table.

    python bench/run.py [--documents N] [--rounds R] [--quick] [--batch N]

Times, on the same seeded documents (bench/documents.py) in this one process:
the hand-written reference (bench/reference.py), titlerules' explained decision
(``evaluate`` + ``to_dict``) and verdict-only API (``Policy.verdict``), and the peer
engines of bench/peers/, after checking that every one of them agrees with titlerules on
every document. Each time is the best of R interleaved rounds (cel-python: one round). Then the fresh-process load time of the
bundled policy, with the grammar cache cold (first process) and warm (second).
Ratios are what to compare; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import titlerules  # noqa: E402
from bench import reference  # noqa: E402
from bench.documents import generate  # noqa: E402

Docs = list[tuple[dict[str, Any], str | None]]


def best_times(
    contenders: dict[str, Callable[[dict[str, Any], str | None], Any]], docs: Docs, rounds: int
) -> dict[str, float]:
    """Seconds per document of each contender, best of ``rounds`` passes over ``docs``.

    Rounds are interleaved (each round times every contender once), so that a busy spell
    on the machine slows all of them alike rather than one.
    """
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(rounds):
        for name, fn in contenders.items():
            start = time.perf_counter()
            for doc, as_of in docs:
                fn(doc, as_of)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: seconds / len(docs) for name, seconds in best.items()}


def peers() -> list[Any]:
    """The peer engines that are installed (the ``bench`` extra)."""
    found = []
    for module in ("zen_peer", "rule_engine_peer", "cel_peer"):
        try:
            imported = __import__(f"bench.peers.{module}", fromlist=["Peer"])
        except ImportError as error:
            print(f"skipping {module}: {error}", file=sys.stderr)
            continue
        found.append(imported.Peer())
    return found


LOAD = "import time; t = time.perf_counter(); import titlerules; titlerules.load_policy('lishui-2021-crafts'); print(time.perf_counter() - t)"


def load_times() -> tuple[float, float]:
    """Seconds to import titlerules and load the bundled policy in a fresh process: with an
    empty grammar cache, then with the cache the first process wrote."""
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "TMPDIR": folder}
        times = []
        for _ in range(2):
            out = subprocess.run([sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, check=True)
            times.append(float(out.stdout))
    return times[0], times[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="200 documents, 2 rounds, no slow peers")
    parser.add_argument(
        "--batch", type=int, default=0, metavar="N", help="also time `evaluate --jobs` 1 and 2 on N documents"
    )
    args = parser.parse_args()
    if args.quick:
        args.documents, args.rounds = 200, 2
    docs = generate(args.documents)
    policy = titlerules.load_policy("lishui-2021-crafts")

    # Agreement first: a fast wrong answer is no answer.
    expected = [policy.evaluate(d, as_of=a) for d, a in docs]
    verdicts = [str(e.verdict) for e in expected]
    agree_dict = sum(reference.decide(d, a) == e.to_dict() for (d, a), e in zip(docs, expected, strict=True))
    agree_ref = sum(reference.verdict(d, a) == v for (d, a), v in zip(docs, verdicts, strict=True))
    agree_api = sum(str(policy.verdict(d, a)) == v for (d, a), v in zip(docs, verdicts, strict=True))
    engines = peers()
    peer_agree = {}
    for peer in engines:
        disagree = [i for i, ((d, a), v) in enumerate(zip(docs, verdicts, strict=True)) if peer.verdict(d, a) != v]
        peer_agree[peer.name] = len(docs) - len(disagree)
        for i in disagree[:5]:
            print(f"{peer.name} disagrees on document {i}: {peer.verdict(*docs[i])} vs {verdicts[i]}", file=sys.stderr)

    contenders: dict[str, Callable[[dict[str, Any], str | None], Any]] = {
        "reference dict": reference.decide,
        "reference verdict": reference.verdict,
        "explained": lambda d, a: policy.evaluate(d, as_of=a).to_dict(),
        "verdict": lambda d, a: policy.verdict(d, as_of=a),
    }
    # cel-python is two orders of magnitude slower: timed on one round only.
    contenders.update({peer.name: peer.verdict for peer in engines if peer.name != "cel-python"})
    times = best_times(contenders, docs, args.rounds)
    slow = [peer for peer in engines if peer.name == "cel-python" and not args.quick]
    times.update(best_times({peer.name: peer.verdict for peer in slow}, docs, 1))
    ref_dict, ref_verdict = times["reference dict"], times["reference verdict"]
    explained, verdict_only = times["explained"], times["verdict"]
    rows: list[tuple[str, float, float, str]] = [
        ("reference: decision dict (hand-written)", ref_dict, ref_dict, f"{agree_dict}/{len(docs)} equal dicts"),
        ("titlerules: evaluate + to_dict", explained, ref_dict, f"{len(docs)}/{len(docs)} (the authority)"),
        ("reference: verdict only (hand-written)", ref_verdict, ref_verdict, f"{agree_ref}/{len(docs)} verdicts"),
        ("titlerules: Policy.verdict", verdict_only, ref_verdict, f"{agree_api}/{len(docs)} verdicts"),
    ]
    for peer in engines:
        if peer.name not in times:
            continue
        seconds = times[peer.name]
        rows.append(
            (f"peer: {peer.name} (verdict)", seconds, ref_verdict, f"{peer_agree[peer.name]}/{len(docs)} verdicts")
        )

    print(f"{len(docs)} documents (seed 2021), best of {args.rounds} rounds, Python {sys.version.split()[0]}")
    print()
    print(
        f"| {'what':<42} | {'docs/s':>9} | {'µs/doc':>8} | {'× its reference':>15} "
        f"| {'× Policy.verdict':>16} | agreement with titlerules |"
    )
    print(f"|{'-' * 44}|{'-' * 11}|{'-' * 10}|{'-' * 17}|{'-' * 18}|{'-' * 27}|")
    for name, seconds, base, agreement in rows:
        # For the peers: their time over Policy.verdict's (above 1: titlerules is faster).
        against = f"{seconds / verdict_only:.2f}" if name.startswith("peer") else ""
        print(
            f"| {name:<42} | {1 / seconds:>9,.0f} | {seconds * 1e6:>8.1f} | {seconds / base:>15.2f} "
            f"| {against:>16} | {agreement} |"
        )
    first, second = load_times()
    print()
    print(
        f"load the bundled policy in a fresh process (import, parse, check, compile): "
        f"first {first * 1e3:.0f} ms (grammar cache cold), second {second * 1e3:.0f} ms (warm)"
    )
    if args.batch:
        batch_line(args.batch)


def batch_line(count: int) -> None:
    """The batch command (bench/batch.py) on ``count`` documents with 1 job and with 2."""
    from bench import batch

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.jsonl"
        batch.write_documents(source, count)
        runs = {jobs: batch.run_batch(source, count, jobs, str(Path(folder) / "out.jsonl")) for jobs in (1, 2)}
    one, two = runs[1], runs[2]
    print(
        f"batch `evaluate --format jsonl` on {count:,} documents: 1 job {one.wall:.1f} s "
        f"({one.wall / count * 1e3:.3f} ms/doc), 2 jobs {two.wall:.1f} s, speed-up {one.wall / two.wall:.2f}x "
        f"(CPU {one.cpu:.1f} s and {two.cpu:.1f} s); peak RSS of the largest process {two.max_rss / 2**20:.0f} MiB "
        "(bench/batch.py for sizes up to 1,000,000)"
    )


if __name__ == "__main__":
    main()
