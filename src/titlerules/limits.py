"""The named limits that keep hostile or broken input from exhausting a process.

Each limit is far above what a real notice or applicant document needs (the bundled
policy is about 32 KB, nests brackets 3 deep and its syntax tree 14 deep; a real document
is a few KB), and far below what would exhaust memory or Python's stack. An input past a
limit is refused at once with an error that names the limit and its value
(docs/safety.md).
"""

from __future__ import annotations

# Policy text
MAX_POLICY_BYTES = 1024 * 1024
"""The largest policy text, in bytes of UTF-8: larger text is refused before parsing."""

MAX_POLICY_NESTING = 64
"""The deepest nesting of brackets (``(``, ``[``, ``{``) outside strings in policy text."""

MAX_EXPRESSION_DEPTH = 256
"""The deepest syntax tree of a policy (operators chained without brackets nest too)."""

MAX_NUMBER_DIGITS = 30
"""The most digits in a number written in policy text (a longer one is no real amount,
and would be refused by Python's integer conversion or read as infinity)."""

# Applicant documents
MAX_DOCUMENT_DEPTH = 32
"""The deepest nesting of objects and lists in an applicant document."""

MAX_DOCUMENT_VALUES = 100_000
"""The most JSON values (objects, lists, strings, numbers, ...) in one applicant document."""

LIMITS: dict[str, int] = {
    "MAX_POLICY_BYTES": MAX_POLICY_BYTES,
    "MAX_POLICY_NESTING": MAX_POLICY_NESTING,
    "MAX_EXPRESSION_DEPTH": MAX_EXPRESSION_DEPTH,
    "MAX_NUMBER_DIGITS": MAX_NUMBER_DIGITS,
    "MAX_DOCUMENT_DEPTH": MAX_DOCUMENT_DEPTH,
    "MAX_DOCUMENT_VALUES": MAX_DOCUMENT_VALUES,
}
"""Every limit by name, for documentation and tests."""
