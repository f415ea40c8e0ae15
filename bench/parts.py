"""What an explained decision and a verdict cost, part by part, against the references.

    python bench/parts.py [--documents N] [--rounds R]

Times, in one process and interleaved rounds (best of R), on the seeded benchmark
documents: the hand-written references (bench/reference.py), the whole
``evaluate`` + ``to_dict`` and ``Policy.verdict``, and each part of them on its own:
validation, the rules with their findings (``CompiledPolicy.run`` on validated
documents), the document's SHA-256, ``Decision.to_dict`` on decisions already made, and
the verdict-only rules (``CompiledPolicy.verdict``). What ``evaluate`` costs beyond its three
parts is the assembly of the decision (the ``Decision`` and ``Provenance`` values, the
verdict from the outcomes, ``as_of`` read). Each part is printed in µs per
document and as a multiple of the reference it is part of.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import titlerules
from bench import reference
from bench.documents import generate
from bench.run import best_times
from titlerules.decision import document_sha256
from titlerules.policy import _as_of


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    docs = generate(args.documents)
    policy = titlerules.load_policy("lishui-2021-crafts")
    # Prepared inputs for the parts that start from the previous part's output; each part
    # is timed over the same documents, passed through ``docs`` by position.
    normalised = {id(d): policy.validator.validate(d)[0] for d, _ in docs}
    days = {id(d): _as_of(a) for d, a in docs}
    decisions = {id(d): policy.evaluate(d, as_of=a) for d, a in docs}
    parts: dict[str, Callable[[dict[str, Any], str | None], Any]] = {
        "reference decision dict": reference.decide,
        "evaluate + to_dict": lambda d, a: policy.evaluate(d, as_of=a).to_dict(),
        "  evaluate": lambda d, a: policy.evaluate(d, as_of=a),
        "    validation": lambda d, a: policy.validator.validate(d),
        "    rules and findings": lambda d, a: policy.compiled.run(normalised[id(d)], days[id(d)]),
        "    document SHA-256": lambda d, a: document_sha256(d, validated=True),
        "  to_dict": lambda d, a: decisions[id(d)].to_dict(),
        "reference verdict": reference.verdict,
        "Policy.verdict": lambda d, a: policy.verdict(d, as_of=a),
        "  verdict rules": lambda d, a: policy.compiled.verdict(normalised[id(d)], days[id(d)]),
    }
    times = best_times(parts, docs, args.rounds)
    print(f"{len(docs)} documents, best of {args.rounds} rounds, Python {sys.version.split()[0]}")
    print()
    print(f"| {'part':<26} | {'µs/doc':>7} | {'× reference':>11} |")
    print(f"|{'-' * 28}|{'-' * 9}|{'-' * 13}|")
    base = times["reference decision dict"]
    for name, seconds in times.items():
        if name == "reference verdict":
            base = seconds
        print(f"| {name:<26} | {seconds * 1e6:>7.1f} | {seconds / base:>11.2f} |")


if __name__ == "__main__":
    main()
