"""Case files: applicant documents with the decision a policy must reach on them.

A case file is YAML, kept beside its policy (``NAME.cases.yaml`` next to
``NAME.policy``). Format (docs/cases.md)::

    policy: lishui-2021-crafts.policy      # optional; default: the .policy of the same stem
    documents:                             # named documents that cases start from
      base: {id: A-1, declared_level: intermediate, ...}
    cases:
      - name: 2020 professional hours short
        as_of: 2021-12-01
        document: base                     # a name from documents, or a mapping
        patch: {continuing_education: {"2020": {professional: 48}}}   # merged over it
        remove: [fee.deadline]             # key paths deleted from it
        verdict: ineligible
        outcomes: {continuing_education: fail, continuing_education.2020: fail}
        messages: {continuing_education: "48"}   # text the message must contain
        outputs: {fees: {evaluation: 180, recommendation: 80, total: 260}}
        error: continuing_education.2020.professional   # or: an input error at this path

YAML dates and integer keys are turned into the JSON the library reads (ISO strings,
string keys), so a document in a case file is the document a system would send.
"""

from __future__ import annotations

import copy
import datetime
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from .decision import Decision, Finding
from .errors import TitlerulesError
from .policy import Policy

CASES_SUFFIX = ".cases.yaml"


class CaseFileError(TitlerulesError):
    """A case file that cannot be read or does not follow the format."""

    code = "case-file"


@attrs.frozen
class Case:
    """One case: a document, when it is evaluated, and what must come out."""

    name: str
    file: str
    line: int
    document: Any
    as_of: datetime.date | None
    verdict: str | None
    outcomes: Mapping[str, str]
    messages: Mapping[str, str]
    outputs: Mapping[str, Any]
    error: str | None


@attrs.frozen
class CaseFile:
    """The cases of one file and the policy they are for."""

    path: str
    policy_path: str
    cases: tuple[Case, ...]


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line each mapping starts on."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _json_value(value: Any) -> Any:
    """YAML as the JSON a system would send: ISO dates, string keys, no line marks."""
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return patch


def _remove(document: dict[str, Any], path: str, where: str) -> None:
    parts = path.split(".")
    target: Any = document
    for part in parts[:-1]:
        if not isinstance(target, dict) or part not in target:
            raise CaseFileError(f"{where}: cannot remove {path!r}: {part!r} is not in the document")
        target = target[part]
    if not isinstance(target, dict) or parts[-1] not in target:
        raise CaseFileError(f"{where}: cannot remove {path!r}: it is not in the document")
    del target[parts[-1]]


_CASE_KEYS = {
    "name",
    "as_of",
    "document",
    "patch",
    "remove",
    "verdict",
    "outcomes",
    "messages",
    "outputs",
    "error",
    "__line__",
}


def load_case_file(path: str | os.PathLike[str]) -> CaseFile:
    """Read a case file; raises :class:`CaseFileError` naming the file and line."""
    filename = os.fspath(path)
    try:
        # _LineLoader is a SafeLoader: no arbitrary Python objects.
        raw = yaml.load(Path(filename).read_text(encoding="utf-8"), Loader=_LineLoader)
    except OSError as error:
        raise CaseFileError(f"{filename}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CaseFileError(f"{filename}: not UTF-8 text") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}" if mark else filename
        raise CaseFileError(f"{where}: invalid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cases"), list):
        raise CaseFileError(f"{filename}: a case file is a mapping with a 'cases' list")
    documents = raw.get("documents") or {}
    if not isinstance(documents, dict):
        raise CaseFileError(f"{filename}: 'documents' must map names to documents")
    policy = raw.get("policy") or Path(filename).name.removesuffix(CASES_SUFFIX) + ".policy"
    policy_path = os.path.join(os.path.dirname(filename), str(policy))
    cases = tuple(_case(entry, documents, filename) for entry in raw["cases"])
    names = [c.name for c in cases]
    for name in names:
        if names.count(name) > 1:
            raise CaseFileError(f"{filename}: case name {name!r} is used twice")
    return CaseFile(filename, policy_path, cases)


