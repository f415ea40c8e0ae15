"""cel-python: one CEL program per condition of each contract rule."""

from __future__ import annotations

import re
from typing import Any

import celpy

from .common import conditions, context

NAME = "cel-python"


def to_cel(condition: str) -> str:
    """and/or/not to CEL's &&, ||, !."""
    condition = re.sub(r"\band\b", "&&", condition)
    condition = re.sub(r"\bor\b", "||", condition)
    return re.sub(r"\bnot\b\s*", "!", condition)


class Peer:
    """``verdict(document, as_of)``: the failing conditions first, then the actions."""

    name = NAME

    def __init__(self) -> None:
        env = celpy.Environment()
        rules = conditions(
            "achievement_dates.exists(d, d < prior_obtained)",
            "ban_years.exists(y, y + 1 <= 2021 and 2021 <= y + 3)",
        )
        self.fails = [env.program(env.compile(to_cel(f))) for f, _ in rules.values() if f != "false"]
        self.actions = [env.program(env.compile(to_cel(a))) for _, a in rules.values() if a != "false"]

    def verdict(self, document: dict[str, Any], as_of: str | None) -> str:
        activation = celpy.json_to_cel(context(document, as_of))
        if any(bool(p.evaluate(activation)) for p in self.fails):
            return "ineligible"
        if any(bool(p.evaluate(activation)) for p in self.actions):
            return "pending"
        return "eligible"
