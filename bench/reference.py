"""Hand-written plain Python for the bundled policy lishui-2021-crafts: the yardstick.

``decide(document, as_of)`` returns the same dict as
``policy.evaluate(document, as_of).to_dict()`` (messages, facts read, children, outputs,
provenance) for the complete documents of :mod:`bench.documents`; ``verdict(document,
as_of)`` returns only the verdict string. Neither handles absent facts ("unknown"): that is
the work a general evaluator does and a hand-written function for one notice skips. Both
are benchmarks only, not part of the library.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
from typing import Any

import chinese_calendar  # type: ignore[import-untyped]

from titlerules.policy import bundled_policies
from titlerules.version import __version__

POLICY_ID = "lishui-2021-crafts"
COUNTIES = ("莲都区", "龙泉市", "青田县", "缙云县", "遂昌县", "松阳县", "云和县", "庆元县", "景宁畲族自治县", "市直")
WORK_AREAS = ("creation", "design", "research", "production")
LEVEL_RANK = {"junior": 0, "assistant": 1, "intermediate": 2, "senior": 3}
LEVEL_ZH = {"junior": "员级", "assistant": "助理级", "intermediate": "中级", "senior": "高级"}
ROUTE_ZH = {"standard": "常规申报", "direct": "职称“直通车”直接申报", "exceptional": "破格申报"}
GRADE_RANK = {"unqualified": 0, "basically_qualified": 1, "qualified": 2, "good": 3, "excellent": 4}
EDUCATION_RANK = {"below_college": 0, "college": 1, "bachelor": 2, "master": 3, "doctorate": 4}
ORIGIN_ZH = {
    "local": "本市",
    "other_city": "外市",
    "other_province": "外省",
    "central_or_provincial_unit": "中央、省部属单位",
    "military": "军队转业",
}
CE_YEARS = {"junior": (2021,), "assistant": (2021,), "intermediate": (2020, 2021)}
FEES = {
    "junior": {"evaluation": 100, "total": 100},
    "assistant": {"evaluation": 100, "total": 100},
    "intermediate": {"evaluation": 180, "recommendation": 80, "total": 260},
}
RECOMMENDERS = {"青田县": "青田县工艺美术初评委", "龙泉市": "龙泉市工艺美术初评委"}
EVALUATOR = "丽水市工艺美术中评委"
ONLINE = datetime.date(2021, 12, 12)
UNIT = datetime.date(2021, 12, 23)
# Step deadlines, compared with the document's ISO dates as text.
COUNTY = "2021-12-31"
PAPER = "2022-01-07"
CONSEQUENCES = [
    {"code": "materials_returned", "zh": "申报材料一律予以退回", "en": "the application materials are returned"},
    {
        "code": "applications_barred",
        "zh": "2022—2024年不得申报职称",
        "en": "no title applications 2022-2024",
        "from": 2022,
        "to": 2024,
    },
    {
        "code": "title_revoked",
        "zh": "已参加评审取得资格的，取消其资格",
        "en": "a title obtained through this application is revoked",
    },
]


def Message(zh: str, en: str) -> dict[str, str]:  # noqa: N802
    return {"zh": zh, "en": en}


NOTES = {
    "qualification": Message(
        "194号评价办法、直通车办法和破格条件的具体条文不在本通知中，本政策不另行编造其数字，读取评委会审核确认的结论；资历计算截止2021年12月31日。",
        "The texts of the 194 rules, the direct-route rules and the exceptional conditions are not in the notice; rather than invent their numbers the policy reads the committee's attested finding. Seniority counts up to 2021-12-31.",
    ),
    "annual_assessment": Message(
        "“近两年”指申报年度之前已完成的两个考核年度（2019、2020年）：2021年度考核在12月23日单位审核截止前尚未进行。“合格以上”含合格。",
        "The last two years are the two completed assessment years before the application year (2019 and 2020): the 2021 assessment does not exist before the unit's 12-23 deadline. Qualified or better includes qualified.",
    ),
    "continuing_education": Message(
        "员级：通知只写明中级（2020、2021年）和助理级（2021年）；员级与助理级同属初级，按助理级要求2021年一年。“2019年以前”含2019年（通知列举的年份可证）。",
        "Junior: the notice states the intermediate (2020 and 2021) and assistant (2021) years only; junior and assistant are both 初级, so junior follows the assistant rule, 2021 alone. Up to 2019 includes 2019, as the notice's own list of years confirms.",
    ),
    "degree_verification": Message(
        "“2001年以后取得”含2001年，“2001年以前”不含2001年：学历电子注册自2001届毕业生开始。",
        "From 2001 on includes 2001 and before 2001 excludes it: online degree registration starts with the 2001 graduates.",
    ),
    "fraud": Message(
        "原文为“3年内不得申报高级专业技术职务任职资格”；本通知为中初级评审，按职称评审管理暂行规定的3年诚信记录，理解为3年内不得申报任何职称。字面理解只禁止申报高级职称。",
        "The text bars senior applications for 3 years; in a notice for junior and intermediate titles, and under the national 3-year integrity record, the policy reads it as barring all title applications. Read literally, it bars senior applications only.",
    ),
    "fee": Message(
        "“中级评审费180元/人，推荐费80元/人；初级评审费100元/人”：分号结束中级一句，推荐费只适用于中级；初级只缴评审费100元（见 fees 输出）。",
        "The semicolon closes the intermediate sentence: the 80-yuan recommendation fee applies to intermediate applicants only; junior and assistant applicants pay the 100-yuan evaluation fee alone (see the fees output).",
    ),
}

TITLES = {
    "applicant_scope": Message("申报对象", "Who may apply"),
    "level_progression": Message("申报层级", "Level applied for"),
    "qualification": Message("申报条件", "Conditions of the route"),
    "route": Message("申报途径", "Application route"),
    "achievements_since_title": Message("业绩取得时间", "Achievements since the current title"),
    "annual_assessment": Message("年度考核", "Annual assessments"),
    "continuing_education": Message("继续教育学时", "Continuing-education hours"),
    "social_security": Message("社保证明", "Social-security proof"),
    "degree_verification": Message("学历认证", "Degree verification"),
    "prior_title_confirmation": Message("市外职称审定", "Confirmation of a title from elsewhere"),
    "publicity": Message("单位公示", "Publicity at the unit"),
    "copies_verified": Message("复印件核对", "Copies checked"),
    "fraud": Message("申报纪律", "Integrity"),
    "deadlines": Message("申报时限", "Deadlines"),
    "paper_materials": Message("纸质材料", "Paper materials"),
    "fee": Message("评审费缴纳", "Fees"),
}
CITES = {
    "applicant_scope": "一",
    "level_progression": "二",
    "qualification": "二",
    "route": "二, 附件3",
    "achievements_since_title": "二",
    "annual_assessment": "三(二)",
    "continuing_education": "三(三)",
    "social_security": "三(四)",
    "degree_verification": "三(五)",
    "prior_title_confirmation": "三(六)",
    "publicity": "三(八)1",
    "copies_verified": "三(八)2",
    "fraud": "三(九)",
    "deadlines": "五",
    "paper_materials": "四(二)",
    "fee": "六",
}
STEPS = (
    ("online", "online_submitted", "2021-12-12", Message("个人网上申报", "Online application")),
    ("unit", "unit_reviewed", "2021-12-23", Message("单位审核报送", "Unit review")),
    ("county", "county_reported", COUNTY, Message("县市区报送市中评委", "County forwarding")),
)


@functools.lru_cache(maxsize=4096)
def workdays(start: datetime.date, end: datetime.date) -> int:
    return 0 if start > end else len(chinese_calendar.get_workdays(start, end))


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _en(value: str) -> str:
    return value.replace("_", " ")


def _join(messages: list[dict[str, str]]) -> dict[str, str]:
    unique: list[dict[str, str]] = []
    for m in messages:
        if m not in unique:
            unique.append(m)
    return {"zh": "；".join(m["zh"] for m in unique), "en": "; ".join(m["en"] for m in unique)}


def _finding(
    rule: str,
    outcome: str,
    message: dict[str, str],
    facts: dict[str, Any],
    deadline: datetime.date | None = None,
    children: list[dict[str, Any]] | None = None,
    title: dict[str, str] | None = None,
    cite: str | None = None,
) -> dict[str, Any]:
    top = rule.split(".")[0]
    return {
        "rule": rule,
        "outcome": outcome,
        "cite": cite or CITES[top],
        "title": title or TITLES[top],
        "message": message,
        "facts": facts,
        "missing": [],
        "deadline": deadline.isoformat() if deadline else None,
        "note": NOTES.get(top) if title is None else None,
        "children": children or [],
    }


def _combine(outcomes: list[str]) -> str:
    if "fail" in outcomes:
        return "fail"
    if "action" in outcomes:
        return "action"
    return "pass"


def _decided(
    rule: str,
    items: list[tuple[str, dict[str, str], datetime.date | None]],
    facts: dict[str, Any],
    pass_message: dict[str, str],
    children: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A finding from its requirements' (outcome, message, deadline), as a block combines them."""
    outcome = _combine([i[0] for i in items])
    if outcome == "pass":
        return _finding(rule, "pass", pass_message, facts, children=children)
    deciding = [i for i in items if i[0] == outcome]
    deadlines = [i[2] for i in deciding if i[2] is not None]
    deadline = min(deadlines) if outcome == "action" and deadlines else None
    return _finding(rule, outcome, _join([i[1] for i in deciding]), facts, deadline, children)


