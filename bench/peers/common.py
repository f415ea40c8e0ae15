"""What every peer engine shares: the document flattened to the scalars their expression
languages read, and the contract's rules as boolean conditions.

Each rule is a pair of conditions (fails, needs an action); the verdict is "ineligible"
when any rule fails, else "pending" when any needs an action, else "eligible". Peers see
dates as integers YYYYMMDD (zen-engine does not order strings) and get the publicity's
working days precomputed (no peer has China's official calendar); both conversions run
inside the timed peer call. Written in the and/or/not syntax that zen-engine and
rule-engine share; the CEL peer translates the operators. The two quantified conditions
are each engine's own (``ANY_ACHIEVEMENT_EARLY``, ``ANY_BAN_IN_FORCE``).
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

import chinese_calendar  # type: ignore[import-untyped]

LEVEL = {"junior": 0, "assistant": 1, "intermediate": 2, "senior": 3}
GRADE = {"unqualified": 0, "basically_qualified": 1, "qualified": 2, "good": 3, "excellent": 4}
EDUCATION = {"below_college": 0, "college": 1, "bachelor": 2, "master": 3, "doctorate": 4}
COUNTIES = '["莲都区", "龙泉市", "青田县", "缙云县", "遂昌县", "松阳县", "云和县", "庆元县", "景宁畲族自治县", "市直"]'
AREAS = '["creation", "design", "research", "production"]'


def _ok(year: int) -> str:
    p, g, i = f"p{year}", f"g{year}", f"i{year}"
    return f"({p} + {g} + {i} >= 90 and {p} >= 60 and {g} + {i} >= 18 and {g} >= 12)"


# rule id -> (fails, needs an action); "false" where the rule has no such outcome.
RULES: dict[str, tuple[str, str]] = {
    "applicant_scope": (f'city != "丽水市" or not (county in {COUNTIES}) or not (work_area in {AREAS})', "false"),
    "level_progression": ("has_prior and prior_level >= level", "false"),
    "qualification": (
        '(route == "standard" and not q194) or (route == "direct" and not qdirect)'
        ' or (route == "exceptional" and not qexceptional)',
        "false",
    ),
    "route": ('route != "standard" and level != 2', 'route != "standard" and not approval_form'),
    "achievements_since_title": ("false", "has_prior and ANY_ACHIEVEMENT_EARLY"),
    "annual_assessment": ("grade2019 < 2 or grade2020 < 2", "false"),
    "continuing_education": (
        f"(level == 2 and not {_ok(2020)}) or (not {_ok(2021)} and as_of > 20211212)",
        f"not {_ok(2021)} and not (as_of > 20211212)",
    ),
    "social_security": ("false", "not (in_province or ss_proof)"),
    "degree_verification": (
        "false",
        "not ((edu_domestic and edu_level >= 1 and edu_year >= 2001 and edu_auto) or edu_certs)",
    ),
    "prior_title_confirmation": ("false", 'has_prior and prior_origin != "local" and not prior_confirmed'),
    "publicity": (
        "publicity_workdays < 5 and as_of > 20211223",
        "publicity_workdays < 5 and not (as_of > 20211223)",
    ),
    "copies_verified": ("false", "not copies_verified"),
    "fraud": ("fraud_current or ANY_BAN_IN_FORCE", "false"),
    "deadlines": ("online > 20211212 or unit > 20211223 or county_reported > 20211231", "false"),
    "paper_materials": ("paper_submitted > 20220107", "paper_copies < 3 or not watermark"),
    "fee": ("not fee_paid and as_of > fee_deadline", "not fee_paid and not (as_of > fee_deadline)"),
}


@functools.lru_cache(maxsize=4096)
def workdays(start: str, end: str) -> int:
    first, last = datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)
    return 0 if first > last else len(chinese_calendar.get_workdays(first, last))


def _day(text: str | None) -> int:
    return int(text.replace("-", "")) if text else 0


def context(doc: dict[str, Any], as_of: str | None) -> dict[str, Any]:
    """The flat variables the conditions read."""
    prior = doc.get("prior_title")
    level = LEVEL[doc["declared_level"]]
    ce = doc["continuing_education"]
    hours = {}
    for year in (2020, 2021):
        h = ce.get(str(year), {"professional": 0, "general_public": 0, "industry_public": 0})
        hours[f"p{year}"], hours[f"g{year}"], hours[f"i{year}"] = (
            h["professional"],
            h["general_public"],
            h["industry_public"],
        )
    education = doc["education"]
    security = doc["social_security"]
    fraud = doc["fraud"]
    steps = doc["steps"]
    paper = doc["paper"]
    fee = doc["fee"]
    return {
        "city": doc["workplace"]["city"],
        "county": doc["workplace"]["county"],
        "work_area": doc["work_area"],
        "level": level,
        "route": doc.get("route", "standard"),
        "approval_form": doc.get("approval_form", False),
        "q194": doc["qualification"]["meets_194_conditions"],
        "qdirect": doc["qualification"]["meets_direct_conditions"],
        "qexceptional": doc["qualification"]["meets_exceptional_conditions"],
        "has_prior": prior is not None,
        "prior_level": LEVEL[prior["level"]] if prior else -1,
        "prior_origin": prior["origin"] if prior else "",
        "prior_confirmed": prior.get("confirmed", False) if prior else False,
        "prior_obtained": _day(prior["obtained"]) if prior else 0,
        "achievement_dates": [_day(a["date"]) for a in doc.get("achievements", [])],
        "grade2019": GRADE[doc["annual_assessments"]["2019"]],
        "grade2020": GRADE[doc["annual_assessments"]["2020"]],
        **hours,
        "edu_domestic": education["domestic"],
        "edu_level": EDUCATION[education["level"]],
        "edu_year": education["year"],
        "edu_auto": education.get("auto_extracted", True),
        "edu_certs": education.get("certificates_uploaded", False),
        "in_province": security["in_province"],
        "ss_proof": security.get("out_of_province_proof", False),
        "publicity_workdays": workdays(doc["publicity"]["start"], doc["publicity"]["end"]),
        "copies_verified": doc.get("copies_verified", False),
        "fraud_current": fraud.get("current_application", False),
        "ban_years": [r["evaluation_year"] for r in fraud.get("history", []) if r["scope"] == "all"],
        "online": _day(steps["online_submitted"]),
        "unit": _day(steps["unit_reviewed"]),
        "county_reported": _day(steps["county_reported"]),
        "paper_submitted": _day(paper["submitted"]),
        "paper_copies": paper["copies"],
        "watermark": paper.get("watermark", False),
        "fee_paid": fee.get("paid", False),
        "fee_deadline": _day(fee["deadline"]),
        "as_of": _day(as_of),
    }


def conditions(achievement_early: str, ban_in_force: str) -> dict[str, tuple[str, str]]:
    """The rules with an engine's own two quantified conditions filled in."""
    return {
        rule: tuple(  # type: ignore[misc]
            c.replace("ANY_ACHIEVEMENT_EARLY", achievement_early).replace("ANY_BAN_IN_FORCE", ban_in_force)
            for c in pair
        )
        for rule, pair in RULES.items()
    }
