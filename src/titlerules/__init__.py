"""titlerules: eligibility notices as readable policies, applicant facts as explained decisions.

>>> import titlerules
>>> policy = titlerules.load_policy("lishui-2021-crafts")
>>> decision = policy.evaluate({"id": "A-001"})
>>> decision.verdict
<Verdict.UNDETERMINED: 'undetermined'>
"""

from __future__ import annotations

from .decision import Decision, Finding, Message, Outcome, Provenance, Verdict
from .errors import (
    Diagnostic,
    EvaluationError,
    EvaluationLimitError,
    InputError,
    InputProblem,
    PolicyError,
    PolicyNotFoundError,
    TitlerulesError,
)
from .explain import Explanation, NextStep
from .policy import Policy, bundled_policies, load_policy
from .replay import Difference, ReplayResult, replay
from .version import __version__

__all__ = [
    "Decision",
    "Diagnostic",
    "Difference",
    "EvaluationError",
    "EvaluationLimitError",
    "Explanation",
    "Finding",
    "InputError",
    "InputProblem",
    "Message",
    "NextStep",
    "Outcome",
    "Policy",
    "PolicyError",
    "PolicyNotFoundError",
    "Provenance",
    "ReplayResult",
    "TitlerulesError",
    "Verdict",
    "__version__",
    "bundled_policies",
    "load_policy",
    "replay",
]
