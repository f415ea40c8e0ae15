"""GoRules zen-engine: the rules as one decision graph (input -> rule conditions -> verdict)."""

from __future__ import annotations

import json
from typing import Any

import zen

from .common import conditions, context

NAME = "zen-engine"


def _graph() -> dict[str, Any]:
    rules = conditions(
        "some(achievement_dates, # < prior_obtained)", "some(ban_years, # + 1 <= 2021 and 2021 <= # + 3)"
    )
    expressions = []
    for rule, (fails, action) in rules.items():
        expressions.append({"id": f"{rule}-fails", "key": f"fails_{rule}", "value": fails})
        expressions.append({"id": f"{rule}-action", "key": f"action_{rule}", "value": action})
    any_fail = " or ".join(f"fails_{rule}" for rule in rules)
    any_action = " or ".join(f"action_{rule}" for rule in rules)
    verdict = f"({any_fail}) ? 'ineligible' : (({any_action}) ? 'pending' : 'eligible')"
    position = {"x": 0, "y": 0}
    return {
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "request", "position": position},
            {
                "id": "rules",
                "type": "expressionNode",
                "name": "rules",
                "position": position,
                "content": {"expressions": expressions},
            },
            {
                "id": "verdict",
                "type": "expressionNode",
                "name": "verdict",
                "position": position,
                "content": {"expressions": [{"id": "verdict", "key": "verdict", "value": verdict}]},
            },
            {"id": "response", "type": "outputNode", "name": "response", "position": position},
        ],
        "edges": [
            {"id": "e1", "sourceId": "request", "targetId": "rules", "type": "edge"},
            {"id": "e2", "sourceId": "rules", "targetId": "verdict", "type": "edge"},
            {"id": "e3", "sourceId": "verdict", "targetId": "response", "type": "edge"},
        ],
    }


class Peer:
    """Evaluates the decision graph; ``verdict(document, as_of)`` as titlerules spells it."""

    name = NAME

    def __init__(self) -> None:
        self.decision = zen.ZenEngine().create_decision(json.dumps(_graph()))

    def verdict(self, document: dict[str, Any], as_of: str | None) -> str:
        result: str = self.decision.evaluate(context(document, as_of))["result"]["verdict"]
        return result
