"""Cost of explaining against evaluating, on the bundled case-file documents, in one process.

    python bench/explain.py [ROUNDS]

Prints the time per document of ``Policy.evaluate`` and of ``Policy.explain`` (which
evaluates too) and their ratio, overall and for the slowest documents.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import titlerules
from titlerules.cases import load_case_file

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    policy = titlerules.load_policy("lishui-2021-crafts")
    cases = [c for c in load_case_file(ROOT / "policy" / "lishui-2021-crafts.cases.yaml").cases if c.error is None]
    timings: list[tuple[float, float, str]] = []
    for case in cases:
        start = time.perf_counter()
        for _ in range(rounds):
            policy.evaluate(case.document, as_of=case.as_of)
        evaluated = (time.perf_counter() - start) / rounds
        start = time.perf_counter()
        for _ in range(rounds):
            policy.explain(case.document, as_of=case.as_of)
        explained = (time.perf_counter() - start) / rounds
        timings.append((evaluated, explained, case.name))
    evaluate_total = sum(t[0] for t in timings)
    explain_total = sum(t[1] for t in timings)
    print(f"{len(cases)} documents, {rounds} rounds each")
    print(f"evaluate: {evaluate_total / len(cases) * 1e3:.2f} ms per document")
    print(f"explain:  {explain_total / len(cases) * 1e3:.2f} ms per document")
    print(f"ratio explain/evaluate: {explain_total / evaluate_total:.1f}")
    print("slowest to explain:")
    for evaluated, explained, name in sorted(timings, key=lambda t: -t[1])[:5]:
        print(f"  {explained * 1e3:7.2f} ms ({explained / evaluated:5.1f}x)  {name}")


if __name__ == "__main__":
    main()