def _outstanding(as_of: datetime.date | None, last_day: datetime.date) -> tuple[str, datetime.date | None]:
    if as_of is not None and as_of > last_day:
        return "fail", None
    return "action", last_day


def _years(values: list[int], sep: str) -> str:
    return sep.join(str(v) for v in values)


def decide(document: dict[str, Any], as_of: str | None = None) -> dict[str, Any]:
    """The decision dict of ``policy.evaluate(document, as_of).to_dict()``, by hand."""
    day = _date(as_of) if as_of else None
    doc = document
    findings: list[dict[str, Any]] = []
    level = doc["declared_level"]
    route = doc.get("route", "standard")
    prior = doc.get("prior_title")

    # applicant_scope
    city, county, area = doc["workplace"]["city"], doc["workplace"]["county"], doc["work_area"]
    items: list[tuple[str, dict[str, str], datetime.date | None]] = []
    if city != "丽水市":
        items.append(
            ("fail", Message(f"工作单位在{city}，不在丽水市", f"the workplace is in {city}, not in Lishui"), None)
        )
    if county not in COUNTIES:
        items.append(
            (
                "fail",
                Message(
                    f"“{county}”不是丽水市所辖县(市、区)或市直单位",
                    f"{county} is not a county of Lishui nor a city-level unit",
                ),
                None,
            )
        )
    if area not in WORK_AREAS:
        items.append(
            (
                "fail",
                Message(
                    f"从事的“{area}”不属于工艺美术创作、设计、科研、生产制作",
                    f"{area} is not arts-and-crafts creation, design, research or production",
                ),
                None,
            )
        )
    findings.append(
        _decided(
            "applicant_scope",
            items,
            {"workplace.city": city, "workplace.county": county, "work_area": area},
            Message(f"在丽水市{county}从事工艺美术工作", f"works in arts and crafts in {county}, Lishui"),
        )
    )

    # level_progression
    if prior is None:
        findings.append(
            _finding(
                "level_progression",
                "pass",
                Message(f"现无专业技术资格，可申报{LEVEL_ZH[level]}", f"holds no title yet and may apply for {level}"),
                {"prior_title": None, "declared_level": level},
            )
        )
    else:
        plevel = prior["level"]
        facts = {"prior_title.level": plevel, "declared_level": level}
        if LEVEL_RANK[plevel] < LEVEL_RANK[level]:
            findings.append(
                _finding(
                    "level_progression",
                    "pass",
                    Message(
                        f"现有{LEVEL_ZH[plevel]}资格，申报{LEVEL_ZH[level]}",
                        f"current title {plevel}, applying for {level}",
                    ),
                    facts,
                )
            )
        else:
            findings.append(
                _finding(
                    "level_progression",
                    "fail",
                    Message(
                        f"已取得{LEVEL_ZH[plevel]}资格，不能申报同级或更低的{LEVEL_ZH[level]}",
                        f"the current title, {plevel}, is not below {level}",
                    ),
                    facts,
                )
            )

    # qualification
    field = {
        "standard": "meets_194_conditions",
        "direct": "meets_direct_conditions",
        "exceptional": "meets_exceptional_conditions",
    }[route]
    met = doc["qualification"][field]
    facts = {"route": route, f"qualification.{field}": met}
    if met:
        findings.append(
            _finding(
                "qualification",
                "pass",
                Message(f"经审核符合{ROUTE_ZH[route]}条件", f"meets the conditions of the {route} route"),
                facts,
            )
        )
    else:
        failure = {
            "standard": Message(
                "经审核不符合丽人社〔2012〕194号规定的申报条件",
                "found not to meet the conditions of 丽人社〔2012〕194号",
            ),
            "direct": Message("经审核不符合职称“直通车”直接申报条件", "found not to meet the direct-route conditions"),
            "exceptional": Message("经审核不符合破格申报条件", "found not to meet the exceptional-route conditions"),
        }[route]
        findings.append(_finding("qualification", "fail", failure, facts))

    # route
    if route == "standard":
        findings.append(
            _finding(
                "route", "not_applicable", Message("按常规途径申报", "applies by the standard route"), {"route": route}
            )
        )
    else:
        form = doc.get("approval_form", False)
        facts = {"route": route, "declared_level": level, "approval_form": form}
        items = []
        if level != "intermediate":
            items.append(
                (
                    "fail",
                    Message(
                        f"{ROUTE_ZH[route]}只能申报工艺美术师（中级），不能申报{LEVEL_ZH[level]}",
                        f"the {route} route leads only to the intermediate title, not to {level}",
                    ),
                    None,
                )
            )
        if not form:
            items.append(
                (
                    "action",
                    Message(
                        "须提交附件3《破格(直接)推荐工艺美术师审批表》",
                        "attach form 3, the approval form for direct or exceptional recommendation",
                    ),
                    None,
                )
            )
        findings.append(
            _decided(
                "route",
                items,
                facts,
                Message(
                    f"{ROUTE_ZH[route]}申报工艺美术师，已提交审批表",
                    f"{route} route to the intermediate title, approval form attached",
                ),
            )
        )

    # achievements_since_title
    achievements = doc.get("achievements", [])
    if prior is None:
        findings.append(
            _finding(
                "achievements_since_title",
                "pass",
                Message("现无专业技术资格，业绩不受取得时间限制", "holds no title yet, so no achievement is too early"),
                {"prior_title": None},
            )
        )
    else:
        obtained_text = prior["obtained"]
        facts = {}
        excluded = []
        for i, a in enumerate(achievements):
            facts[f"achievements.{i}.date"] = a["date"]
            if a["date"] < obtained_text:  # ISO dates compare as text
                excluded.append(a)
        if achievements:
            facts["prior_title.obtained"] = obtained_text
        if excluded:
            names_facts = {f"achievements.{achievements.index(a)}.name": a["name"] for a in excluded}
            facts.update(names_facts)
            names = [a["name"] for a in excluded]
            facts["excluded"] = [{"name": a["name"], "date": a["date"]} for a in excluded]
            findings.append(
                _finding(
                    "achievements_since_title",
                    "action",
                    Message(
                        f"以下业绩早于现有资格取得日期{obtained_text}，不能作为申报业绩：{'、'.join(names)}",
                        f"these achievements predate the current title ({obtained_text}) and do not count: {', '.join(names)}",
                    ),
                    facts,
                )
            )
        else:
            facts["excluded"] = []
            findings.append(
                _finding(
                    "achievements_since_title",
                    "pass",
                    Message("申报业绩均为取得现有资格以来取得", "every achievement dates from the current title on"),
                    facts,
                )
            )

    # annual_assessment
    grades = {int(k): v for k, v in doc["annual_assessments"].items()}
    facts = {}
    below = []
    for y in (2019, 2020):
        facts[f"annual_assessments.{y}"] = grades[y]
        if GRADE_RANK[grades[y]] < 2:
            below.append(y)
    if below:
        findings.append(
            _finding(
                "annual_assessment",
                "fail",
                Message(
                    f"{_years(below, '、')}年度考核低于合格",
                    f"the assessment of {_years(below, ', ')} is below qualified",
                ),
                facts,
            )
        )
    else:
        findings.append(
            _finding(
                "annual_assessment",
                "pass",
                Message("2019、2020年度考核均为合格以上", "assessments of 2019, 2020 are qualified or better"),
                facts,
            )
        )

    # continuing_education
    ce = doc["continuing_education"]
    children = []
    for y in CE_YEARS[level]:
        hours = ce[str(y)]
        p, g, ind = hours["professional"], hours["general_public"], hours["industry_public"]
        total = p + g + ind
        public = g + ind
        compliant = total >= 90 and p >= 60 and public >= 18 and g >= 12
        facts = {
            f"continuing_education.{y}.professional": p,
            f"continuing_education.{y}.general_public": g,
            f"continuing_education.{y}.industry_public": ind,
            "total": total,
        }
        title = Message(f"{y}年度", str(y))
        shortfall_zh = (
            f"合计{total}（须≥90），专业科目{p}（须≥60），公需科目{public}（须≥18），其中一般公需{g}（须≥12）"
        )
        shortfall_en = (
            f"{total} in all (at least 90), {p} professional (at least 60), {public} public (at least 18), "
            f"of which {g} general public (at least 12)"
        )
        rule = f"continuing_education.{y}"
        cite = CITES["continuing_education"]
        if compliant:
            child = _finding(
                rule,
                "pass",
                Message(
                    f"{y}年度学时达标：合计{total}，专业科目{p}，公需科目{public}",
                    f"{y} hours met: {total} in all, {p} professional, {public} public",
                ),
                facts,
                title=title,
                cite=cite,
            )
        elif y < 2021:
            child = _finding(
                rule,
                "fail",
                Message(f"{y}年度学时不达标：{shortfall_zh}", f"{y} hours fall short: {shortfall_en}"),
                facts,
                title=title,
                cite=cite,
            )
        else:
            outcome, deadline = _outstanding(day, ONLINE)
            if outcome == "fail":
                message = Message(f"{y}年度学时未在2021-12-12前达标", f"{y} hours were not completed by 2021-12-12")
            else:
                message = Message(
                    f"{y}年度学时尚未达标：{shortfall_zh}；须在2021-12-12前补足",
                    f"{y} hours still fall short: {shortfall_en}; complete them by 2021-12-12",
                )
            child = _finding(rule, outcome, message, facts, deadline, title=title, cite=cite)
        children.append(child)
    years_zh = _years(list(CE_YEARS[level]), "、")
    years_en = _years(list(CE_YEARS[level]), ", ")
    findings.append(
        _decided(
            "continuing_education",
            [(c["outcome"], c["message"], _date(c["deadline"]) if c["deadline"] else None) for c in children],
            {"declared_level": level},
            Message(
                f"继续教育学时符合{LEVEL_ZH[level]}要求（{years_zh}年度）",
                f"continuing-education hours meet the {level} requirement ({years_en})",
            ),
            children,
        )
    )

    # social_security
    security = doc["social_security"]
    inside = security["in_province"]
    facts = {"social_security.in_province": inside}
    proven = inside
    if not inside:
        proven = security.get("out_of_province_proof", False)
        facts["social_security.out_of_province_proof"] = proven
    if proven:
        findings.append(
            _finding(
                "social_security",
                "pass",
                Message("社保缴纳信息可自动获取或已提供省外证明", "contributions are on record in Zhejiang or proven"),
                facts,
            )
        )
    else:
        findings.append(
            _finding(
                "social_security",
                "action",
                Message(
                    "在外省缴纳社保的，须由个人提供省外缴纳社保的相关证明",
                    "contributions paid outside Zhejiang: upload proof of them",
                ),
                facts,
            )
        )

    # degree_verification
    education = doc["education"]
    facts = {"education.domestic": education["domestic"]}
    automatic = education["domestic"]
    if automatic:
        facts["education.level"] = education["level"]
        automatic = EDUCATION_RANK[education["level"]] >= 1
    if automatic:
        facts["education.year"] = education["year"]
        automatic = education["year"] >= 2001
    if automatic:
        automatic = education.get("auto_extracted", True)
        facts["education.auto_extracted"] = automatic
    verified = automatic
    if not automatic:
        verified = education.get("certificates_uploaded", False)
        facts["education.certificates_uploaded"] = verified
    if verified:
        findings.append(
            _finding(
                "degree_verification",
                "pass",
                Message("学历已自动核验或已上传证明材料", "the degree is verified online or by uploaded certificates"),
                facts,
            )
        )
    else:
        findings.append(
            _finding(
                "degree_verification",
                "action",
                Message(
                    "学历信息不能自动提取，须上传学历学位证书、学历备案表、毕业生登记表或国外学历学位认证书等证明材料",
                    "the degree cannot be verified online: upload the diploma, registration form, graduate record or foreign degree certification",
                ),
                facts,
            )
        )

    # prior_title_confirmation
    if prior is None:
        findings.append(
            _finding(
                "prior_title_confirmation",
                "not_applicable",
                Message("无须审定市外职称", "no title from outside the city to confirm"),
                {"prior_title": None},
            )
        )
    elif prior["origin"] == "local":
        findings.append(
            _finding(
                "prior_title_confirmation",
                "not_applicable",
                Message("无须审定市外职称", "no title from outside the city to confirm"),
                {"prior_title.origin": "local"},
            )
        )
    else:
        origin = prior["origin"]
        confirmed = prior.get("confirmed", False)
        facts = {"prior_title.origin": origin, "prior_title.confirmed": confirmed}
        if confirmed:
            findings.append(
                _finding(
                    "prior_title_confirmation",
                    "pass",
                    Message(
                        f"{ORIGIN_ZH[origin]}取得的职称已审定、确认", f"the title from {_en(origin)} has been confirmed"
                    ),
                    facts,
                )
            )
        else:
            findings.append(
                _finding(
                    "prior_title_confirmation",
                    "action",
                    Message(
                        f"{ORIGIN_ZH[origin]}取得的职称证书，须按丽水市人社局相关文件要求审定、确认",
                        f"the title obtained at {_en(origin)} must be confirmed as the city's HR bureau requires",
                    ),
                    facts,
                )
            )

    # publicity
    start_text, end_text = doc["publicity"]["start"], doc["publicity"]["end"]
    start, end = _date(start_text), _date(end_text)
    days = workdays(start, end)
    facts = {"publicity.start": start_text, "publicity.end": end_text, "working_days": days}
    if days >= 5:
        findings.append(
            _finding(
                "publicity",
                "pass",
                Message(
                    f"已公示{days}个工作日（{start_text}至{end_text}）",
                    f"publicised for {days} working days ({start_text} to {end_text})",
                ),
                facts,
            )
        )
    else:
        outcome, deadline = _outstanding(day, UNIT)
        if outcome == "fail":
            message = Message(
                "未在2021-12-23前完成不少于5个工作日的公示", "no publicity of at least 5 working days by 2021-12-23"
            )
        else:
            message = Message(
                f"须在本单位公示不少于5个工作日（已公示{days}个），并在2021-12-23前录入系统",
                f"publicise at the unit for at least 5 working days (so far {days}) and record it by 2021-12-23",
            )
        findings.append(_finding("publicity", outcome, message, facts, deadline))

    # copies_verified
    copies = doc.get("copies_verified", False)
    if copies:
        findings.append(
            _finding(
                "copies_verified",
                "pass",
                Message("复印件已核对无误", "copies are checked against the originals"),
                {"copies_verified": True},
            )
        )
    else:
        findings.append(
            _finding(
                "copies_verified",
                "action",
                Message(
                    "复印材料须经单位人事部门核对原件，签署“核对无误”，由验证人签名、注明验证时间并加盖单位公章后扫描上传",
                    "have HR check the copies against the originals, mark them 核对无误, sign, date and stamp them, then upload the scans",
                ),
                {"copies_verified": False},
            )
        )

    # fraud
    fraud = doc["fraud"]
    current = fraud.get("current_application", False)
    history = fraud.get("history", [])
    facts = {"fraud.current_application": current}
    items = []
    if current:
        items.append(
            (
                "fail",
                Message(
                    "本次申报存在弄虚作假行为：申报材料一律退回，2022—2024年不得申报职称",
                    "falsification found in this application: materials returned, no title applications 2022-2024",
                ),
                None,
            )
        )
    banned = False
    for i, record in enumerate(history):
        facts[f"fraud.history.{i}.scope"] = record["scope"]
        if record["scope"] == "all":
            facts[f"fraud.history.{i}.evaluation_year"] = record["evaluation_year"]
            if record["evaluation_year"] + 1 <= 2021 <= record["evaluation_year"] + 3:
                banned = True
                break
    if banned:
        years = [r["evaluation_year"] for r in history if r["scope"] == "all"]
        for i, record in enumerate(history):
            facts[f"fraud.history.{i}.scope"] = record["scope"]
            if record["scope"] == "all":
                facts[f"fraud.history.{i}.evaluation_year"] = record["evaluation_year"]
        items.append(
            (
                "fail",
                Message(
                    f"因{_years(years, '、')}年度评审中弄虚作假，评审次年起3年内不得申报",
                    f"barred for 3 years after falsification in the {_years(years, ', ')} evaluation",
                ),
                None,
            )
        )
    findings.append(_decided("fraud", items, facts, Message("无弄虚作假记录", "no falsification on record")))

    # deadlines
    steps = doc["steps"]
    children = []
    step_messages = {
        "online": (
            lambda d: Message("网上申报未在2021-12-12前完成", "online application not made by 2021-12-12"),
            lambda d: Message(f"已于{d}完成网上申报", f"applied online on {d}"),
        ),
        "unit": (
            lambda d: Message("单位审核报送未在2021-12-23前完成", "the unit did not review and forward by 2021-12-23"),
            lambda d: Message(f"单位已于{d}审核报送", f"the unit reviewed and forwarded on {d}"),
        ),
        "county": (
            lambda d: Message(
                "县市区未在2021-12-31前报送市工艺美术中评委",
                "the county did not forward to the city committee by 2021-12-31",
            ),
            lambda d: Message(f"已于{d}报送市工艺美术中评委", f"forwarded to the city committee on {d}"),
        ),
    }
    for name, key, last_day, title in STEPS:
        text = steps[key]
        failed, passed = step_messages[name]
        ok = text <= last_day
        children.append(
            _finding(
                f"deadlines.{name}",
                "pass" if ok else "fail",
                passed(text) if ok else failed(text),
                {f"steps.{key}": text},
                title=title,
                cite=CITES["deadlines"],
            )
        )
    findings.append(
        _decided(
            "deadlines",
            [(c["outcome"], c["message"], None) for c in children],
            {},
            Message("网上申报、单位审核和县市区报送均在时限内完成", "every step was done in time"),
            children,
        )
    )

    # paper_materials
    paper = doc["paper"]
    submitted_text = paper["submitted"]
    count = paper["copies"]
    watermark = paper.get("watermark", False)
    facts = {"paper.submitted": submitted_text, "paper.copies": count, "paper.watermark": watermark}
    items = []
    if submitted_text > PAPER:
        items.append(
            ("fail", Message("纸质材料未在2022-01-07前报送", "paper materials not delivered by 2022-01-07"), None)
        )
    if count < 3:
        items.append(
            (
                "action",
                Message(
                    f"《专业技术职务任职资格评审表》须一式3份，现为{count}份",
                    f"the evaluation form is needed in 3 copies, {count} given",
                ),
                None,
            )
        )
    if not watermark:
        items.append(
            (
                "action",
                Message(
                    "《评审表》须带有“浙江省专业技术任职资格申报与评审管理平台”水印",
                    "the evaluation form must carry the platform's watermark",
                ),
                None,
            )
        )
    findings.append(
        _decided(
            "paper_materials",
            items,
            facts,
            Message(
                f"纸质材料已于{submitted_text}报送，一式{count}份，带平台水印",
                f"{count} watermarked copies delivered on {submitted_text}",
            ),
        )
    )

    # fee
    fee = doc["fee"]
    paid = fee.get("paid", False)
    if paid:
        findings.append(_finding("fee", "pass", Message("费用已缴纳", "fees paid"), {"fee.paid": True}))
    else:
        deadline_text = fee["deadline"]
        fee_deadline = _date(deadline_text)
        outcome, deadline = _outstanding(day, fee_deadline)
        if outcome == "fail":
            message = Message(
                f"未在规定时间（{deadline_text}）内缴费，视作自动放弃推荐评审",
                f"not paid by {deadline_text}: deemed to have withdrawn",
            )
        else:
            message = Message(
                "须按12333短信提示在规定时间内完成缴费，否则视作自动放弃推荐评审",
                "pay as the 12333 SMS instructs, in time, or be deemed to have withdrawn",
            )
        findings.append(_finding("fee", outcome, message, {"fee.paid": False, "fee.deadline": deadline_text}, deadline))

    outcomes = {f["outcome"] for f in findings}
    verdict_text = "ineligible" if "fail" in outcomes else "pending" if "action" in outcomes else "eligible"
    return {
        "applicant": doc["id"],
        "policy": POLICY_ID,
        "verdict": verdict_text,
        "findings": findings,
        "fees": dict(FEES[level]),
        "committee": {
            "recommender": RECOMMENDERS.get(county),
            "forwarded_by": None if county == "市直" else f"{county}人力社保部门",
            "evaluator": EVALUATOR,
        },
        "consequences": [dict(c) for c in CONSEQUENCES] if current else [],
        "as_of": day.isoformat() if day else None,
        "provenance": {
            "policy_sha256": POLICY_SHA256,
            "document_sha256": hashlib.sha256(
                json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode(
                    "utf-8"
                )
            ).hexdigest(),
            "titlerules_version": __version__,
        },
        "warnings": [],
    }


