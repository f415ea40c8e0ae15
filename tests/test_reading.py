"""Reading a decision: text, Markdown and HTML for one applicant, and the batch report;
the commands that write them, run as a user runs them."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import titlerules
from titlerules.cases import load_case_file
from titlerules.render import render_text
from titlerules.render_html import render_html
from titlerules.render_md import render_markdown
from titlerules.report import file_stem, render_report_html, summarize

from .conftest import POLICY_DIR, ROOT
from .test_cli import run

CASES = {c.name: c for c in load_case_file(POLICY_DIR / "lishui-2021-crafts.cases.yaml").cases}
EXAMPLE = ROOT / "examples" / "eligible-intermediate.json"


def blocked_document() -> dict[str, Any]:
    document = copy.deepcopy(CASES["eligible intermediate applicant"].document)
    document["continuing_education"]["2020"]["professional"] = 48
    document["fraud"] = {"history": [{"evaluation_year": 2019, "scope": "all"}]}
    del document["steps"]["county_reported"]
    document["paper"]["copies"] = 2
    return document


@pytest.fixture(scope="module")
def explained(lishui: titlerules.Policy) -> titlerules.Explanation:
    return lishui.explain(blocked_document(), as_of="2021-12-20")


def test_text_puts_the_verdict_then_blocking_items_with_next_steps(
    lishui: titlerules.Policy, explained: titlerules.Explanation
) -> None:
    text = render_text(explained, "zh", lishui.output_labels, lishui.checked.document)
    lines = text.splitlines()
    assert lines[0] == "申请人 LS-2021-0001：不符合申报条件 (ineligible)"
    assert lines[2] == "无法补救1项，可改正1项，待办2项；按建议修改后结论为 ineligible"
    assert lines[4] == "须处理（按阻碍程度排列）"
    assert lines[5].startswith("  ✗ [三(九)] 申报纪律：")
    assert "      → continuing_education.2020.professional: 48 -> 64 (该项将为 pass)" in lines
    county = "  ! [五] 申报时限 · 县市区报送市中评委：县市区初评委办公室须在2021-12-31前报送市工艺美术中评委"
    assert f"{county} (截止 2021-12-31)" in lines
    assert text.index("须处理") < text.index("\n符合\n")
    assert "读取的事实" not in text


def test_text_in_english_and_verbose_shows_the_tree_and_facts(
    lishui: titlerules.Policy, explained: titlerules.Explanation
) -> None:
    text = render_text(explained.to_dict(), "en", lishui.output_labels, verbose=True)
    assert text.splitlines()[4] == "What blocks, most first"
    assert "      → paper.copies: 2 -> 3" in text
    tree = text[text.index("All findings") :]
    assert "    ✗ [三(三)] 2020: 2020 hours fall short" in tree
    assert "facts read: continuing_education.2020.professional = 48;" in tree


def test_an_unexplained_decision_renders_as_before(lishui: titlerules.Policy) -> None:
    decision = lishui.evaluate(json.loads(EXAMPLE.read_text("utf-8")), as_of="2022-01-10")
    assert render_text(decision, "zh", lishui.output_labels) == render_text(
        decision.to_dict(), "zh", lishui.output_labels
    )
    assert "须处理" not in render_text(decision)


def test_markdown_lists_blocking_items_in_order(lishui: titlerules.Policy, explained: titlerules.Explanation) -> None:
    md = render_markdown(explained, "en", lishui.output_labels, lishui.checked.document)
    assert md.startswith("# Applicant LS-2021-0001: ineligible (ineligible)\n")
    numbered = [line for line in md.splitlines() if re.match(r"^\d+\. ", line)]
    assert [line.split("**")[1] for line in numbered] == [
        "Integrity",
        "Continuing-education hours · 2020",
        "Deadlines · County forwarding",
        "Paper materials",
    ]
    assert "   - next: `paper.copies: 2 -> 3`" in md
    assert "| Fees due (yuan) | evaluation 180, recommendation 80, total 260 |" in md


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def assert_self_contained(html: str) -> None:
    found = tags(html)
    names = {tag for tag, _ in found}
    assert not names & {"script", "link", "img", "iframe", "object", "embed"}
    for tag, attributes in found:
        for name in ("src", "href"):
            value = attributes.get(name) or ""
            assert not re.match(r"^[a-z]+:", value), (tag, name, value)
    assert "@import" not in html and "url(" not in html
    assert "@media print" in html


def test_html_for_one_decision_is_self_contained_and_escaped(
    lishui: titlerules.Policy, explained: titlerules.Explanation
) -> None:
    html = render_html(explained, "zh", lishui.output_labels, lishui.checked.document, verbose=True)
    assert_self_contained(html)
    assert '<html lang="zh-CN">' in html
    rules = [a["data-rule"] for tag, a in tags(html) if tag == "li" and "data-rule" in a]
    assert rules[:4] == ["fraud", "continuing_education.2020", "deadlines.county", "paper_materials"]
    document = blocked_document()
    document["workplace"]["city"] = "<script>alert(1)</script>"
    hostile = render_html(lishui.explain(document, as_of="2021-12-20"))
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile


def test_report_counts_and_links(lishui: titlerules.Policy) -> None:
    records = [lishui.explain(blocked_document(), as_of="2021-12-20").to_dict()]
    other = copy.deepcopy(CASES["eligible intermediate applicant"].document)
    other["id"] = "LS/2"
    other["workplace"]["county"] = "龙泉市"
    records.append(lishui.evaluate(other, as_of="2022-01-10").to_dict())
    records.append({"applicant": "bad", "error": "declared_level: expected one of junior, assistant, intermediate"})
    summary = summarize(records)
    assert summary.decisions == 2 and summary.errors == 1
    assert [(str(v), n) for v, n in summary.verdicts] == [("ineligible", 1), ("eligible", 1)]
    assert [(r, n) for r, _, n in summary.failing] == [("continuing_education", 1), ("fraud", 1)]
    assert [(r, n) for r, _, n in summary.actions] == [("deadlines.county", 1), ("paper_materials", 1)]
    assert [key for key, _ in summary.groups] == ["committee.recommender", "committee.forwarded_by"]
    assert [r.link for r in summary.rows] == ["explanations/LS-2021-0001.html", "explanations/LS_2.html", None]
    html = render_report_html(summary, "en")
    assert_self_contained(html)
    svgs = [a["id"] for tag, a in tags(html) if tag == "svg"]
    assert svgs == ["chart-verdicts", "chart-failing", "chart-actions"]
    assert html.count('<g class="bar">') == 2 + 2 + 2


def test_file_stems_are_safe() -> None:
    assert file_stem("LS-2021-0001", 1) == "LS-2021-0001"
    assert file_stem("../../etc/passwd", 2) == "_.._etc_passwd"
    assert file_stem(None, 3) == "decision-3"
    assert file_stem("  ", 4) == "decision-4"


def test_explain_command_writes_text_md_html_and_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(blocked_document(), ensure_ascii=False), "utf-8")
    text = run("explain", "--as-of", "2021-12-20", "--lang", "en", str(path))
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Applicant LS-2021-0001: ineligible (ineligible)\n")
    assert "      → continuing_education.2020.professional: 48 -> 64 (this finding would be pass)" in text.stdout
    line = run("explain", "--as-of", "2021-12-20", "--format", "jsonl", str(path))
    decision = json.loads(line.stdout)
    assert decision["next_steps"]["order"][0] == "fraud"
    out = tmp_path / "out"
    pages = run("explain", "--as-of", "2021-12-20", "--format", "html", "--out-dir", str(out), str(path), str(EXAMPLE))
    assert pages.returncode == 0, pages.stderr
    assert sorted(p.name for p in out.iterdir()) == ["LS-2021-0001.html"]  # both documents share the id
    two = run("explain", "--format", "html", str(path), str(EXAMPLE))
    assert two.returncode == 2 and "give --out-dir" in two.stderr
    bad = run("explain", "--format", "jsonl", "-", stdin='{"id": "x", "declared_level": "senior"}\n')
    assert bad.returncode == 1 and json.loads(bad.stdout)["errors"][0]["path"] == "declared_level"


def test_report_command_writes_a_page_and_the_explanations(tmp_path: Path) -> None:
    lines = ['{"id": "A-1"}', json.dumps(blocked_document(), ensure_ascii=False), '{"id": "A-3", "declared_level": 7}']
    batch = run("explain", "--as-of", "2021-12-20", "--format", "jsonl", "-", stdin="\n".join(lines) + "\n")
    assert batch.returncode == 1  # one document rejected, the others decided
    results = tmp_path / "results.jsonl"
    results.write_text(batch.stdout, "utf-8")
    out = tmp_path / "site"
    made = run("report", str(results), "--out-dir", str(out), "--lang", "en")
    assert made.returncode == 0, made.stderr
    index = (out / "index.html").read_text("utf-8")
    assert "2 decisions · 1 rejected (input errors)" in index
    assert sorted(p.name for p in (out / "explanations").iterdir()) == ["A-1.html", "LS-2021-0001.html"]
    links = [a["href"] for tag, a in tags(index) if tag == "a"]
    assert links == ["explanations/A-1.html", "explanations/LS-2021-0001.html"]
    text = run("report", str(results), "--format", "text", "--lang", "en")
    # On 20 December the empty document has missed the online deadline of 12 December.
    assert "Failing rules\n  Deadlines (deadlines): 1\n" in text.stdout
    as_json = json.loads(run("report", str(results), "--format", "json").stdout)
    assert as_json["verdicts"] == {"ineligible": 2}
    assert {r["rule"]: r["count"] for r in as_json["failing_rules"]} == {
        "deadlines": 1,
        "continuing_education": 1,
        "fraud": 1,
    }
    not_decisions = tmp_path / "docs.jsonl"
    not_decisions.write_text('{"id": "A-1"}\n', "utf-8")
    refused = run("report", str(not_decisions))
    assert refused.returncode == 4 and "not a decision" in refused.stderr


def test_evaluate_verbose_shows_the_facts_each_rule_read() -> None:
    result = run("evaluate", "--verbose", "--lang", "en", "--as-of", "2022-01-10", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    tree = result.stdout[result.stdout.index("All findings") :]
    assert "  ✓ [一] Who may apply: works in arts and crafts in 青田县, Lishui" in tree
    assert "      facts read: workplace.city = 丽水市; workplace.county = 青田县; work_area = creation" in tree
    assert "    ✓ [三(三)] 2020: 2020 hours met: 90 in all, 64 professional, 26 public" in tree
    assert "excluded = none" in tree
