"""The values where a policy's decisions change: what test documents should be made of.

A threshold ``hours >= 90`` decides differently at 89, 90 and 91; a deadline at the day
before, the day and the day after. This module reads a checked policy (its parameters,
tables and the literal constants in its rules and derived facts) and collects those
values, so that generated documents land on the boundaries rather than far from them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

import attrs

from . import ir
from . import valuetypes as t


@attrs.frozen
class Boundaries:
    """Numbers, dates, strings and years a policy compares against (sorted, distinct)."""

    numbers: tuple[int | float, ...]
    dates: tuple[datetime.date, ...]
    strings: tuple[str, ...]
    years: tuple[int, ...]

    def near_numbers(self, low: float | None, high: float | None) -> list[int | float]:
        """Each number and its neighbours (plus the bounds), kept inside ``low..high``."""
        candidates = {v + k for v in self.numbers for k in (-1, 0, 1)}
        candidates |= {b for b in (low, high) if b is not None}
        return sorted(v for v in candidates if (low is None or v >= low) and (high is None or v <= high))

    def near_dates(self) -> list[datetime.date]:
        """Each date and the days either side of it."""
        return sorted({d + datetime.timedelta(days=k) for d in self.dates for k in (-1, 0, 1)})


def boundaries(policies: Iterable[ir.CheckedPolicy]) -> Boundaries:
    """The boundary values of ``policies`` together (``titlerules diff`` passes two)."""
    numbers: set[int | float] = set()
    dates: set[datetime.date] = set()
    strings: set[str] = set()

    def collect(value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, (int, float)):
            numbers.add(value)
        elif isinstance(value, datetime.date):
            dates.add(value)
        elif isinstance(value, str):
            strings.add(value)
        elif isinstance(value, (list, tuple, frozenset, set)):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                collect(key)
                collect(item)

    for policy in policies:
        for param in policy.params:
            collect(param.value)
        for table in policy.tables:
            for key, value in table.entries:
                collect(key)
                collect(value)
        if policy.year is not None:
            numbers.add(policy.year)
        for node in _constants((policy.rules, policy.derived, policy.outputs)):
            if isinstance(node, ir.TableGet):
                collect(list(node.entries))
            elif not isinstance(t.strip_nullable(node.type), t.EnumType):
                collect(node.value)
    years = {int(n) for n in numbers if isinstance(n, int) and 1900 <= n <= 2200} | {d.year for d in dates}
    return Boundaries(tuple(sorted(numbers)), tuple(sorted(dates)), tuple(sorted(strings)), tuple(sorted(years)))


def _constants(root: Any) -> list[Any]:
    """Every ``Const``, ``Param`` and ``TableGet`` node reachable from ``root``; messages,
    spans and types are not walked (their text is not a boundary)."""
    found: list[Any] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, (tuple, list)):
            stack.extend(node)
            continue
        if not attrs.has(type(node)) or id(node) in seen or isinstance(node, ir.Message):
            continue
        seen.add(id(node))
        if isinstance(node, (ir.Const, ir.Param, ir.TableGet)):
            found.append(node)
        for field in attrs.fields(type(node)):
            if field.name not in ("type", "span"):
                stack.append(getattr(node, field.name))
    return found
