"""The code stays ruff- and mypy --strict-clean, and documented examples run."""

from __future__ import annotations

import doctest
import subprocess
import sys

import titlerules

from .conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff() -> None:
    result = _run("ruff", "check", "src", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = _run("mypy", "--config-file", "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_docstring_example() -> None:
    failures, tried = doctest.testmod(titlerules)
    assert tried > 0
    assert failures == 0
