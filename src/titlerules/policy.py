"""Loading policies and evaluating documents: the library's front door.

``load_policy`` runs the whole pipeline (parse, check, compile) once; ``Policy.evaluate``
validates a document and evaluates it. A policy pickles as its source text and is
rebuilt on unpickling, so it can be sent to worker processes.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Any

from . import ir
from .checker import check
from .compiler import CompiledPolicy, compile_policy
from .decision import Decision, FrozenMap, Provenance, Verdict, document_sha256, verdict_of
from .errors import Diagnostic, InputError, InputProblem, PolicyError, PolicyNotFoundError
from .explain import Explanation, explain
from .extends import derive
from .parser import parse
from .validation import Validator
from .version import __version__

POLICY_SUFFIX = ".policy"


class Policy:
    """A checked, compiled policy, ready to evaluate applicant documents.

    Build one with :func:`load_policy` or :meth:`Policy.from_source`.
    """

    def __init__(self, checked: ir.CheckedPolicy) -> None:
        self.checked = checked
        self.compiled: CompiledPolicy = compile_policy(checked)
        self.validator = Validator(checked.schema)
        digest = hashlib.sha256(checked.source.encode("utf-8"))
        for _, text in checked.inherited:  # a derived policy is its text and its ancestors'
            digest.update(text.encode("utf-8"))
        self.source_sha256 = digest.hexdigest()

    @classmethod
    def from_source(cls, text: str, filename: str = "<policy>") -> Policy:
        """Parse, check and compile policy text; raises :class:`PolicyError`.

        A policy that ``extends`` another finds it beside ``filename`` or among the
        bundled policies (docs/language.md).
        """
        tree, inherited = derive(parse(text, filename), text, find_parent, parse)
        return cls(check(tree, text, inherited))

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (Policy.from_source, (self.checked.source, self.checked.filename))

    def __repr__(self) -> str:
        return f"<Policy {self.id!r} from {self.checked.filename}>"

    @property
    def id(self) -> str:
        """The policy id from its header."""
        return self.checked.id

    @property
    def output_labels(self) -> dict[str, tuple[str, str]]:
        """Each output's label, Chinese and English (its name when it has none)."""
        return dict(self.compiled.output_labels)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The ids of the top-level rules, in the order findings report them."""
        return tuple(rule.id for rule in self.checked.rules)

    def evaluate(self, document: Any, as_of: datetime.date | str | None = None) -> Decision:
        """Decide on one applicant document (a mapping, as parsed from JSON).

        ``as_of`` is the day of the evaluation: deadlines before it have passed. Without
        it, no deadline has passed. Raises :class:`InputError` for a document that breaks
        the schema and :class:`EvaluationError` when the policy cannot decide.
        """
        day = _as_of(as_of)
        normalised, warnings = self.validator.validate(document)
        findings, outputs = self.compiled.run(normalised, day)
        key = self.checked.key_field
        return Decision(
            applicant=normalised.get(key) if key else None,
            policy=self.id,
            verdict=verdict_of([f.outcome for f in findings]),
            findings=findings,
            outputs=FrozenMap.adopt(outputs),
            as_of=day,
            provenance=Provenance(self.source_sha256, document_sha256(document, validated=True), __version__),
            warnings=tuple(warnings),
        )

    def verdict(self, document: Any, as_of: datetime.date | str | None = None) -> Verdict:
        """Only the verdict of :meth:`evaluate` on the same document and day, without the
        explanation: no messages, facts or provenance are built. Raises as :meth:`evaluate`."""
        day = _as_of(as_of)
        normalised, _ = self.validator.validate(document)
        return self.compiled.verdict(normalised, day)

    def explain(
        self,
        document: Any,
        as_of: datetime.date | str | None = None,
        decision: Decision | None = None,
    ) -> Explanation:
        """The decision on ``document`` with what to do next about each finding that blocks
        (docs/explanations.md). Pass the ``decision`` already made on this document to
        reuse it; it must be this policy's decision on this very document and day.
        """
        if decision is None:
            decision = self.evaluate(document, as_of)
        elif (
            decision.policy != self.id
            or decision.provenance.document_sha256 != document_sha256(document)
            or decision.as_of != _as_of(as_of if as_of is not None else decision.as_of)
        ):
            raise InputError(
                [InputProblem("", "the decision was not made by this policy on this document and day", "mismatch")]
            )
        return explain(self, document, decision)


def _as_of(value: datetime.date | str | None) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError([InputProblem("as_of", f"expected a date as YYYY-MM-DD, got {value!r}", "type")])


def bundled_policies() -> dict[str, str]:
    """The policies shipped with the library: id -> source text."""
    found: dict[str, str] = {}
    package = resources.files("titlerules") / "policies"
    if package.is_dir():
        for entry in package.iterdir():
            if entry.name.endswith(POLICY_SUFFIX):
                found[entry.name[: -len(POLICY_SUFFIX)]] = entry.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "policy"
    if not found and checkout.is_dir():
        # Running from a source checkout without installing: read the repository's policy/.
        for path in checkout.glob("*" + POLICY_SUFFIX):
            found[path.stem] = path.read_text(encoding="utf-8")
    return found


def read_policy_file(path: str | os.PathLike[str]) -> str:
    """The text of a policy file; undecodable bytes are a located :class:`PolicyError`."""
    filename = os.fspath(path)
    try:
        data = Path(filename).read_bytes()
    except IsADirectoryError:
        raise PolicyNotFoundError(filename, "it is a directory") from None
    except FileNotFoundError:
        raise PolicyNotFoundError(filename, "no such file", list(bundled_policies())) from None
    except OSError as error:
        raise PolicyNotFoundError(filename, error.strerror or str(error)) from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark at the start means nothing
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise PolicyError(
            [
                Diagnostic(
                    filename,
                    line,
                    column,
                    f"the file is not UTF-8 (byte 0x{data[error.start]:02x}); save it as UTF-8",
                    "encoding",
                )
            ]
        ) from None


def find_parent(name: str, child: str) -> tuple[str, str]:
    """The text and file name of the policy that ``child`` extends under ``name``: a path
    (relative to the child's folder), a ``NAME.policy`` beside the child, or a bundled id."""
    folder = Path(child).parent
    if name.endswith(POLICY_SUFFIX) or "/" in name or os.sep in name:
        path = folder / name
        return read_policy_file(path), os.fspath(path)
    sibling = folder / (name + POLICY_SUFFIX)
    if sibling.is_file():
        return read_policy_file(sibling), os.fspath(sibling)
    bundled = bundled_policies()
    if name not in bundled:
        raise PolicyNotFoundError(name, "no policy of that name beside it or bundled", list(bundled))
    return bundled[name], f"{name}{POLICY_SUFFIX}"


def load_policy(name_or_path: str | os.PathLike[str]) -> Policy:
    """Load a bundled policy by id (``"lishui-2021-crafts"``) or a ``.policy`` file by path."""
    name = os.fspath(name_or_path)
    looks_like_path = name.endswith(POLICY_SUFFIX) or os.sep in name or "/" in name
    if looks_like_path or Path(name).is_file():
        return Policy.from_source(read_policy_file(name), name)
    bundled = bundled_policies()
    if name not in bundled:
        raise PolicyNotFoundError(name, "no bundled policy or file of that name", list(bundled))
    return Policy.from_source(bundled[name], f"{name}{POLICY_SUFFIX}")
