"""Replaying a decision: evaluate the same document again and say whether the decision is
reproduced, or exactly what differs (for an appeal, or after a library upgrade).

A decision's JSON carries what is needed (docs/safety.md#replayable-decisions): the policy
id, ``as_of``, and in ``provenance`` the SHA-256 of the policy text and of the document's
canonical JSON and the library version.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from .decision import document_sha256
from .errors import InputError, InputProblem, TitlerulesError
from .policy import Policy, load_policy
from .version import __version__

_PROVENANCE_KEYS = ("policy_sha256", "document_sha256", "titlerules_version")


@attrs.frozen
class Difference:
    """One place where the decision made now differs from the recorded one.

    ``path`` is a path in the decision's JSON, with findings named by rule id
    (``findings[fee].outcome``); ``recorded`` and ``now`` are the JSON values there
    (``None`` where one side has no such key).
    """

    path: str
    recorded: Any
    now: Any

    def render(self) -> str:
        """``path: recorded X, now Y``."""
        return f"{self.path}: recorded {_show(self.recorded)}, now {_show(self.now)}"

    def to_dict(self) -> dict[str, Any]:
        """The difference as JSON."""
        return {"path": self.path, "recorded": self.recorded, "now": self.now}


@attrs.frozen
class ReplayResult:
    """What replaying one decision found.

    ``reproduced`` is true when the document is the one decided (same canonical SHA-256) and
    the decision made now has the same JSON as the recorded one, provenance aside.
    ``warnings`` say when the policy text or the library version differs from those that
    made the recorded decision, which a reproduced decision may still do.
    """

    reproduced: bool
    differences: tuple[Difference, ...]
    warnings: tuple[str, ...]
    recorded: Mapping[str, Any]
    now: Mapping[str, Any] | None

    def render(self) -> str:
        """A text report: the verdict line, then each difference and warning."""
        who = self.recorded.get("applicant")
        day = self.recorded.get("as_of")
        what = f"{self.recorded.get('policy')}" + (f" on {who}" if who else "") + (f" as of {day}" if day else "")
        if self.reproduced:
            lines = [f"reproduced: {what}: {self.recorded.get('verdict')}"]
        else:
            count = len(self.differences)
            lines = [f"differs: {what}: {count} difference{'s' if count != 1 else ''}"]
            lines += [f"  {d.render()}" for d in self.differences]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON."""
        return {
            "reproduced": self.reproduced,
            "differences": [d.to_dict() for d in self.differences],
            "warnings": list(self.warnings),
        }


def replay(recorded: Any, document: Any, policy: Policy | None = None) -> ReplayResult:
    """Evaluate ``document`` again as the ``recorded`` decision (its JSON, a mapping) was,
    and compare. ``policy`` defaults to the bundled policy named by the decision.

    Raises :class:`~titlerules.errors.InputError` when ``recorded`` is not a decision's
    JSON, and :class:`~titlerules.errors.PolicyNotFoundError` when the policy cannot be
    found. A document the policy now refuses is a difference, not an exception.
    """
    provenance = _check_recorded(recorded)
    if policy is None:
        policy = load_policy(str(recorded["policy"]))
    warnings: list[str] = []
    differences: list[Difference] = []
    if provenance["policy_sha256"] != policy.source_sha256:
        warnings.append(
            f"the policy text differs from the one that made the decision "
            f"(sha256 {provenance['policy_sha256'][:12]}... recorded, {policy.source_sha256[:12]}... now)"
        )
    if provenance["titlerules_version"] != __version__:
        warnings.append(
            f"the decision was made by titlerules {provenance['titlerules_version']}, replayed with {__version__}"
        )
    try:
        digest = document_sha256(document)
    except TitlerulesError as error:
        digest = f"(none: {error})"
    if digest != provenance["document_sha256"]:
        differences.append(Difference("provenance.document_sha256", provenance["document_sha256"], digest))
    now: dict[str, Any] | None = None
    try:
        if "next_steps" in recorded:
            now = policy.explain(document, recorded.get("as_of")).to_dict()
        else:
            now = policy.evaluate(document, recorded.get("as_of")).to_dict()
    except TitlerulesError as error:
        differences.append(Difference("decision", "a decision", f"refused: {error.code}: {error}"))
    if now is not None:
        left = {k: v for k, v in recorded.items() if k != "provenance"}
        right = {k: v for k, v in now.items() if k != "provenance"}
        differences.extend(_diff(left, right, ""))
    return ReplayResult(not differences, tuple(differences), tuple(warnings), recorded, now)


def _check_recorded(recorded: Any) -> Mapping[str, str]:
    if not isinstance(recorded, Mapping):
        raise InputError([InputProblem("", "expected a decision's JSON object", "not-object")])
    problems = []

    def need(where: Mapping[str, Any], key: str, path: str, expected: str) -> None:
        if key not in where:
            problems.append(InputProblem(path, "required key is missing", "required"))
        elif not isinstance(where[key], str):
            problems.append(InputProblem(path, f"expected {expected}, got {json.dumps(where[key])[:40]}", "type"))

    need(recorded, "policy", "policy", "a policy id")
    need(recorded, "verdict", "verdict", "a verdict")
    if recorded.get("as_of") is not None:
        need(recorded, "as_of", "as_of", "a date as YYYY-MM-DD or null")
    provenance = recorded.get("provenance")
    if not isinstance(provenance, Mapping):
        problems.append(InputProblem("provenance", "expected the decision's provenance object", "required"))
    else:
        for key in _PROVENANCE_KEYS:
            need(provenance, key, f"provenance.{key}", "a string")
    if problems:
        raise InputError(problems)
    assert isinstance(provenance, Mapping)
    return provenance


def _diff(recorded: Any, now: Any, path: str) -> Iterator[Difference]:
    if isinstance(recorded, Mapping) and isinstance(now, Mapping):
        for key in [*recorded, *(k for k in now if k not in recorded)]:
            child = f"{path}.{key}" if path else str(key)
            if key not in now:
                yield Difference(child, recorded[key], None)
            elif key not in recorded:
                yield Difference(child, None, now[key])
            else:
                yield from _diff(recorded[key], now[key], child)
        return
    if isinstance(recorded, list) and isinstance(now, list):
        if _by_rule(recorded) and _by_rule(now):
            before = {item["rule"]: item for item in recorded}
            after = {item["rule"]: item for item in now}
            for rule in [*before, *(r for r in after if r not in before)]:
                child = f"{path}[{rule}]"
                if rule not in after:
                    yield Difference(child, before[rule], None)
                elif rule not in before:
                    yield Difference(child, None, after[rule])
                else:
                    yield from _diff(before[rule], after[rule], child)
            if [r for r in before if r in after] != [r for r in after if r in before]:
                yield Difference(f"{path} (order)", list(before), list(after))
            return
        for index in range(max(len(recorded), len(now))):
            child = f"{path}.{index}"
            if index >= len(now):
                yield Difference(child, recorded[index], None)
            elif index >= len(recorded):
                yield Difference(child, None, now[index])
            else:
                yield from _diff(recorded[index], now[index], child)
        return
    if recorded != now or type(recorded) is not type(now):
        yield Difference(path, recorded, now)


def _by_rule(items: list[Any]) -> bool:
    """Findings (objects with distinct ``rule`` ids) are compared by id, not position."""
    rules = [item.get("rule") if isinstance(item, Mapping) else None for item in items]
    return all(isinstance(r, str) for r in rules) and len(set(rules)) == len(rules)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."
