"""The decision: an immutable, picklable value with the verdict and its explanation.

``Decision.to_dict()`` is the JSON an embedding system reads (see docs/contract.md).
"""

from __future__ import annotations

import datetime
import enum
import hashlib
import json
from collections.abc import ItemsView, Iterator, Mapping
from typing import Any

import attrs

from .runtime import to_json


class Outcome(enum.StrEnum):
    """What one rule, or one child of a rule, found."""

    PASS = "pass"
    FAIL = "fail"
    ACTION = "action"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"
    EXEMPT = "exempt"


class Verdict(enum.StrEnum):
    """The decision on the application as a whole."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    PENDING = "pending"
    UNDETERMINED = "undetermined"


def combine_all(outcomes: list[Outcome]) -> Outcome:
    """All required: fail if any fails, else unknown, else action, else pass.

    ``exempt`` and ``not_applicable`` count as satisfied.
    """
    seen = set(outcomes)
    if Outcome.FAIL in seen:
        return Outcome.FAIL
    if Outcome.UNKNOWN in seen:
        return Outcome.UNKNOWN
    if Outcome.ACTION in seen:
        return Outcome.ACTION
    return Outcome.PASS


def verdict_of(outcomes: list[Outcome]) -> Verdict:
    """Ineligible if any rule fails, else undetermined if any is unknown, else pending if
    any is an action, else eligible."""
    seen = set(outcomes)
    if Outcome.FAIL in seen:
        return Verdict.INELIGIBLE
    if Outcome.UNKNOWN in seen:
        return Verdict.UNDETERMINED
    if Outcome.ACTION in seen:
        return Verdict.PENDING
    return Verdict.ELIGIBLE


@attrs.frozen
class Message:
    """A message in Chinese and English."""

    zh: str
    en: str

    def __getitem__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, str]:
        """``{"zh": ..., "en": ...}``."""
        return {"zh": self.zh, "en": self.en}


class FrozenMap(Mapping[str, Any]):
    """A read-only mapping that pickles; used for the facts a finding read."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data = dict(data or {})

    @classmethod
    def adopt(cls, data: dict[str, Any]) -> FrozenMap:
        """A map over ``data`` itself, not a copy: for a dict its maker no longer
        changes (the evaluator's facts of a finding, once decided)."""
        adopted = cls.__new__(cls)
        adopted._data = data
        return adopted

    def items(self) -> ItemsView[str, Any]:
        """The keys and values (the dict's own view, faster than Mapping's)."""
        return self._data.items()

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._data) == dict(other)

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, repr(v)) for k, v in self._data.items())))

    def __getstate__(self) -> dict[str, Any]:
        return self._data

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._data = state


@attrs.frozen
class Finding:
    """The outcome of one rule (or child), with why.

    ``facts`` maps each key path the rule read to its value, plus the values it shows;
    ``missing`` lists the absent facts that left it unknown; ``deadline`` is the last day
    an outstanding action can still be done.
    """

    rule: str
    outcome: Outcome
    cite: str
    title: Message
    message: Message
    facts: FrozenMap
    missing: tuple[str, ...] = ()
    deadline: datetime.date | None = None
    note: Message | None = None
    children: tuple[Finding, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON."""
        title, message, note = self.title, self.message, self.note
        return {
            "rule": self.rule,
            "outcome": str(self.outcome),
            "cite": self.cite,
            "title": {"zh": title.zh, "en": title.en},
            "message": {"zh": message.zh, "en": message.en},
            "facts": {k: to_json(v) for k, v in self.facts.items()},
            "missing": list(self.missing),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "note": {"zh": note.zh, "en": note.en} if note else None,
            "children": [c.to_dict() for c in self.children] if self.children else [],
        }


def canonical_json(document: Any) -> str:
    """The canonical JSON text of an applicant document, whose SHA-256 a decision carries.

    Keys sorted (by code point), no whitespace, non-ASCII characters as themselves (not
    ``\\u`` escapes), numbers as Python's ``json`` writes them (``90``, ``90.5``,
    ``1e+100``), and the text encoded as UTF-8 for hashing (docs/safety.md). Raises
    :class:`~titlerules.errors.InputError` for what JSON cannot express and for a document
    past the nesting limit, and :class:`~titlerules.errors.EvaluationLimitError` for one
    past the size limit.
    """
    from .validation import check_shape

    check_shape(document)
    return _canonical_text(document)


def _canonical_text(document: Any) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=True)


def document_sha256(document: Any, *, validated: bool = False) -> str:
    """SHA-256 (hex) of the UTF-8 bytes of :func:`canonical_json` of ``document``.

    ``validated=True`` says that the policy's validator has accepted ``document``, which
    implies everything :func:`canonical_json` checks first, so that walk is skipped.
    """
    text = _canonical_text(document) if validated else canonical_json(document)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@attrs.frozen
class Provenance:
    """What is needed to reproduce a decision: which policy text, which document, which
    library."""

    policy_sha256: str
    document_sha256: str
    titlerules_version: str

    def to_dict(self) -> dict[str, str]:
        """The provenance as JSON."""
        return attrs.asdict(self)


@attrs.frozen
class Decision:
    """The decision on one applicant document."""

    applicant: str | None
    policy: str
    verdict: Verdict
    findings: tuple[Finding, ...]
    outputs: FrozenMap
    as_of: datetime.date | None
    provenance: Provenance
    warnings: tuple[str, ...] = ()

    def finding(self, rule: str) -> Finding:
        """The finding with id ``rule``: a top-level rule (``fee``) or a child
        (``continuing_education.2020``); ``KeyError`` if there is none."""
        stack = list(self.findings)
        while stack:
            finding = stack.pop(0)
            if finding.rule == rule:
                return finding
            stack.extend(finding.children)
        raise KeyError(rule)

    @property
    def outcomes(self) -> dict[str, Outcome]:
        """Each top-level rule id with its outcome, in policy order."""
        return {f.rule: f.outcome for f in self.findings}

    def to_dict(self) -> dict[str, Any]:
        """The decision as the JSON of the contract (docs/contract.md)."""
        out: dict[str, Any] = {
            "applicant": self.applicant,
            "policy": self.policy,
            "verdict": str(self.verdict),
            "findings": [f.to_dict() for f in self.findings],
        }
        for name, value in self.outputs.items():
            out[name] = to_json(value)
        out["as_of"] = self.as_of.isoformat() if self.as_of else None
        out["provenance"] = self.provenance.to_dict()
        out["warnings"] = list(self.warnings)
        return out