def _case(entry: Any, documents: Mapping[str, Any], filename: str) -> Case:
    if not isinstance(entry, dict):
        raise CaseFileError(f"{filename}: each case is a mapping")
    line = entry.get("__line__", 0)
    where = f"{filename}:{line}"
    unknown = set(entry) - _CASE_KEYS
    if unknown:
        raise CaseFileError(f"{where}: unknown case key(s): {', '.join(sorted(map(str, unknown)))}")
    if not isinstance(entry.get("name"), str):
        raise CaseFileError(f"{where}: a case needs a 'name'")
    document = entry.get("document")
    if isinstance(document, str):
        if document not in documents:
            raise CaseFileError(f"{where}: no document named {document!r} under 'documents'")
        document = documents[document]
    document = copy.deepcopy(_json_value(document if document is not None else {}))
    if "patch" in entry:
        document = _merge(document, _json_value(entry["patch"]))
    for removed in entry.get("remove") or []:
        _remove(document, str(removed), where)
    as_of = entry.get("as_of")
    if as_of is not None and not isinstance(as_of, datetime.date):
        raise CaseFileError(f"{where}: as_of must be a date (YYYY-MM-DD)")
    if not any(entry.get(key) is not None for key in ("verdict", "outcomes", "outputs", "error")):
        raise CaseFileError(f"{where}: case {entry['name']!r} expects nothing (give verdict, outcomes or error)")
    return Case(
        name=entry["name"],
        file=filename,
        line=line,
        document=document,
        as_of=as_of,
        verdict=entry.get("verdict"),
        outcomes={str(k): str(v) for k, v in (entry.get("outcomes") or {}).items() if k != "__line__"},
        messages={str(k): str(v) for k, v in (entry.get("messages") or {}).items() if k != "__line__"},
        outputs=_json_value(entry.get("outputs") or {}),
        error=entry.get("error"),
    )


def _finding(decision: Decision, finding_id: str) -> Finding | None:
    try:
        return decision.finding(finding_id)
    except KeyError:
        return None


def check_case(policy: Policy, case: Case) -> list[str]:
    """What the policy got wrong on a case: an empty list when it decides as expected."""
    try:
        decision = policy.evaluate(case.document, as_of=case.as_of)
    except TitlerulesError as error:
        if case.error is not None and (
            getattr(error, "path", None) == case.error or error.code == case.error or case.error in str(error)
        ):
            return []
        return [f"raised {type(error).__name__}: {error}"]
    if case.error is not None:
        return [f"expected an error at {case.error!r}, got verdict {decision.verdict}"]
    problems: list[str] = []
    if case.verdict is not None and decision.verdict != case.verdict:
        problems.append(f"verdict: expected {case.verdict}, got {decision.verdict}")
    for finding_id, expected in case.outcomes.items():
        finding = _finding(decision, finding_id)
        if finding is None:
            problems.append(f"{finding_id}: no such finding")
        elif finding.outcome != expected:
            message = f"{finding.message.en} | {finding.message.zh}"
            problems.append(f"{finding_id}: expected {expected}, got {finding.outcome} ({message})")
    produced = decision.to_dict()
    for name, expected in case.outputs.items():
        if name not in produced:
            problems.append(f"output {name}: no such output")
        elif produced[name] != expected:
            problems.append(f"output {name}: expected {expected!r}, got {produced[name]!r}")
    for finding_id, text in case.messages.items():
        finding = _finding(decision, finding_id)
        if finding is None:
            problems.append(f"{finding_id}: no such finding")
        elif text not in finding.message.zh and text not in finding.message.en:
            problems.append(f"{finding_id}: message lacks {text!r}: {finding.message.zh} | {finding.message.en}")
    return problems
