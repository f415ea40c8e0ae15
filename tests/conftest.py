from __future__ import annotations

from pathlib import Path

import pytest

import titlerules

ROOT = Path(__file__).resolve().parents[1]
POLICY_DIR = ROOT / "policy"


@pytest.fixture(scope="session")
def lishui() -> titlerules.Policy:
    return titlerules.load_policy("lishui-2021-crafts")


def compile_policy(body: str, header: str = 'policy "t" { year 2021 }') -> titlerules.Policy:
    """A small policy for language tests: the header, then ``body``."""
    return titlerules.Policy.from_source(header + "\n" + body, "test.policy")
