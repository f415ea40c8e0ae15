from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import titlerules

# Hypothesis profiles: `ci` (the default) is derandomized with a bounded number of examples,
# so a run takes the same time and finds the same things every time; `deep` is for a long
# local search: pytest --hypothesis-profile=deep. Tests that set max_examples themselves
# keep a CI budget unless the loaded profile asks for more (see tests/test_fuzz.py::_budget).
settings.register_profile("ci", derandomize=True, max_examples=40, deadline=None, database=None)
settings.register_profile("deep", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
POLICY_DIR = ROOT / "policy"


@pytest.fixture(scope="session")
def lishui() -> titlerules.Policy:
    return titlerules.load_policy("lishui-2021-crafts")


def compile_policy(body: str, header: str = 'policy "t" { year 2021 }') -> titlerules.Policy:
    """A small policy for language tests: the header, then ``body``."""
    return titlerules.Policy.from_source(header + "\n" + body, "test.policy")
