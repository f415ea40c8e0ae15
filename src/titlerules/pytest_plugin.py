"""A pytest plugin: every case file (``*.cases.yaml``) pytest is pointed at is collected,
one test per case. Installed with titlerules (the ``pytest11`` entry point), so
``pytest policies/`` runs a user's own case files with no test code at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .cases import CASES_SUFFIX, Case, check_case, load_case_file
from .policy import Policy, load_policy

_POLICIES: dict[str, Policy] = {}


def _policy(path: str) -> Policy:
    if path not in _POLICIES:
        _POLICIES[path] = load_policy(path)
    return _POLICIES[path]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    """Collect ``NAME.cases.yaml`` files."""
    if file_path.name.endswith(CASES_SUFFIX):
        collected: pytest.File = CaseFileCollector.from_parent(parent, path=file_path)
        return collected
    return None


class CaseFileCollector(pytest.File):
    """A case file: one item per case."""

    def collect(self) -> Iterator[CaseItem]:
        """The cases of the file."""
        loaded = load_case_file(self.path)
        for case in loaded.cases:
            yield CaseItem.from_parent(self, name=case.name, case=case, policy_path=loaded.policy_path)


class CaseFailedError(Exception):
    """The policy did not decide a case as the case expects."""


class CaseItem(pytest.Item):
    """One case of a case file."""

    def __init__(self, *, case: Case, policy_path: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.policy_path = policy_path

    def runtest(self) -> None:
        """Evaluate the case's document and compare with what it expects."""
        problems = check_case(_policy(self.policy_path), self.case)
        if problems:
            raise CaseFailedError(problems)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The problems, one a line, instead of a traceback."""
        if isinstance(excinfo.value, CaseFailedError):
            lines = [f"case {self.case.name!r} ({self.case.file}:{self.case.line}):"]
            lines += [f"  {problem}" for problem in excinfo.value.args[0]]
            return "\n".join(lines)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the case is written."""
        return self.path, self.case.line - 1, f"case: {self.case.name}"