# The SHA-256 of the policy text, as Policy.source_sha256 computes it.
POLICY_SHA256 = hashlib.sha256(bundled_policies()[POLICY_ID].encode("utf-8")).hexdigest()


def verdict(document: dict[str, Any], as_of: str | None = None) -> str:
    """Only the verdict of ``decide``: the first failing rule settles it."""
    doc = document
    day = _date(as_of) if as_of else None
    level = doc["declared_level"]
    route = doc.get("route", "standard")
    prior = doc.get("prior_title")
    workplace = doc["workplace"]
    if workplace["city"] != "丽水市" or workplace["county"] not in COUNTIES or doc["work_area"] not in WORK_AREAS:
        return "ineligible"
    if prior is not None and LEVEL_RANK[prior["level"]] >= LEVEL_RANK[level]:
        return "ineligible"
    field = {"standard": "meets_194_conditions", "direct": "meets_direct_conditions"}.get(
        route, "meets_exceptional_conditions"
    )
    if not doc["qualification"][field]:
        return "ineligible"
    action = False
    if route != "standard":
        if level != "intermediate":
            return "ineligible"
        action = not doc.get("approval_form", False)
    if prior is not None:
        obtained = prior["obtained"]  # ISO dates compare as text
        if any(a["date"] < obtained for a in doc.get("achievements", ())):
            action = True
    grades = doc["annual_assessments"]
    if GRADE_RANK[grades["2019"]] < 2 or GRADE_RANK[grades["2020"]] < 2:
        return "ineligible"
    for y in CE_YEARS[level]:
        h = doc["continuing_education"][str(y)]
        p, g, i = h["professional"], h["general_public"], h["industry_public"]
        if not (p + g + i >= 90 and p >= 60 and g + i >= 18 and g >= 12):
            if y < 2021 or (day is not None and day > ONLINE):
                return "ineligible"
            action = True
    security = doc["social_security"]
    if not (security["in_province"] or security.get("out_of_province_proof", False)):
        action = True
    e = doc["education"]
    automatic = (
        e["domestic"] and EDUCATION_RANK[e["level"]] >= 1 and e["year"] >= 2001 and e.get("auto_extracted", True)
    )
    if not (automatic or e.get("certificates_uploaded", False)):
        action = True
    if prior is not None and prior["origin"] != "local" and not prior.get("confirmed", False):
        action = True
    publicity = doc["publicity"]
    if workdays(_date(publicity["start"]), _date(publicity["end"])) < 5:
        if day is not None and day > UNIT:
            return "ineligible"
        action = True
    if not doc.get("copies_verified", False):
        action = True
    fraud = doc["fraud"]
    if fraud.get("current_application", False):
        return "ineligible"
    for r in fraud.get("history", ()):
        if r["scope"] == "all" and r["evaluation_year"] + 1 <= 2021 <= r["evaluation_year"] + 3:
            return "ineligible"
    steps = doc["steps"]
    if (
        steps["online_submitted"] > "2021-12-12"
        or steps["unit_reviewed"] > "2021-12-23"
        or steps["county_reported"] > "2021-12-31"
    ):
        return "ineligible"
    paper = doc["paper"]
    if paper["submitted"] > "2022-01-07":
        return "ineligible"
    if paper["copies"] < 3 or not paper.get("watermark", False):
        action = True
    fee = doc["fee"]
    if not fee.get("paid", False):
        if day is not None and day > _date(fee["deadline"]):
            return "ineligible"
        action = True
    return "pending" if action else "eligible"
