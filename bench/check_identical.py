"""Check that the evaluator's output has not changed: byte for byte, error for error.

    python bench/check_identical.py [--against REV] [--documents N]

Two comparisons, both computed now (nothing is read from a stored snapshot):

1. against the hand-written reference (bench/reference.py): the JSON text of
   ``policy.evaluate(doc, as_of).to_dict()`` equals that of ``reference.decide(doc, as_of)``
   with keys sorted (the reference lists a finding's facts in its own order), and
   ``Policy.verdict`` equals ``reference.verdict``, on every benchmark document;
2. against the library at git revision REV (by default fa42550, the evaluator before
   the compiled validator), run from ``git archive`` in a separate process: the same
   JSON text of every decision (benchmark documents, every case of every case file) and,
   for documents broken on purpose (each benchmark document with one value changed to a
   wrong type, an out-of-range number, an impossible date, an unknown or missing key, a
   non-string key, a Python value JSON cannot hold, a deep nesting...), the same
   exception class with the same (path, code, message) problems, or the same decision
   and warnings when the change is harmless.

Exits 1 and prints the first differences when anything differs.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "fa4255052b805b3487b18ef4a03daca1528d609a"

sys.path.insert(0, str(ROOT))
from bench.documents import generate, value_paths, with_value  # noqa: E402

WRONG: list[Any] = [
    "x",
    "2021-02-30",
    "20211231",
    "2021-1-01",
    -1,
    0,
    10**9,
    1.5,
    math.nan,
    math.inf,
    True,
    None,
    [],
    {},
    {"2020": 1},
    {"x": 1},
    [1, "a"],
    ("a",),
    {1: "a"},
    {"k": {1, 2}},
    object(),
    "bogus",
]


def broken(documents: list[tuple[dict[str, Any], str | None]], count: int) -> list[tuple[Any, str | None]]:
    """Documents with one change each, most of them errors (seeded)."""
    rng = random.Random(5)
    out: list[tuple[Any, str | None]] = []
    for document, as_of in documents[:count]:
        paths = list(value_paths(document))
        for _ in range(4):
            path = rng.choice(paths)
            out.append((with_value(document, path, rng.choice(WRONG)), as_of))
        out.append((with_value(document, rng.choice(paths), None, delete=True), as_of))
        out.append(({**document, "unexpected": 1}, as_of))
        out.append(({**document, 7: 1}, as_of))
    deep: Any = 1
    for _ in range(40):
        deep = {"x": deep}
    first = documents[0][0]
    out += [({**first, "workplace": deep}, None), ([first], None), ("text", None), ({}, None)]
    out.append(({**first, "achievements": [{"name": "a", "date": "2020-01-01"}] * 100_001}, None))
    return out


def outcome(policy: Any, document: Any, as_of: str | None) -> str:
    """One line: the decision's JSON with its warnings, or the error with its problems."""
    try:
        decision = policy.evaluate(document, as_of=as_of)
        verdict = str(policy.verdict(document, as_of=as_of))
    except Exception as error:  # the class and content are what is compared
        problems = [(p.path, p.code, p.message) for p in getattr(error, "problems", [])]
        return json.dumps([type(error).__name__, str(error), problems], ensure_ascii=False)
    return json.dumps([decision.to_dict(), verdict], ensure_ascii=False)


def run_all(documents: int) -> list[str]:
    """Every line compared, computed by the titlerules importable now."""
    import titlerules
    from titlerules.cases import load_case_file

    policy = titlerules.load_policy("lishui-2021-crafts")
    docs = generate(documents)
    lines = [outcome(policy, d, a) for d, a in docs]
    for case_path in sorted((ROOT / "policy").glob("*.cases.yaml")):
        cases = load_case_file(case_path)
        case_policy = titlerules.load_policy(cases.policy_path)
        for case in cases.cases:
            as_of = case.as_of.isoformat() if case.as_of else None
            lines.append(outcome(case_policy, case.document, as_of))
    lines += [outcome(policy, d, a) for d, a in broken(docs, 300)]
    return lines


def against_reference(documents: int) -> list[str]:
    """Differences from the hand-written reference on the benchmark documents."""
    import titlerules
    from bench import reference

    policy = titlerules.load_policy("lishui-2021-crafts")
    differences = []
    for index, (document, as_of) in enumerate(generate(documents)):
        ours = json.dumps(policy.evaluate(document, as_of=as_of).to_dict(), ensure_ascii=False, sort_keys=True)
        theirs = json.dumps(reference.decide(document, as_of), ensure_ascii=False, sort_keys=True)
        if ours != theirs:
            differences.append(f"document {index}: decision differs from reference.decide")
        if str(policy.verdict(document, as_of=as_of)) != reference.verdict(document, as_of):
            differences.append(f"document {index}: verdict differs from reference.verdict")
    return differences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default=BEFORE, help="git revision to compare with")
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--emit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.emit:  # the child process: print every line, with whichever titlerules it imports
        sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
        print("\n".join(run_all(args.documents)))
        return 0

    differences = against_reference(args.documents)
    now = run_all(args.documents)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", args.against, "src", "policy"], capture_output=True, check=True
    )
    with tempfile.TemporaryDirectory() as folder:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(folder, filter="data")
        env = {**os.environ, "PYTHONPATH": str(Path(folder) / "src")}
        command = [sys.executable, __file__, "--emit", "--documents", str(args.documents)]
        child = subprocess.run(command, env=env, capture_output=True, check=True, cwd=folder)
    before = child.stdout.decode("utf-8").rstrip("\n").split("\n")
    if len(before) != len(now):
        differences.append(f"{len(now)} outputs now, {len(before)} at {args.against}")
    for index, (old, new) in enumerate(zip(before, now, strict=False)):
        if old != new:
            differences.append(
                f"output {index} differs from {args.against}:\n  before {old[:300]}\n  now    {new[:300]}"
            )
    errors = sum(line.startswith('["') for line in now)
    print(
        f"{len(now)} outputs compared with {args.against} ({errors} of them errors), "
        f"{args.documents} decisions with bench/reference.py: {len(differences)} differences"
    )
    for line in differences[:10]:
        print(line)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
