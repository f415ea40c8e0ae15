"""The exceptions titlerules raises on purpose.

Everything derives from :class:`TitlerulesError`, so a caller that embeds the library can
catch one class. Each error carries a stable ``code`` (listed in ``docs/errors.md``) and
structured fields; ``str(error)`` is the message a person reads.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from .nodes import Span


class TitlerulesError(Exception):
    """Base class of every error the library raises on purpose.

    Every error has the structured fields ``code`` (a stable code from :data:`ERROR_CODES`),
    ``path`` (the key path in an applicant document, or ``None``), and ``line`` and
    ``column`` (1-based, in a policy file, or ``None``).
    """

    code: str = "error"
    path: str | None = None
    line: int | None = None
    column: int | None = None


# Every stable error code, by the kind of error that carries it; docs/errors.md lists the
# same codes in one table per kind (a test keeps the two identical). A caller may match on
# these codes: they do not change between releases.
ERROR_CODES: dict[str, frozenset[str]] = {
    "policy": frozenset(
        {
            "syntax",
            "encoding",
            "character",
            "too-large",
            "too-deep",
            "bad-date",
            "no-header",
            "duplicate",
            "reserved",
            "unknown-name",
            "unknown-field",
            "unknown-type",
            "unknown-function",
            "unknown-clause",
            "no-cite",
            "no-title",
            "type",
            "not-constant",
            "bad-constant",
            "cycle",
            "recursive-type",
            "empty-range",
            "incomplete-table",
            "key",
            "outcome",
            "extends",
        }
    ),
    "warning": frozenset(
        {
            "unused-parameter",
            "unused-table",
            "unused-derived",
            "unused-fact",
            "never-passes",
            "never-fails",
            "never-applies",
            "redundant-condition",
            "empty-range",
            "same-decision",
            "unaccounted-clause",
            "message-fact",
        }
    ),
    "input": frozenset(
        {
            "not-object",
            "required",
            "type",
            "enum",
            "bad-date",
            "range",
            "not-finite",
            "year-key",
            "invariant",
            "mismatch",
            "json",
            "duplicate-key",
            "too-deep",
            "unknown-override",
            "not-policy",
        }
    ),
    "evaluation": frozenset({"calendar-range", "division-by-zero", "overflow", "date-range"}),
    "limit": frozenset({"too-large"}),
    "other": frozenset(
        {"policy-not-found", "case-file", "formatter", "file", "resume-mismatch", "batch-worker", "error"}
    ),
}


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The known name closest to ``name``, if one is close enough to be a likely typo."""
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


@attrs.frozen
class Diagnostic:
    """One problem found in a policy, located in its source."""

    filename: str
    line: int
    column: int
    message: str
    code: str
    severity: str = "error"
    hint: str | None = None
    source_line: str | None = None
    end_column: int | None = None

    def render(self) -> str:
        """``file:line:col: severity: message``, then the source line with a caret."""
        head = f"{self.filename}:{self.line}:{self.column}: {self.severity}: {self.message}"
        if self.hint:
            head += f" (did you mean '{self.hint}'?)"
        lines = [head]
        if self.source_line is not None:
            source = self.source_line.rstrip("\n").expandtabs(1)
            pad = display_width(source[: max(self.column - 1, 0)])
            width = 1
            if self.end_column is not None and self.end_column > self.column:
                width = max(display_width(source[self.column - 1 : self.end_column - 1]), 1)
            lines.append(f"    {source}")
            lines.append("    " + " " * pad + "^" + "~" * (width - 1))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """The diagnostic as JSON for editors and CI."""
        return {
            "file": self.filename,
            "line": self.line,
            "column": self.column,
            "end_column": self.end_column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
        }


class SourceText:
    """A policy's text and file name, to build diagnostics that quote the source line."""

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.lines = text.splitlines()

    def line(self, number: int) -> str | None:
        """The text of line ``number`` (1-based), if the source has it."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1]
        return None

    def diagnostic(
        self,
        line: int,
        column: int,
        message: str,
        code: str,
        hint: str | None = None,
        end_column: int | None = None,
        severity: str = "error",
    ) -> Diagnostic:
        """A diagnostic at ``line``:``column`` quoting the source line."""
        return Diagnostic(
            filename=self.filename,
            line=line,
            column=column,
            message=message,
            code=code,
            severity=severity,
            hint=hint,
            source_line=self.line(line),
            end_column=end_column,
        )

    def at(
        self,
        span: Span,
        message: str,
        code: str,
        hint: str | None = None,
        severity: str = "error",
    ) -> Diagnostic:
        """A diagnostic pointing at ``span`` (underlined when it stays on one line)."""
        end = span.end_column if span.end_line == span.line else None
        return self.diagnostic(span.line, span.column, message, code, hint, end, severity)


class PolicyError(TitlerulesError):
    """A policy that does not parse or does not check; carries every diagnostic found."""

    code = "policy"

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        self.code = first.code if first else "policy"
        self.filename = first.filename if first else None
        self.line = first.line if first else None
        self.column = first.column if first else None
        self.path = None
        super().__init__("\n".join(d.render() for d in self.diagnostics))

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (worker pools): rebuild from the diagnostics.
        return (type(self), (self.diagnostics,), self.__dict__)


class PolicyNotFoundError(TitlerulesError):
    """Neither a bundled policy nor a readable file has the given name."""

    code = "policy-not-found"

    def __init__(self, name: str, reason: str, known: Sequence[str] = ()) -> None:
        self.name = name
        self._args = (name, reason, tuple(known))
        hint = did_you_mean(name, known)
        message = f"cannot load policy {name!r}: {reason}"
        if hint:
            message += f" (did you mean '{hint}'?)"
        elif known:
            message += f"; bundled policies: {', '.join(sorted(known))}"
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._args, self.__dict__)


@attrs.frozen
class InputProblem:
    """One place where an applicant document breaks the policy's schema."""

    path: str
    message: str
    code: str

    def render(self) -> str:
        """``key.path: message``."""
        return f"{self.path}: {self.message}" if self.path else self.message


class InputError(TitlerulesError):
    """An applicant document (or ``as_of``) that breaks the schema; names each key path."""

    code = "input"

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0]
        self.code = first.code
        self.path = first.path
        super().__init__("; ".join(p.render() for p in self.problems))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.problems,), self.__dict__)


class EvaluationError(TitlerulesError):
    """A valid document that the policy cannot decide (e.g. no calendar data for a year)."""

    code = "evaluation"

    def __init__(self, message: str, code: str = "evaluation", where: str | None = None) -> None:
        self.code = code
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class EvaluationLimitError(EvaluationError):
    """A document too large to evaluate: it passes one of the limits of
    :mod:`titlerules.limits`, which the message names with its value."""

    code = "too-large"

    def __init__(self, message: str, limit: str, maximum: int, path: str | None = None) -> None:
        super().__init__(f"{message} (limit {limit} = {maximum})", "too-large", path or None)
        self._args = (message, limit, maximum, path)
        self.limit = limit
        self.maximum = maximum
        self.path = path or None

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._args, self.__dict__)
