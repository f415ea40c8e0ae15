"""rule-engine: one rule expression per condition of each contract rule."""

from __future__ import annotations

from typing import Any

import rule_engine

from .common import conditions, context

NAME = "rule-engine"


class Peer:
    """``verdict(document, as_of)``: the failing conditions first, then the actions."""

    name = NAME

    def __init__(self) -> None:
        rules = conditions(
            "[d for d in achievement_dates if d < prior_obtained].length > 0",
            "[y for y in ban_years if y + 1 <= 2021 and 2021 <= y + 3].length > 0",
        )
        self.fails = [rule_engine.Rule(fails) for fails, _ in rules.values() if fails != "false"]
        self.actions = [rule_engine.Rule(action) for _, action in rules.values() if action != "false"]

    def verdict(self, document: dict[str, Any], as_of: str | None) -> str:
        ctx = context(document, as_of)
        if any(rule.matches(ctx) for rule in self.fails):
            return "ineligible"
        if any(rule.matches(ctx) for rule in self.actions):
            return "pending"
        return "eligible"
