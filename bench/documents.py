"""Seeded, boundary-heavy applicant documents for the bundled policy lishui-2021-crafts.

    from bench.documents import generate
    docs = generate(1000, seed=2021)   # [(document, as_of), ...], the same on every run

Every value is drawn from the edges the notice draws: a day before, on and after each
deadline, hours one under and on each minimum, the years 2000/2001 of degree registration,
grades just under and on "qualified", bans ending the year before or in the application
year. Documents are complete (every fact the rules read is given, or defaulted by the
schema), so the evaluation reaches every rule's decision rather than stopping at "unknown".
"""

from __future__ import annotations

import copy
import datetime
import random
from collections.abc import Iterator
from typing import Any

LEVELS = ["junior", "assistant", "intermediate"]
PRIOR_LEVELS = ["junior", "assistant", "intermediate", "senior"]
ROUTES = ["standard", "standard", "direct", "exceptional"]
GRADES = ["unqualified", "basically_qualified", "qualified", "good", "excellent"]
COUNTIES = ["莲都区", "龙泉市", "青田县", "市直", "杭州市西湖区"]
CITIES = ["丽水市", "丽水市", "丽水市", "杭州市"]
AREAS = ["creation", "design", "research", "production", "sales"]
EDUCATION = ["below_college", "college", "bachelor", "master", "doctorate"]
ORIGINS = ["local", "local", "other_city", "other_province", "central_or_provincial_unit", "military"]


def edge(rng: random.Random, ok: list[Any], bad: list[Any], p_bad: float = 0.04) -> Any:
    """A value on the passing side of a boundary, or (with probability ``p_bad``) across it."""
    return rng.choice(bad) if rng.random() < p_bad else rng.choice(ok)


def _day(text: str, offset: int) -> str:
    return (datetime.date.fromisoformat(text) + datetime.timedelta(days=offset)).isoformat()


def _hours(rng: random.Random) -> dict[str, Any]:
    # Each component on or one under its threshold (60 professional, 12 general, 18 public, 90 in all).
    professional = edge(rng, [60, 61, 64], [59])
    general = edge(rng, [12, 14], [11])
    industry = edge(rng, [18, 20, 26], [5])
    return {"professional": professional, "general_public": general, "industry_public": industry}


def document(rng: random.Random, index: int) -> tuple[dict[str, Any], str | None]:
    """One document and its ``as_of`` (None: no deadline has passed)."""
    level = rng.choice(LEVELS)
    doc: dict[str, Any] = {
        "id": f"BENCH-{index:07d}",
        "declared_level": level,
        "workplace": {"city": edge(rng, ["丽水市"], ["杭州市"]), "county": edge(rng, COUNTIES[:4], COUNTIES[4:])},
        "work_area": edge(rng, AREAS[:4], AREAS[4:]),
        "qualification": {
            "meets_194_conditions": edge(rng, [True], [False]),
            "meets_direct_conditions": rng.random() < 0.8,
            "meets_exceptional_conditions": rng.random() < 0.8,
        },
        "annual_assessments": {str(y): edge(rng, GRADES[2:], GRADES[:2]) for y in (2019, 2020)},
        "continuing_education": {str(y): _hours(rng) for y in (2020, 2021)},
        "education": {
            "level": rng.choice(EDUCATION),
            "year": rng.choice([1998, 2000, 2001, 2002, 2010]),
            "domestic": rng.random() < 0.8,
            "auto_extracted": rng.random() < 0.9,
            "certificates_uploaded": rng.random() < 0.5,
        },
        "social_security": {"in_province": rng.random() < 0.8, "out_of_province_proof": rng.random() < 0.5},
        "publicity": {
            "start": _day("2021-11-29", edge(rng, [-7, 0], [1])),
            "end": _day("2021-12-03", edge(rng, [0, 3], [-1])),
        },
        "copies_verified": rng.random() < 0.9,
        "paper": {
            "copies": edge(rng, [3, 4], [2]),
            "watermark": rng.random() < 0.95,
            "submitted": _day("2022-01-07", edge(rng, [-10, 0], [1])),
        },
        "steps": {
            "online_submitted": _day("2021-12-12", edge(rng, [-6, 0], [1])),
            "unit_reviewed": _day("2021-12-23", edge(rng, [-8, 0], [1])),
            "county_reported": _day("2021-12-31", edge(rng, [-7, 0], [1])),
        },
        "fee": {"paid": rng.random() < 0.9, "deadline": _day("2022-01-20", rng.choice([-30, 0]))},
    }
    if rng.random() < 0.25:
        doc["route"] = rng.choice(ROUTES[1:])
        doc["approval_form"] = rng.random() < 0.7
    below = PRIOR_LEVELS[: LEVELS.index(level)]
    if rng.random() < (0.75 if below else 0.1):
        obtained = edge(rng, ["2016-09-01", "2016-08-31"], ["2019-10-18", "2020-06-02"], 0.2)
        doc["prior_title"] = {
            "level": edge(rng, below or PRIOR_LEVELS[:1], PRIOR_LEVELS[len(below) :], 0.08),
            "obtained": obtained,
            "origin": rng.choice(ORIGINS),
            "confirmed": rng.random() < 0.6,
        }
    else:
        doc["prior_title"] = None
    doc["achievements"] = [
        {"name": f"作品{n}", "date": edge(rng, ["2019-10-18", "2020-06-02", "2021-03-15"], ["2016-08-31"])}
        for n in range(rng.choice([0, 1, 2, 3]))
    ]
    fraud: dict[str, Any] = {"current_application": rng.random() < 0.03}
    if rng.random() < 0.1:
        fraud["history"] = [{"evaluation_year": rng.choice([2017, 2018, 2020]), "scope": rng.choice(["all", "senior"])}]
    doc["fraud"] = fraud
    as_of = rng.choice([None, None, "2021-12-12", "2021-12-13", "2022-01-08", "2022-01-21"])
    return doc, as_of


def generate(count: int, seed: int = 2021) -> list[tuple[dict[str, Any], str | None]]:
    """``count`` documents with their ``as_of``, the same for the same seed."""
    rng = random.Random(seed)
    return [document(rng, i) for i in range(count)]


def value_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The key path of every value inside ``value`` (containers and leaves), each after
    the values inside it; list items by index."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from value_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from value_paths(item, (*path, index))
    if path:
        yield path


def with_value(document: Any, path: tuple[Any, ...], new: Any, *, delete: bool = False) -> Any:
    """A copy of ``document`` whose value at ``path`` is ``new`` (or, with ``delete``, gone)."""
    changed = copy.deepcopy(document)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return changed
